package xmlrpc

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
)

// rawServer answers each request on a connection with the reply function's
// result; it records the requests it read.
func rawServer(t *testing.T, reply func(n int, req *http.Request, body []byte) (resp string, closeAfter bool)) (addr string, reqs chan *http.Request) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	reqs = make(chan *http.Request, 100)
	var n atomic.Int32
	go func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				br := bufio.NewReader(conn)
				for {
					req, err := http.ReadRequest(br)
					if err != nil {
						return
					}
					body, _ := io.ReadAll(req.Body)
					reqs <- req
					resp, closeAfter := reply(int(n.Add(1)), req, body)
					io.WriteString(conn, resp)
					if closeAfter {
						return
					}
				}
			}()
		}
	}()
	return l.Addr().String(), reqs
}

func okResponse(proto string, v Value, extra string) string {
	var b bytes.Buffer
	EncodeResponse(&b, v)
	return proto + " 200 OK\r\nContent-Type: text/xml\r\n" + extra + "Content-Length: " + strconv.Itoa(b.Len()) + "\r\n\r\n" + b.String()
}

// The request carries what net/http's client sent: method, path, Host,
// User-Agent, a correct Content-Length, Accept, basic auth, Content-Type.
func TestClientRequest(t *testing.T) {
	addr, reqs := rawServer(t, func(_ int, _ *http.Request, body []byte) (string, bool) {
		m, p, err := DecodeCall(bytes.NewReader(body))
		if err != nil {
			return "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n", true
		}
		return okResponse("HTTP/1.1", []any{m, p[0]}, ""), false
	})
	c, err := NewClient("http://"+addr, "user", "pa:ss")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	arg := strings.Repeat("x&<", 5000)
	got, err := c.Call(context.Background(), "a.b", arg)
	if err != nil {
		t.Fatal(err)
	}
	if g := got.([]any); g[0] != "a.b" || g[1] != arg {
		t.Errorf("echo %q", g)
	}
	req := <-reqs
	if req.Method != "POST" || req.URL.Path != "/RPC2" || req.Host != addr ||
		req.Header.Get("User-Agent") != "super-xmlrpc" || req.Header.Get("Content-Type") != "text/xml" ||
		req.Header.Get("Accept") != "text/xml" || req.Header.Get("Authorization") != "Basic dXNlcjpwYTpzcw==" {
		t.Errorf("request %s %s host %q headers %v", req.Method, req.URL, req.Host, req.Header)
	}
}

// A kept-alive connection the server closed is replaced without the caller
// seeing it; an answer with Connection: close or from HTTP/1.0 ends its
// connection.
func TestClientReconnects(t *testing.T) {
	addr, _ := rawServer(t, func(n int, _ *http.Request, _ []byte) (string, bool) {
		switch n % 3 {
		case 1:
			return okResponse("HTTP/1.1", n, ""), true // closes without saying so
		case 2:
			return okResponse("HTTP/1.1", n, "Connection: close\r\n"), true
		}
		return okResponse("HTTP/1.0", n, ""), true
	})
	c, _ := NewClient("http://"+addr, "", "")
	defer c.Close()
	for i := 1; i <= 7; i++ {
		got, err := c.Call(context.Background(), "a.b")
		if err != nil || got != i {
			t.Fatalf("call %d: %v %v", i, got, err)
		}
	}
}

func TestClientErrors(t *testing.T) {
	release := make(chan struct{})
	addr, reqs := rawServer(t, func(n int, req *http.Request, _ []byte) (string, bool) {
		if n == 1 {
			return "HTTP/1.1 401 Unauthorized\r\nContent-Length: 5\r\n\r\nnope!", false
		}
		<-release // a call that is only answered after the test
		return "", true
	})
	t.Cleanup(func() { close(release) })
	c, _ := NewClient("http://"+addr, "", "")
	defer c.Close()
	_, err := c.Call(context.Background(), "a.b")
	var he *HTTPError
	if !errors.As(err, &he) || he.StatusCode != 401 || he.Status != "401 Unauthorized" {
		t.Fatalf("401: %v", err)
	}
	<-reqs
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-reqs // cancel once the server holds the call
		cancel()
	}()
	_, err = c.Call(ctx, "a.b")
	var ue *url.Error
	if !errors.Is(err, context.Canceled) || !errors.As(err, &ue) || ue.Op != "Post" {
		t.Fatalf("cancelled call: %v", err)
	}
}
