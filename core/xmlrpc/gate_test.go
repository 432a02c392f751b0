package xmlrpc

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// The gate is held by one writer at a time; one that holds it for longer
// than gateWait no longer keeps the others waiting.
func TestFifoGate(t *testing.T) {
	g := fifoGate{ch: make(chan struct{}, 1)}
	if !g.enter() {
		t.Fatal("a free gate was not entered")
	}
	entered := make(chan bool)
	go func() { entered <- g.enter() }()
	if <-entered {
		t.Fatal("a second writer entered a held gate")
	}
	// The holder has now held it past gateWait: the next one writes at
	// once, without the gate.
	if g.enter() {
		t.Fatal("entered a held gate")
	}
	g.leave()
	if !g.enter() {
		t.Fatal("the gate was not free after leave")
	}
	g.leave()
}

// A client that stops reading a shared answer does not hold up the
// others: they get theirs.
func TestStalledReaderDoesNotBlockOthers(t *testing.T) {
	enc, err := Encode(strings.Repeat("x", 32<<20), 32<<20)
	if err != nil {
		t.Fatal(err)
	}
	r := NewRegistry()
	r.Register("test.big", func(context.Context, []Value) (Value, error) { return enc, nil })
	srv := httptest.NewServer(r)
	defer srv.Close()
	body := callDoc(t, "test.big")
	req := fmt.Sprintf("POST /RPC2 HTTP/1.1\r\nHost: x\r\nContent-Type: text/xml\r\nContent-Length: %d\r\n\r\n%s", len(body), body)

	// The stalled client asks and reads only the first bytes.
	stalled, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer stalled.Close()
	if _, err := stalled.Write([]byte(req)); err != nil {
		t.Fatal(err)
	}
	if _, err := bufio.NewReader(stalled).ReadString('\n'); err != nil {
		t.Fatal(err)
	}
	// The other clients get whole answers meanwhile.
	for i := range 3 {
		resp, err := http.Post(srv.URL+"/RPC2", "text/xml", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		total, err := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		if total != int64(enc.Len()) {
			t.Fatalf("client %d got %d bytes, want %d", i, total, enc.Len())
		}
	}
}
