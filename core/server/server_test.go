package server

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"super/core/config"
	"super/core/xmlrpc"
)

func registry() *xmlrpc.Registry {
	r := xmlrpc.NewRegistry()
	r.Register("test.echo", func(_ context.Context, p []xmlrpc.Value) (xmlrpc.Value, error) {
		if err := xmlrpc.CheckArity(p, 1, 1); err != nil {
			return nil, err
		}
		return p[0], nil
	})
	r.Register("test.fault", func(context.Context, []xmlrpc.Value) (xmlrpc.Value, error) {
		return nil, xmlrpc.NewFaultf(xmlrpc.FaultBadName, "foo")
	})
	r.Register("test.info", func(context.Context, []xmlrpc.Value) (xmlrpc.Value, error) {
		return xmlrpc.Struct{{Name: "name", Value: "cat"}, {Name: "state", Value: 20}, {Name: "pid", Value: 42}}, nil
	})
	r.Register("system.multicall", func(ctx context.Context, p []xmlrpc.Value) (xmlrpc.Value, error) {
		if err := xmlrpc.CheckArity(p, 1, 1); err != nil {
			return nil, err
		}
		calls, _ := p[0].([]any)
		return r.Multicall(ctx, calls)
	})
	return r
}

func unixConf(t *testing.T) *config.UnixHTTPServer {
	return &config.UnixHTTPServer{File: filepath.Join(t.TempDir(), "s.sock"), Chmod: 0o700, ChownUID: -1, ChownGID: -1}
}

func inetConf() *config.InetHTTPServer {
	return &config.InetHTTPServer{Host: "127.0.0.1", Port: 0}
}

func start(t *testing.T, opts Options) *Server {
	t.Helper()
	if opts.RPC == nil {
		opts.RPC = registry()
	}
	s, err := Start(opts)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func inetURL(s *Server) string {
	for _, a := range s.Addrs() {
		if a.Network() == "tcp" {
			return "http://" + a.String()
		}
	}
	return ""
}

func get(t *testing.T, url, auth string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

func TestBothServersServeRPC(t *testing.T) {
	u := unixConf(t)
	s := start(t, Options{Unix: u, Inet: inetConf()})
	for _, url := range []string{"unix://" + u.File, inetURL(s)} {
		c, err := xmlrpc.NewClient(url, "", "")
		if err != nil {
			t.Fatal(err)
		}
		got, err := c.Call(context.Background(), "test.echo", "hello")
		if err != nil || got != "hello" {
			t.Errorf("%s: %v %v", url, got, err)
		}
		c.Close()
	}
}

func TestAuth(t *testing.T) {
	inet := inetConf()
	inet.Username, inet.Password = "user", "secret"
	plain := start(t, Options{Inet: inet, Routes: []Route{{"/logtail/", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		io.WriteString(w, "tail")
	})}}})
	inetSHA := inetConf()
	// sha1("test")
	inetSHA.Username, inetSHA.Password = "user", "{SHA}a94a8fe5ccb19ba61c4c0873d391e987982fbbd3"
	sha := start(t, Options{Inet: inetSHA})
	open := start(t, Options{Inet: inetConf()})

	basic := func(user, pass string) string {
		req, _ := http.NewRequest("GET", "/", nil)
		req.SetBasicAuth(user, pass)
		return req.Header.Get("Authorization")
	}
	call := func(url, user, pass string) error {
		c, _ := xmlrpc.NewClient(url, user, pass)
		defer c.Close()
		_, err := c.Call(context.Background(), "test.echo", 1)
		return err
	}
	is401 := func(err error) bool {
		var he *xmlrpc.HTTPError
		return errors.As(err, &he) && he.StatusCode == 401
	}

	if err := call(inetURL(open), "", ""); err != nil {
		t.Errorf("no auth configured: %v", err)
	}
	if err := call(inetURL(plain), "user", "secret"); err != nil {
		t.Errorf("plain, right password: %v", err)
	}
	for name, err := range map[string]error{
		"plain, no credentials":  call(inetURL(plain), "", ""),
		"plain, wrong password":  call(inetURL(plain), "user", "wrong"),
		"plain, wrong user":      call(inetURL(plain), "other", "secret"),
		"plain, given the hash":  call(inetURL(sha), "user", "a94a8fe5ccb19ba61c4c0873d391e987982fbbd3"),
		"sha, wrong password":    call(inetURL(sha), "user", "secret"),
		"sha, literal {SHA} str": call(inetURL(sha), "user", "{SHA}a94a8fe5ccb19ba61c4c0873d391e987982fbbd3"),
	} {
		if !is401(err) {
			t.Errorf("%s: err %v, want 401", name, err)
		}
	}
	if err := call(inetURL(sha), "user", "test"); err != nil {
		t.Errorf("{SHA}, right password: %v", err)
	}

	// The 401 answer is 4.2's: realm, Connection: close, medusa's page.
	resp := get(t, inetURL(plain)+"/RPC2", "")
	if resp.StatusCode != 401 || resp.Header.Get("WWW-Authenticate") != `Basic realm="default"` ||
		resp.Header.Get("Content-Length") != "137" || resp.Header.Get("Content-Type") != "text/html" || !resp.Close {
		t.Errorf("401 response: %d %v", resp.StatusCode, resp.Header)
	}
	// Auth guards every path, unknown ones included; 404 only when authorised.
	if resp := get(t, inetURL(plain)+"/nothere", ""); resp.StatusCode != 401 {
		t.Errorf("unknown path without credentials: %d", resp.StatusCode)
	}
	if resp := get(t, inetURL(plain)+"/nothere", basic("user", "secret")); resp.StatusCode != 404 || resp.Header.Get("Content-Length") != "134" {
		t.Errorf("unknown path with credentials: %d %v", resp.StatusCode, resp.Header)
	}
	if resp := get(t, inetURL(plain)+"/logtail/x", ""); resp.StatusCode != 401 {
		t.Errorf("route without credentials: %d", resp.StatusCode)
	}
	if resp := get(t, inetURL(plain)+"/logtail/x", basic("user", "secret")); resp.StatusCode != 200 {
		t.Errorf("route with credentials: %d", resp.StatusCode)
	}
	if resp := get(t, inetURL(plain)+"/RPC2", "Basic !!!"); resp.StatusCode != 400 {
		t.Errorf("malformed credentials: %d, want 400", resp.StatusCode)
	}
	if resp := get(t, inetURL(plain)+"/RPC2", "Basic dXNlcg=="); resp.StatusCode != 401 { // "user", no colon
		t.Errorf("credentials without colon: %d, want 401", resp.StatusCode)
	}
	if resp := get(t, inetURL(plain)+"/RPC2", "Digest abc"); resp.StatusCode != 401 {
		t.Errorf("unsupported scheme: %d, want 401", resp.StatusCode)
	}
	// GET on /RPC2 reaches the XML-RPC handler: 400, as in 4.2.
	if resp := get(t, inetURL(plain)+"/RPC2", basic("user", "secret")); resp.StatusCode != 400 {
		t.Errorf("GET /RPC2: %d, want 400", resp.StatusCode)
	}
}

func TestUnauthenticatedServerIsLogged(t *testing.T) {
	var mu sync.Mutex
	var lines []string
	start(t, Options{Unix: unixConf(t), Log: func(level config.LogLevel, msg string) {
		mu.Lock()
		defer mu.Unlock()
		lines = append(lines, fmt.Sprint(level, " ", msg))
	}})
	mu.Lock()
	defer mu.Unlock()
	want := fmt.Sprint(config.LevelCritical, " Server 'unix_http_server' running without any HTTP authentication checking")
	if len(lines) != 1 || lines[0] != want {
		t.Errorf("log %q, want %q", lines, want)
	}
}

func TestPortInUse(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	u := unixConf(t)
	_, err = Start(Options{Unix: u, Inet: &config.InetHTTPServer{Host: "127.0.0.1", Port: l.Addr().(*net.TCPAddr).Port}})
	var le *ListenError
	if !errors.As(err, &le) || !errors.Is(err, syscall.EADDRINUSE) || le.Section != "inet_http_server" {
		t.Fatalf("err %v", err)
	}
	const want = "Another program is already listening on a port that one of our HTTP servers is configured to use.  Shut this program down first before starting supervisord."
	if err.Error() != want {
		t.Errorf("message %q", err.Error())
	}
	if le.Addr != l.Addr().String() {
		t.Errorf("Addr %q", le.Addr)
	}
	// The unix server opened before the failure is closed and its socket gone.
	if _, err := os.Lstat(u.File); !os.IsNotExist(err) {
		t.Errorf("socket file left behind: %v", err)
	}
}

func TestStaleSocketIsReplaced(t *testing.T) {
	u := unixConf(t)
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: u.File, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	l.SetUnlinkOnClose(false)
	l.Close() // the file stays: a crashed daemon's socket
	var stderr bytes.Buffer
	start(t, Options{Unix: u, Stderr: &stderr})
	if stderr.String() != "Unlinking stale socket "+u.File+"\n" {
		t.Errorf("stderr %q", stderr.String())
	}
	c, _ := xmlrpc.NewClient("unix://"+u.File, "", "")
	defer c.Close()
	if _, err := c.Call(context.Background(), "test.echo", 1); err != nil {
		t.Errorf("call after replacing the stale socket: %v", err)
	}
	if matches, _ := filepath.Glob(u.File + ".*"); len(matches) != 0 {
		t.Errorf("temporary socket names left: %v", matches)
	}
}

func TestLiveSocketIsRefused(t *testing.T) {
	u := unixConf(t)
	first := start(t, Options{Unix: u})
	_, err := Start(Options{Unix: u, RPC: registry()})
	if !errors.Is(err, syscall.EADDRINUSE) || !strings.HasPrefix(err.Error(), "Another program is already listening") {
		t.Fatalf("second server: %v", err)
	}
	// The first server still owns and serves the socket.
	c, _ := xmlrpc.NewClient("unix://"+u.File, "", "")
	defer c.Close()
	if _, err := c.Call(context.Background(), "test.echo", 1); err != nil {
		t.Errorf("first server after the refused start: %v", err)
	}
	first.Close()
	if _, err := os.Lstat(u.File); !os.IsNotExist(err) {
		t.Errorf("Close left the socket file: %v", err)
	}
}

func TestChmodAndChown(t *testing.T) {
	u := unixConf(t)
	u.Chmod = 0o766
	u.ChownUID, u.ChownGID = os.Getuid(), os.Getgid()
	start(t, Options{Unix: u})
	fi, err := os.Stat(u.File)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o766 || fi.Mode()&os.ModeSocket == 0 {
		t.Errorf("mode %v, want socket 0766", fi.Mode())
	}
	st := fi.Sys().(*syscall.Stat_t)
	if int(st.Uid) != os.Getuid() || int(st.Gid) != os.Getgid() {
		t.Errorf("owner %d:%d", st.Uid, st.Gid)
	}

	if os.Geteuid() == 0 {
		t.Log("running as root: the EPERM case of chown cannot happen")
		return
	}
	v := unixConf(t)
	v.ChownUID, v.ChownGID = 0, 0
	_, err = Start(Options{Unix: v, RPC: registry()})
	if err == nil || !strings.HasPrefix(err.Error(), "Not permitted to chown "+v.File+" to uid/gid (0, 0); adjust \"sockchown\" value") {
		t.Errorf("chown to root: %v", err)
	}
	if _, err := os.Lstat(v.File); !os.IsNotExist(err) {
		t.Errorf("socket left after failed chown: %v", err)
	}
}

func TestCloseLeavesForeignSocket(t *testing.T) {
	u := unixConf(t)
	s := start(t, Options{Unix: u})
	// Someone replaces the file (e.g. removed it and started another daemon).
	os.Remove(u.File)
	os.WriteFile(u.File, []byte("not ours"), 0o600)
	s.Close()
	if b, err := os.ReadFile(u.File); err != nil || string(b) != "not ours" {
		t.Errorf("Close removed or changed a file it did not create: %v", err)
	}
}

// A client that sends half a request holds only its own connection: others
// are served meanwhile, and the stalled one is cut after BodyTimeout.
func TestSlowClientDoesNotBlockOthers(t *testing.T) {
	// The timeouts leave a call on a loaded machine (a test run under -race)
	// ample time, yet a server that served connections one at a time would
	// make the call wait for the stalled ones to be cut.
	s := start(t, Options{Inet: inetConf(), BodyTimeout: time.Second, HeaderTimeout: time.Second})
	addr := strings.TrimPrefix(inetURL(s), "http://")

	slowBody, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer slowBody.Close()
	fmt.Fprintf(slowBody, "POST /RPC2 HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n<methodCall>")
	slowHeader, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer slowHeader.Close()
	fmt.Fprintf(slowHeader, "POST /RPC2 HTTP/1.1\r\nHost: x\r\n")

	c, _ := xmlrpc.NewClient(inetURL(s), "", "")
	defer c.Close()
	began := time.Now()
	if _, err := c.Call(context.Background(), "test.echo", 1); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(began); d > 750*time.Millisecond {
		t.Errorf("a call took %v while two clients stalled", d)
	}
	for name, conn := range map[string]net.Conn{"slow body": slowBody, "slow header": slowHeader} {
		conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err == nil {
			if resp.StatusCode < 400 {
				t.Errorf("%s: status %d", name, resp.StatusCode)
			}
			continue
		}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			t.Errorf("%s: connection still open after the timeout", name)
		}
	}
}

// The body deadline must not cut calls that take long after their request
// has arrived (startProcess with wait=true).
func TestLongCallOutlivesBodyTimeout(t *testing.T) {
	r := registry()
	r.Register("test.wait", func(ctx context.Context, _ []xmlrpc.Value) (xmlrpc.Value, error) {
		select {
		case <-ctx.Done():
			return nil, xmlrpc.NewFaultf(xmlrpc.FaultFailed, "cancelled")
		case <-time.After(500 * time.Millisecond):
			return true, nil
		}
	})
	u := unixConf(t)
	start(t, Options{Unix: u, RPC: r, BodyTimeout: 100 * time.Millisecond})
	c, _ := xmlrpc.NewClient("unix://"+u.File, "", "")
	defer c.Close()
	if v, err := c.Call(context.Background(), "test.wait"); err != nil || v != true {
		t.Errorf("long call: %v %v", v, err)
	}
}

func TestBodyLimit(t *testing.T) {
	u := unixConf(t)
	start(t, Options{Unix: u, MaxBodyBytes: 4096})
	c, _ := xmlrpc.NewClient("unix://"+u.File, "", "")
	defer c.Close()
	_, err := c.Call(context.Background(), "test.echo", strings.Repeat("x", 10000))
	var he *xmlrpc.HTTPError
	if !errors.As(err, &he) || he.StatusCode != 413 {
		t.Errorf("oversized body: %v, want 413", err)
	}
	if _, err := c.Call(context.Background(), "test.echo", "small"); err != nil {
		t.Errorf("next call: %v", err)
	}
}

// python returns Supervisor 4.2's interpreter, or skips.
func python(t *testing.T) string {
	t.Helper()
	const py = "/usr/bin/python3"
	if _, err := os.Stat(py); err != nil {
		t.Skip("skipping: /usr/bin/python3 not installed (Supervisor 4.2 oracle absent)")
	}
	if exec.Command(py, "-c", "import supervisor.xmlrpc").Run() != nil {
		t.Skip("skipping: Supervisor 4.2's python module not importable")
	}
	return py
}

const pyClient = `
import sys, datetime, xmlrpc.client
from supervisor.xmlrpc import SupervisorTransport
url, user, pw = sys.argv[1], sys.argv[2] or None, sys.argv[3] or None
proxy = xmlrpc.client.ServerProxy('http://127.0.0.1', transport=SupervisorTransport(user, pw, url))
vals = [1, -2147483648, True, False, 'a<b&c>"\'', '', 'caf\u00e9 \U0001F600', 2.5, [1, ['x']], {'k': {'n': []}},
        datetime.datetime(2024, 1, 2, 3, 4, 5), 'line\nline\ttab']
for v in vals:
    got = proxy.test.echo(v)
    if isinstance(v, datetime.datetime):
        assert got.value == v.strftime('%Y%m%dT%H:%M:%S'), (v, got)
    else:
        assert got == v, (v, got)
assert proxy.test.echo(xmlrpc.client.Binary(b'hi')) == 'hi'  # Supervisor decodes base64 params to str
info = proxy.test.info()
assert list(info.items()) == [('name', 'cat'), ('state', 20), ('pid', 42)], info
try:
    proxy.test.fault()
    raise SystemExit('no fault')
except xmlrpc.client.Fault as f:
    assert (f.faultCode, f.faultString) == (10, 'BAD_NAME: foo'), f
try:
    proxy.test.echo()
    raise SystemExit('no fault')
except xmlrpc.client.Fault as f:
    assert (f.faultCode, f.faultString) == (2, 'INCORRECT_PARAMETERS'), f
try:
    proxy.supervisor.nope()
    raise SystemExit('no fault')
except xmlrpc.client.Fault as f:
    assert f.faultCode == 1, f
m = xmlrpc.client.MultiCall(proxy)
m.test.echo('a'); m.test.fault(); m.test.echo(5)
res = proxy.system.multicall([{'methodName': 'test.echo', 'params': ['a']}, {'methodName': 'test.fault', 'params': []}])
assert res == ['a', {'faultCode': 10, 'faultString': 'BAD_NAME: foo'}], res
print('OK')
`

// Python's real xmlrpc.client, through Supervisor's own transport (the one
// supervisorctl uses), talks to our servers over TCP and the unix socket.
func TestPythonClient(t *testing.T) {
	py := python(t)
	u := unixConf(t)
	inet := inetConf()
	inet.Username, inet.Password = "user", "{SHA}a94a8fe5ccb19ba61c4c0873d391e987982fbbd3"
	s := start(t, Options{Unix: u, Inet: inet})
	for _, tc := range []struct{ url, user, pass string }{
		{"unix://" + u.File, "", ""},
		{inetURL(s), "user", "test"},
	} {
		out, err := exec.Command(py, "-c", pyClient, tc.url, tc.user, tc.pass).CombinedOutput()
		if err != nil || strings.TrimSpace(string(out)) != "OK" {
			t.Errorf("%s: %v\n%s", tc.url, err, out)
		}
	}
	// And the 401 reaches Python as supervisorctl expects it: ProtocolError 401.
	script := `
import sys, xmlrpc.client
from supervisor.xmlrpc import SupervisorTransport
p = xmlrpc.client.ServerProxy('http://127.0.0.1', transport=SupervisorTransport('user', 'wrong', sys.argv[1]))
try:
    p.test.echo(1)
except xmlrpc.client.ProtocolError as e:
    print(e.errcode)
`
	out, err := exec.Command(py, "-c", script, inetURL(s)).CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "401" {
		t.Errorf("wrong password: %v\n%s", err, out)
	}
}

// /healthz and /readyz answer without credentials (probes carry none);
// everything else, /metrics and paths merely starting like a probe
// included, stays behind the auth.
func TestProbesBypassAuth(t *testing.T) {
	inet := inetConf()
	inet.Username, inet.Password = "user", "secret"
	answer := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, r.URL.Path) })
	s := start(t, Options{Inet: inet, Routes: []Route{{"/", answer}}})
	for _, c := range []struct {
		method, path string
		want         int
	}{
		{"GET", "/healthz", 200}, {"HEAD", "/healthz", 200}, {"GET", "/readyz", 200},
		{"POST", "/healthz", 401}, {"GET", "/metrics", 401}, {"GET", "/healthz/x", 401},
		{"GET", "/readyzz", 401}, {"GET", "/index.html", 401}, {"GET", "/RPC2", 401},
	} {
		req, _ := http.NewRequest(c.method, inetURL(s)+c.path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != c.want {
			t.Errorf("%s %s without credentials: %d, want %d", c.method, c.path, resp.StatusCode, c.want)
		}
	}
}
