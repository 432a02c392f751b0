package xmlrpc

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// A value encoded ahead answers byte for byte as the value itself does,
// alone and inside another value (system.multicall), and every request
// gets the same bytes without touching them.
func TestEncodedAnswersAsTheValue(t *testing.T) {
	v := []any{Struct{{"name", "a&b<c>"}, {"pid", 42}}, "ü\x01", 7}
	enc, err := Encode(v, 0)
	if err != nil {
		t.Fatal(err)
	}
	var want bytes.Buffer
	if err := EncodeResponse(&want, v); err != nil {
		t.Fatal(err)
	}
	if enc.Len() != want.Len() {
		t.Errorf("Len %d, want %d", enc.Len(), want.Len())
	}
	var got bytes.Buffer
	if err := EncodeResponse(&got, enc); err != nil {
		t.Fatal(err)
	}
	if got.String() != want.String() {
		t.Errorf("encoded inside a response:\n%s\nwant\n%s", got.String(), want.String())
	}

	r := testRegistry()
	r.Register("test.plain", func(context.Context, []Value) (Value, error) { return v, nil })
	r.Register("test.ahead", func(context.Context, []Value) (Value, error) { return enc, nil })
	plain := post(t, r, callDoc(t, "test.plain"))
	for range 2 {
		ahead := post(t, r, callDoc(t, "test.ahead"))
		if ahead.Code != plain.Code || ahead.Body.String() != plain.Body.String() ||
			!sameHeader(ahead.Header(), plain.Header()) {
			t.Errorf("answer encoded ahead: %d %v\n%s\nwant %d %v\n%s", ahead.Code, ahead.Header(), ahead.Body.String(),
				plain.Code, plain.Header(), plain.Body.String())
		}
	}
	multi := func(m string) string {
		calls := []any{map[string]any{"methodName": m}, map[string]any{"methodName": "test.echo", "params": []any{"x"}}}
		return post(t, r, callDoc(t, "system.multicall", calls)).Body.String()
	}
	if a, p := multi("test.ahead"), multi("test.plain"); a != p {
		t.Errorf("multicall with an answer encoded ahead:\n%s\nwant\n%s", a, p)
	}
	if enc.resp[enc.start-1] != '\n' || !strings.HasPrefix(string(enc.resp[enc.start:]), "<value>") {
		t.Errorf("value bytes start at %d: %q", enc.start, enc.resp[enc.start:min(enc.start+20, len(enc.resp))])
	}
	if err := EncodeResponse(&got, enc); err != nil || !bytes.Equal(enc.resp, want.Bytes()) {
		t.Errorf("the encoded bytes changed after use: %v", err)
	}
}

func sameHeader(a, b http.Header) bool {
	if len(a) != len(b) {
		return false
	}
	for k := range a {
		if strings.Join(a[k], ",") != strings.Join(b[k], ",") {
			return false
		}
	}
	return true
}

// An answer encoded ahead is written as it is: no answer buffer, no
// copy (with several clients at once, each answer in flight took a buffer
// of its size, allocated anew when the few kept were in use).
func TestEncodedAnswerIsWrittenAsItIs(t *testing.T) {
	enc, err := Encode(strings.Repeat("x", 256<<10), 256<<10)
	if err != nil {
		t.Fatal(err)
	}
	r := NewRegistry()
	r.Register("test.ahead", func(context.Context, []Value) (Value, error) { return enc, nil })
	w := &discardWriter{h: http.Header{}}
	r.ServeHTTP(w, httptest.NewRequest("POST", "/RPC2", strings.NewReader(callDoc(t, "test.ahead"))))
	if w.n != enc.Len() || len(w.first) == 0 || &w.first[0] != &enc.resp[0] {
		t.Errorf("wrote %d bytes (want %d), not the encoded bytes themselves", w.n, enc.Len())
	}
}

type discardWriter struct {
	h     http.Header
	n     int
	first []byte // the first slice written
}

func (w *discardWriter) Header() http.Header { return w.h }
func (w *discardWriter) WriteHeader(int)     { w.n = 0 }
func (w *discardWriter) Write(p []byte) (int, error) {
	if w.first == nil {
		w.first = p
	}
	w.n += len(p)
	return len(p), nil
}
