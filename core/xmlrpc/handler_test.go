package xmlrpc

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
)

func testRegistry() *Registry {
	r := NewRegistry()
	r.Register("test.echo", func(_ context.Context, p []Value) (Value, error) {
		if err := CheckArity(p, 1, 1); err != nil {
			return nil, err
		}
		return p[0], nil
	})
	r.Register("test.fault", func(context.Context, []Value) (Value, error) {
		return nil, NewFaultf(FaultBadName, "foo")
	})
	r.Register("test.wrapped", func(context.Context, []Value) (Value, error) {
		return nil, errors.Join(errors.New("context"), NewFault(FaultNotRunning))
	})
	r.Register("test.boom", func(context.Context, []Value) (Value, error) {
		return nil, errors.New("boom")
	})
	r.Register("test.none", func(context.Context, []Value) (Value, error) {
		return nil, nil
	})
	r.Register("system.multicall", func(ctx context.Context, p []Value) (Value, error) {
		if err := CheckArity(p, 1, 1); err != nil {
			return nil, err
		}
		calls, ok := p[0].([]any)
		if !ok {
			return nil, NewFault(FaultIncorrectParameters)
		}
		return r.Multicall(ctx, calls)
	})
	return r
}

func post(t *testing.T, h http.Handler, body string) *httptest.ResponseRecorder {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("POST", "/RPC2", strings.NewReader(body)))
	return rec
}

func callDoc(t *testing.T, method string, params ...Value) string {
	var b bytes.Buffer
	if err := EncodeCall(&b, method, params); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestServeHTTP(t *testing.T) {
	r := testRegistry()
	var logged []string
	r.Log = func(level int, msg string) { logged = append(logged, msg) }

	rec := post(t, r, callDoc(t, "test.echo", "hi"))
	if rec.Code != 200 || rec.Header().Get("Content-Type") != "text/xml" {
		t.Fatalf("status %d, content type %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	want := respHead + "<value><string>hi</string></value>\n" + respTail
	if rec.Body.String() != want || rec.Header().Get("Content-Length") != "128" {
		t.Errorf("body %q length %s", rec.Body.String(), rec.Header().Get("Content-Length"))
	}

	faults := map[string]int{
		"test.fault":    FaultBadName,
		"test.wrapped":  FaultNotRunning,
		"test.nope":     FaultUnknownMethod,
		"test":          FaultUnknownMethod,
		"a.b.c":         FaultUnknownMethod,
		"test._private": FaultUnknownMethod,
	}
	for method, code := range faults {
		rec := post(t, r, callDoc(t, method))
		if rec.Code != 200 {
			t.Errorf("%s: status %d, faults travel in 200", method, rec.Code)
		}
		_, err := DecodeResponse(rec.Body)
		var f *Fault
		if !errors.As(err, &f) || f.Code != code {
			t.Errorf("%s: err %v, want fault %d", method, err, code)
		}
	}
	// Wrong arity is INCORRECT_PARAMETERS with exactly 4.2's text.
	rec = post(t, r, callDoc(t, "test.echo"))
	if !strings.Contains(rec.Body.String(), "<value><string>INCORRECT_PARAMETERS</string></value>") {
		t.Errorf("arity fault: %q", rec.Body.String())
	}

	for name, tc := range map[string]struct {
		method, body string
		code         int
	}{
		"GET":                   {"GET", "", 400},
		"garbage":               {"POST", "garbage", 400},
		"no method name":        {"POST", "<methodCall><params/></methodCall>", 400},
		"handler error":         {"POST", callDoc(t, "test.boom"), 500},
		"unmarshallable result": {"POST", callDoc(t, "test.none"), 500},
	} {
		rec := httptest.NewRecorder()
		r.ServeHTTP(rec, httptest.NewRequest(tc.method, "/RPC2", strings.NewReader(tc.body)))
		if rec.Code != tc.code {
			t.Errorf("%s: status %d, want %d", name, rec.Code, tc.code)
		}
		if rec.Header().Get("Content-Type") != "text/html" {
			t.Errorf("%s: content type %q", name, rec.Header().Get("Content-Type"))
		}
	}
	if !strings.Contains(strings.Join(logged, "\n"), `is invalid: unmarshallable`) {
		t.Errorf("no 'unmarshallable' log line in %q", logged)
	}
}

// The error page is medusa's, byte for byte (Content-Length 134 for 404).
func TestWriteHTTPError(t *testing.T) {
	rec := httptest.NewRecorder()
	WriteHTTPError(rec, 404)
	want := "<head>\r\n<title>Error response</title>\r\n</head>\r\n<body>\r\n<h1>Error response</h1>\r\n<p>Error code 404.\r\n<p>Message: Not Found.\r\n</body>\r\n"
	if rec.Body.String() != want || rec.Header().Get("Content-Length") != "134" {
		t.Errorf("got %q (length %s)", rec.Body.String(), rec.Header().Get("Content-Length"))
	}
	rec = httptest.NewRecorder()
	WriteHTTPError(rec, 401)
	if rec.Header().Get("Content-Length") != "137" {
		t.Errorf("401 page length %s, Supervisor's is 137", rec.Header().Get("Content-Length"))
	}
}

func TestBodyLimit(t *testing.T) {
	r := testRegistry()
	r.MaxBodyBytes = 1000
	rec := post(t, r, callDoc(t, "test.echo", strings.Repeat("x", 2000)))
	if rec.Code != http.StatusRequestEntityTooLarge {
		t.Errorf("status %d, want 413", rec.Code)
	}
	rec = post(t, r, callDoc(t, "test.echo", strings.Repeat("x", 500)))
	if rec.Code != 200 {
		t.Errorf("status %d for a request under the limit", rec.Code)
	}
}

// system.multicall as 4.2 answers it: bare values, faults as structs.
func TestMulticallShape(t *testing.T) {
	r := testRegistry()
	calls := []any{
		map[string]any{"methodName": "test.echo", "params": []any{"fine"}},
		map[string]any{"methodName": "test.fault", "params": []any{}},
		map[string]any{"methodName": "test.boom"},
		map[string]any{"methodName": "system.multicall", "params": []any{[]any{}}},
		map[string]any{"params": []any{}},
		map[string]any{"methodName": "nope.nope"},
		map[string]any{"methodName": "test.echo", "params": []any{[]any{1, 2}}},
	}
	rec := post(t, r, callDoc(t, "system.multicall", calls))
	got, err := DecodeResponse(rec.Body)
	if err != nil {
		t.Fatal(err)
	}
	fault := func(code int, s string) map[string]any { return map[string]any{"faultCode": code, "faultString": s} }
	want := []any{
		"fine",
		fault(10, "BAD_NAME: foo"),
		fault(30, "FAILED: boom"),
		fault(2, "INCORRECT_PARAMETERS: Recursive system.multicall forbidden"),
		fault(2, "INCORRECT_PARAMETERS: No methodName"),
		fault(1, "UNKNOWN_METHOD"),
		[]any{1, 2},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("multicall:\ngot  %#v\nwant %#v", got, want)
	}
	// A call that is not a struct fails the whole request, as in 4.2.
	if rec := post(t, r, callDoc(t, "system.multicall", []any{"x"})); rec.Code != 500 {
		t.Errorf("non-struct call: status %d, want 500", rec.Code)
	}
}

func TestRegisterRejectsUnreachableNames(t *testing.T) {
	for _, name := range []string{"a", "a.b.c", "a._b", ".b", "a."} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Register(%q) did not panic", name)
				}
			}()
			NewRegistry().Register(name, func(context.Context, []Value) (Value, error) { return 1, nil })
		}()
	}
	r := testRegistry()
	if got := r.Methods(); !reflect.DeepEqual(got, []string{"system.multicall", "test.boom", "test.echo", "test.fault", "test.none", "test.wrapped"}) {
		t.Errorf("Methods() = %v", got)
	}
}

func TestClient(t *testing.T) {
	r := testRegistry()
	var mu sync.Mutex
	var auths []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		mu.Lock()
		auths = append(auths, req.Header.Get("Authorization"))
		mu.Unlock()
		if req.URL.Path != "/RPC2" {
			WriteHTTPError(w, 404)
			return
		}
		if u, p, _ := req.BasicAuth(); u == "deny" {
			_ = p
			WriteHTTPError(w, 401)
			return
		}
		r.ServeHTTP(w, req)
	}))
	defer srv.Close()

	ctx := context.Background()
	c, err := NewClient(srv.URL+"/ignored/path", "user", "pa:ss")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	in := map[string]any{"a": []any{1, "two", true, 2.5}}
	got, err := c.Call(ctx, "test.echo", in)
	if err != nil || !reflect.DeepEqual(got, in) {
		t.Fatalf("echo: %#v, %v", got, err)
	}
	if auths[0] != "Basic dXNlcjpwYTpzcw==" {
		t.Errorf("Authorization %q", auths[0])
	}
	_, err = c.Call(ctx, "test.fault")
	var f *Fault
	if !errors.As(err, &f) || f.String != "BAD_NAME: foo" {
		t.Errorf("fault: %v", err)
	}

	deny, _ := NewClient(srv.URL, "deny", "x")
	_, err = deny.Call(ctx, "test.echo", 1)
	var he *HTTPError
	if !errors.As(err, &he) || he.StatusCode != 401 {
		t.Errorf("401: %v", err)
	}

	anon, _ := NewClient(srv.URL, "", "")
	anon.Call(ctx, "test.echo", 1)
	if auths[len(auths)-1] != "" {
		t.Errorf("anonymous client sent Authorization %q", auths[len(auths)-1])
	}

	resp, err := c.Get(ctx, "/logtail/x")
	if err != nil || resp.StatusCode != 404 {
		t.Fatalf("Get: %v %v", resp, err)
	}
	resp.Body.Close()

	if _, err := NewClient("ftp://x", "", ""); err == nil || err.Error() != "Unknown protocol for serverurl ftp://x" {
		t.Errorf("bad scheme: %v", err)
	}
}

func TestClientUnixSocket(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "s.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: testRegistry()}
	go srv.Serve(l)
	defer srv.Close()
	c, err := NewClient("unix://"+sock, "", "")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for i := range 3 { // the connection is reused
		got, err := c.Call(context.Background(), "test.echo", i)
		if err != nil || got != i {
			t.Fatalf("call %d: %v %v", i, got, err)
		}
	}
	missing, _ := NewClient("unix://"+filepath.Join(t.TempDir(), "none.sock"), "", "")
	if _, err := missing.Call(context.Background(), "test.echo", 1); err == nil {
		t.Error("call to a missing socket succeeded")
	}
}

// Answer buffers kept for the next answers are let go by
// DropAnswerBuffers; the next answer gets a new one, sized after the last.
func TestDropAnswerBuffers(t *testing.T) {
	DropAnswerBuffers()
	kept := getAnswerBuf()
	kept = append(kept, strings.Repeat("x", 100<<10)...)
	putAnswerBuf(kept)
	if b := getAnswerBuf(); &b[:1][0] != &kept[:1][0] {
		t.Fatal("a returned buffer was not reused")
	}
	putAnswerBuf(kept)
	DropAnswerBuffers()
	b := getAnswerBuf()
	if &b[:1][0] == &kept[:1][0] {
		t.Fatal("the buffer is still kept after DropAnswerBuffers")
	}
	if cap(b) < 100<<10 {
		t.Errorf("new buffer of %d bytes, want at least the last answer's %d", cap(b), 100<<10)
	}
}
