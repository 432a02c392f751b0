package health

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"super/core/config"
)

// serve runs an HTTP server on 127.0.0.1 answering with *code (and a
// Location header for 3xx); it counts the requests.
func serve(t *testing.T, code *atomic.Int32, hits *atomic.Int32) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		c := int(code.Load())
		if c >= 300 && c < 400 {
			w.Header().Set("Location", "/elsewhere")
		}
		w.WriteHeader(c)
		fmt.Fprintln(w, "body")
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestHTTP(t *testing.T) {
	var code, hits atomic.Int32
	srv := serve(t, &code, &hits)
	p := NewHTTP(srv.URL+"/health", time.Second)
	for _, tc := range []struct {
		code int
		ok   bool
	}{
		{200, true}, {204, true}, {299, true},
		// 3xx passes and is not followed: the redirect target would answer
		// once more (hits counts it).
		{301, true}, {302, true}, {399, true},
		{400, false}, {404, false}, {500, false}, {503, false},
	} {
		code.Store(int32(tc.code))
		before := hits.Load()
		r := p.Check(context.Background())
		if r.OK != tc.ok {
			t.Errorf("HTTP %d: ok=%v (%q), want %v", tc.code, r.OK, r.Output, tc.ok)
		}
		if n := hits.Load() - before; n != 1 {
			t.Errorf("HTTP %d: %d requests, want 1 (no redirect followed)", tc.code, n)
		}
		if !tc.ok && !strings.Contains(r.Output, "HTTP "+strconv.Itoa(tc.code)) {
			t.Errorf("HTTP %d: output %q", tc.code, r.Output)
		}
		if tc.ok && r.Output != "" {
			t.Errorf("HTTP %d: output %q on a pass", tc.code, r.Output)
		}
	}
}

// Every probe closes its connection: the server sees no connection left
// open once the probes are done.
func TestHTTPLeavesNoConnection(t *testing.T) {
	var open atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	srv.Config.ConnState = func(c net.Conn, s http.ConnState) {
		switch s {
		case http.StateNew:
			open.Add(1)
		case http.StateClosed, http.StateHijacked:
			open.Add(-1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	p := NewHTTP(srv.URL, time.Second)
	for range 5 {
		if r := p.Check(context.Background()); !r.OK {
			t.Fatalf("probe failed: %q", r.Output)
		}
	}
	if err := poll(5*time.Second, func() bool { return open.Load() == 0 }); err != nil {
		t.Fatalf("%d connections still open after the probes", open.Load())
	}
}

func TestHTTPTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })
	p := NewHTTP(srv.URL, 200*time.Millisecond)
	begin := time.Now()
	r := p.Check(context.Background())
	if r.OK || !strings.Contains(r.Output, "timed out after 0.2s") {
		t.Errorf("a hanging server: %+v", r)
	}
	if d := time.Since(begin); d > 5*time.Second {
		t.Errorf("the probe took %v with a 0.2s timeout", d)
	}
}

func TestHTTPRefused(t *testing.T) {
	addr := closedPort(t)
	r := NewHTTP("http://"+addr+"/", time.Second).Check(context.Background())
	if r.OK || !strings.Contains(r.Output, "refused") {
		t.Errorf("nothing listening: %+v", r)
	}
}

// closedPort is a 127.0.0.1 address where nothing listens (any more).
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

func TestTCP(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	accepted := make(chan struct{}, 10)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.Close()
			accepted <- struct{}{}
		}
	}()
	p := NewTCP(l.Addr().String(), time.Second)
	if r := p.Check(context.Background()); !r.OK || r.Output != "" {
		t.Fatalf("listening: %+v", r)
	}
	select {
	case <-accepted:
	case <-time.After(5 * time.Second):
		t.Fatal("the probe's connection never reached the listener")
	}
	l.Close()
	if r := p.Check(context.Background()); r.OK || !strings.Contains(r.Output, "refused") {
		t.Errorf("closed: %+v", r)
	}
}

func TestCancelledProbeFails(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	for _, p := range []Probe{NewTCP(l.Addr().String(), time.Second), NewHTTP("http://"+l.Addr().String(), time.Second), cmd(t, "true", time.Second, nil)} {
		if r := p.Check(ctx); r.OK {
			t.Errorf("%T passed with a cancelled context", p)
		}
	}
}

// cmd is an exec probe for a program running in dir with env.
func cmd(t *testing.T, line string, timeout time.Duration, mod func(*config.ProcessConfig), env ...string) *Command {
	t.Helper()
	prog := &config.ProcessConfig{Name: "prog", Group: "prog", UID: -1, GID: -1, Umask: -1, Directory: t.TempDir()}
	if mod != nil {
		mod(prog)
	}
	return NewCommand(line, timeout, Exec{Program: prog, Env: append([]string{"PATH=" + os.Getenv("PATH")}, env...)})
}

func TestCommand(t *testing.T) {
	for _, tc := range []struct {
		line   string
		ok     bool
		output string
	}{
		{"true", true, ""},
		{"/bin/sh -c 'exit 0'", true, ""},
		{"/bin/sh -c 'echo all good'", true, ""},
		{"/bin/sh -c 'exit 1'", false, "exit status 1"},
		{"false", false, "exit status 1"},
		{"/bin/sh -c 'echo \"  not ready \"; exit 3'", false, "not ready"},
		{"/bin/sh -c 'echo out; echo err >&2; exit 1'", false, "out\nerr"},
		{"/bin/sh -c 'kill -9 $$'", false, "terminated by SIGKILL"},
		{"/bin/sh -c 'exit 1' extra", false, "exit status 1"},
		{"no-such-check-command", false, "can't find command 'no-such-check-command'"},
		{"/bin/sh -c 'unterminated", false, "can't parse command"},
	} {
		r := cmd(t, tc.line, 5*time.Second, nil).Check(context.Background())
		if r.OK != tc.ok || !strings.Contains(r.Output, tc.output) || (tc.ok && r.Output != "") {
			t.Errorf("%s: %+v, want ok=%v output %q", tc.line, r, tc.ok, tc.output)
		}
	}
}

// The output kept is the first MaxOutput bytes, however much is written.
func TestCommandOutputBounded(t *testing.T) {
	r := cmd(t, `/bin/sh -c 'yes 0123456789 | head -c 1000000; exit 2'`, 10*time.Second, nil).Check(context.Background())
	if r.OK || len(r.Output) != MaxOutput || !strings.HasPrefix(r.Output, "0123456789\n0123456789") {
		t.Errorf("%d bytes: %.40q", len(r.Output), r.Output)
	}
}

// The command runs in the program's directory with the environment given,
// its argv split as command= is.
func TestCommandEnvironmentAndDirectory(t *testing.T) {
	dir := t.TempDir()
	line := fmt.Sprintf(`/bin/sh -c 'test "$CHECK_VAR" = "a b" && test "$(pwd -P)" = "$(cd %s && pwd -P)" || { echo "$CHECK_VAR in $(pwd)"; exit 1; }'`, dir)
	p := cmd(t, line, 5*time.Second, func(c *config.ProcessConfig) { c.Directory = dir }, "CHECK_VAR=a b")
	if r := p.Check(context.Background()); !r.OK {
		t.Errorf("%+v", r)
	}
	// And a failing one, to show the check does look.
	p = cmd(t, line, 5*time.Second, nil, "CHECK_VAR=other")
	if r := p.Check(context.Background()); r.OK || !strings.HasPrefix(r.Output, "other in ") {
		t.Errorf("%+v", r)
	}
}

// A PATH in the program's environment= finds the check command, as it
// finds command=.
func TestCommandUsesProgramPath(t *testing.T) {
	dir := t.TempDir()
	script := filepath.Join(dir, "mycheck")
	if err := os.WriteFile(script, []byte("#!/bin/sh\necho from mycheck\nexit 4\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	r := cmd(t, "mycheck", 5*time.Second, func(c *config.ProcessConfig) {
		c.Environment = map[string]string{"PATH": dir}
	}).Check(context.Background())
	if r.OK || r.Output != "from mycheck" {
		t.Errorf("%+v", r)
	}
}

// A check that hangs is killed with its whole process group when the
// timeout passes.
func TestCommandTimeoutKillsGroup(t *testing.T) {
	dir := t.TempDir()
	pids := filepath.Join(dir, "pids")
	line := fmt.Sprintf(`/bin/sh -c 'sleep 60 & echo $! > %s.tmp; mv %s.tmp %s; wait'`, pids, pids, pids)
	begin := time.Now()
	r := cmd(t, line, 300*time.Millisecond, nil).Check(context.Background())
	if r.OK || !strings.Contains(r.Output, "timed out after 0.3s") {
		t.Errorf("%+v", r)
	}
	if d := time.Since(begin); d > 5*time.Second {
		t.Errorf("the probe took %v with a 0.3s timeout", d)
	}
	b, err := os.ReadFile(pids)
	if err != nil {
		t.Fatal(err)
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	if err := poll(5*time.Second, func() bool { return !running(pid) }); err != nil {
		t.Errorf("the check's child %d survived the timeout", pid)
	}
}

// A background child that keeps the output pipe open does not hold the
// probe once the command itself has exited.
func TestCommandBackgroundChildDoesNotHold(t *testing.T) {
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "pid")
	line := fmt.Sprintf(`/bin/sh -c 'sleep 30 & echo $! > %s; echo bye; exit 1'`, pidFile)
	begin := time.Now()
	r := cmd(t, line, 10*time.Second, nil).Check(context.Background())
	if d := time.Since(begin); d > 5*time.Second {
		t.Errorf("the probe took %v", d)
	}
	if r.OK || r.Output != "bye" {
		t.Errorf("%+v", r)
	}
	if b, err := os.ReadFile(pidFile); err == nil {
		if pid, _ := strconv.Atoi(strings.TrimSpace(string(b))); pid > 0 {
			syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}

// With an outside reaper (Children.Wait4 as the supervisor's loop calls
// it), probe children are never returned to that reaper and each probe
// still gets its own status.
func TestChildrenWithOutsideReaper(t *testing.T) {
	kids := &Children{}
	stop := make(chan struct{})
	stray := make(chan int, 100)
	reaperDone := make(chan struct{})
	go func() {
		defer close(reaperDone)
		for {
			var ws syscall.WaitStatus
			pid, err := kids.Wait4(&ws)
			if err == nil && pid > 0 {
				stray <- pid
				continue
			}
			select {
			case <-stop:
				return
			case <-time.After(time.Millisecond):
			}
		}
	}()
	for i, tc := range []struct {
		line string
		ok   bool
		out  string
	}{
		{"true", true, ""},
		{"/bin/sh -c 'exit 7'", false, "exit status 7"},
		{"/bin/sh -c 'echo x; exit 1'", false, "x"},
		{"/bin/sh -c 'sleep 0.05'", true, ""},
	} {
		p := cmd(t, tc.line, 5*time.Second, nil)
		p.ex.Children = kids
		for range 5 {
			r := p.Check(context.Background())
			if r.OK != tc.ok || r.Output != tc.out {
				t.Fatalf("%d %s: %+v", i, tc.line, r)
			}
		}
	}
	// A timeout with the outside reaper: the kill finds the child.
	p := cmd(t, "sleep 60", 200*time.Millisecond, nil)
	p.ex.Children = kids
	if r := p.Check(context.Background()); r.OK || !strings.Contains(r.Output, "timed out") {
		t.Errorf("timeout: %+v", r)
	}
	close(stop)
	<-reaperDone
	select {
	case pid := <-stray:
		t.Errorf("the reaper was handed probe child %d", pid)
	default:
	}
}

// Close kills and collects a probe's command when the reaper has stopped,
// and the probe returns; later probes fail at once.
func TestChildrenClose(t *testing.T) {
	kids := &Children{}
	p := cmd(t, "sleep 60", 30*time.Second, nil)
	p.ex.Children = kids
	res := make(chan Result, 1)
	go func() { res <- p.Check(context.Background()) }()
	if err := poll(5*time.Second, func() bool {
		kids.mu.Lock()
		defer kids.mu.Unlock()
		return len(kids.waiting) == 1
	}); err != nil {
		t.Fatal("the probe never started")
	}
	kids.Close()
	select {
	case r := <-res:
		if r.OK || r.Output != "terminated by SIGKILL" {
			t.Errorf("%+v", r)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the probe did not return after Close")
	}
	if r := p.Check(context.Background()); r.OK || !strings.Contains(r.Output, "stopping") {
		t.Errorf("after Close: %+v", r)
	}
}

func TestNew(t *testing.T) {
	for _, tc := range []struct {
		hc   config.HealthCheck
		want string
	}{
		{config.HealthCheck{Kind: config.HealthHTTP, Target: "http://127.0.0.1:1/"}, "*health.HTTP"},
		{config.HealthCheck{Kind: config.HealthTCP, Target: "127.0.0.1:1"}, "*health.TCP"},
		{config.HealthCheck{Kind: config.HealthExec, Target: "true"}, "*health.Command"},
	} {
		if got := fmt.Sprintf("%T", New(&tc.hc, Exec{})); got != tc.want {
			t.Errorf("%v: %s, want %s", tc.hc.Kind, got, tc.want)
		}
	}
}

func running(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	s := string(b)
	return s[strings.LastIndexByte(s, ')')+2] != 'Z'
}

func poll(d time.Duration, cond func() bool) error {
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			return fmt.Errorf("not within %v", d)
		}
		time.Sleep(5 * time.Millisecond)
	}
	return nil
}
