package e2e

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"super/core/testbin"
	"super/core/xmlrpc"
)

// Health checks of the real daemon: for each probe kind, a program whose
// check starts failing is reported unhealthy in the activity log and
// restarted (a new pid), and its health goes healthy → unhealthy →
// starting/healthy again; with healthcheck_action=none it keeps its pid;
// failures within healthcheck_start_period do not count.

// slowStop is a program that takes a moment to stop on SIGTERM, so the
// unhealthy verdict can be seen before it is spawned again.
const slowStop = `/bin/sh -c 'trap "sleep 0.3; exit 0" TERM; while :; do sleep 0.05; done'`

// startChecked runs our daemon (loglevel debug, for the health lines) with
// one program "app" checked by check; extra is more [program:app] keys.
func startChecked(t *testing.T, check, extra string) *testbin.Daemon {
	t.Helper()
	dir := t.TempDir()
	conf := strings.Replace(testbin.BaseConf(dir), "[supervisord]\n", "[supervisord]\nloglevel=debug\n", 1) +
		fmt.Sprintf(`[program:app]
command=%s
startsecs=0
healthcheck=%s
healthcheck_interval=0.2
healthcheck_timeout=1
healthcheck_retries=2
%s
`, slowStop, check, extra)
	return testbin.StartConf(t, false, dir, conf)
}

// watcher reads a process's health: through super.getProcessHealth when
// the daemon has it, and always from the activity log, where a spawn
// starts over ("spawned:"), and "is healthy" (DEBUG) and "is unhealthy"
// (WARN) are the verdicts.
type watcher struct {
	d      *testbin.Daemon
	name   string
	client *xmlrpc.Client
	rpc    bool
}

func watch(t *testing.T, d *testbin.Daemon, name string) *watcher {
	t.Helper()
	w := &watcher{d: d, name: name, client: d.Client(t)}
	methods, _ := d.Call(t, "system.listMethods").([]any)
	for _, m := range methods {
		if m == "super.getProcessHealth" {
			w.rpc = true
		}
	}
	t.Logf("health read through super.getProcessHealth: %v", w.rpc)
	return w
}

// now returns "health/pid" as the daemon reports them (RPC only).
func (w *watcher) now() (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	h, err := w.client.Call(ctx, "super.getProcessHealth", w.name)
	if err != nil {
		return "", err
	}
	info, err := w.client.Call(ctx, "supervisor.getProcessInfo", w.name)
	if err != nil {
		return "", err
	}
	hs, _ := h.(map[string]any)
	is, _ := info.(map[string]any)
	return fmt.Sprintf("%v/%v", hs["health"], is["pid"]), nil
}

// logged is the health sequence the activity log tells, as "health/pid".
func (w *watcher) logged() []string {
	spawned := regexp.MustCompile(`^\S+ \S+ INFO spawned: '` + regexp.QuoteMeta(w.name) + `' with pid (\d+)$`)
	var out []string
	pid := "0"
	for _, line := range strings.Split(w.d.Log(), "\n") {
		switch {
		case spawned.MatchString(line):
			pid = spawned.FindStringSubmatch(line)[1]
			out = append(out, "starting/"+pid)
		case strings.HasSuffix(line, " DEBG "+w.name+" is healthy"):
			out = append(out, "healthy/"+pid)
		case strings.Contains(line, " WARN "+w.name+" is unhealthy: "):
			out = append(out, "unhealthy/"+pid)
		}
	}
	return out
}

// current is the health and pid now: from RPC when there, else the last
// thing the log says.
func (w *watcher) current(t *testing.T) string {
	t.Helper()
	if w.rpc {
		s, err := w.now()
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	l := w.logged()
	if len(l) == 0 {
		return ""
	}
	return l[len(l)-1]
}

func (w *watcher) waitFor(t *testing.T, what string, cond func(health string, pid int) bool) (string, int) {
	t.Helper()
	var h string
	var pid int
	if err := testbin.Poll(15*time.Second, func() bool {
		cur := w.current(t)
		hs, ps, _ := strings.Cut(cur, "/")
		h = hs
		pid, _ = strconv.Atoi(ps)
		return cond(h, pid)
	}); err != nil {
		t.Fatalf("%s: %s (last %s/%d)\nlog:\n%s", what, err, h, pid, w.d.Log())
	}
	return h, pid
}

// trail polls the RPC health while the process breaks and recovers, and
// returns what it saw in order.
func (w *watcher) trail() (stop func() []string) {
	if !w.rpc {
		return func() []string { return nil }
	}
	var mu sync.Mutex
	var seen []string
	done := make(chan struct{})
	ended := make(chan struct{})
	go func() {
		defer close(ended)
		for stopped := false; !stopped; {
			// A pause between samples keeps the daemon's CPU for the
			// daemon; one more sample after the stop records the state
			// the caller waited for.
			select {
			case <-done:
				stopped = true
			case <-time.After(2 * time.Millisecond):
			}
			if s, err := w.now(); err == nil {
				mu.Lock()
				if len(seen) == 0 || seen[len(seen)-1] != s {
					seen = append(seen, s)
				}
				mu.Unlock()
			}
		}
	}()
	return func() []string {
		close(done)
		<-ended
		return seen
	}
}

// inOrder reports whether seen holds entries matching each of want, in
// order; a want is "health/pid", "health/!pid" (any other pid), or with
// several healths "starting|healthy/…".
func inOrder(seen []string, want ...string) bool {
	i := 0
	for _, s := range seen {
		if i == len(want) {
			break
		}
		h, p, _ := strings.Cut(s, "/")
		wh, wp, _ := strings.Cut(want[i], "/")
		okH := false
		for _, x := range strings.Split(wh, "|") {
			okH = okH || x == h
		}
		okP := wp == p || (strings.HasPrefix(wp, "!") && wp[1:] != p && p != "0")
		if okH && okP {
			i++
		}
	}
	return i == len(want)
}

// breakAndRecover checks one kind: app is healthy, breaks, is restarted
// with a new pid, and is healthy again once fixed.
func breakAndRecover(t *testing.T, d *testbin.Daemon, unhealthyLine string, breakIt, fixIt func()) {
	t.Helper()
	w := watch(t, d, "app")
	d.WaitState(t, "app", "RUNNING", 10*time.Second)
	_, first := w.waitFor(t, "healthy at first", func(h string, pid int) bool { return h == "healthy" && pid > 0 })
	stop := w.trail()
	breakIt()
	d.WaitLog(t, unhealthyLine, 15*time.Second)
	w.waitFor(t, "a new pid", func(h string, pid int) bool { return pid > 0 && pid != first })
	// The new child's first probe fails too (the first child's first
	// failure was the other "1 of 2"): it is starting for an interval at
	// least, long enough to be seen. Then the check may pass again.
	if err := testbin.Poll(15*time.Second, func() bool {
		return strings.Count(d.Log(), "DEBG app failed a health check (1 of 2)") >= 2
	}); err != nil {
		t.Fatalf("the new child was not probed: %v\n%s", err, d.Log())
	}
	fixIt()
	_, last := w.waitFor(t, "healthy again", func(h string, pid int) bool { return h == "healthy" && pid > 0 && pid != first })
	seen := stop()
	f, l := strconv.Itoa(first), strconv.Itoa(last)
	if w.rpc && !inOrder(seen, "healthy/"+f, "unhealthy/"+f, "starting/!"+f, "healthy/"+l) {
		t.Errorf("super.getProcessHealth went %v", seen)
	}
	if logged := w.logged(); !inOrder(logged, "starting/"+f, "healthy/"+f, "unhealthy/"+f, "starting/!"+f, "healthy/"+l) {
		t.Errorf("the activity log tells %v\n%s", logged, d.Log())
	}
	// 4.2's restart lines follow the verdict.
	log := d.Log()
	warn := strings.Index(log, unhealthyLine)
	stopped := strings.Index(log, "INFO stopped: app (exit status 0)")
	spawned := strings.LastIndex(log, "INFO spawned: 'app' with pid ")
	if !(warn >= 0 && warn < stopped && stopped < spawned) {
		t.Errorf("no stop and spawn after the verdict:\n%s", log)
	}
	if strings.Contains(log, "reaped unknown pid") {
		t.Errorf("the reaper took a health check's child:\n%s", log)
	}
}

func TestHealthHTTPRestartsUnhealthy(t *testing.T) {
	var code atomic.Int32
	code.Store(200)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(int(code.Load()))
	}))
	defer srv.Close()
	d := startChecked(t, srv.URL+"/healthz", "")
	breakAndRecover(t, d,
		fmt.Sprintf("WARN app is unhealthy: GET %s/healthz: HTTP 500 Internal Server Error", srv.URL),
		func() { code.Store(500) }, func() { code.Store(200) })
}

func TestHealthTCPRestartsUnhealthy(t *testing.T) {
	var mu sync.Mutex
	listen := func(addr string) net.Listener {
		l, err := net.Listen("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		go acceptAndClose(l)
		return l
	}
	l := listen("127.0.0.1:0")
	addr := l.Addr().String()
	defer func() { mu.Lock(); l.Close(); mu.Unlock() }()
	d := startChecked(t, "tcp://"+addr, "")
	breakAndRecover(t, d, "WARN app is unhealthy: dial tcp "+addr+": connect: connection refused",
		func() { mu.Lock(); l.Close(); mu.Unlock() },
		func() { mu.Lock(); l = listen(addr); mu.Unlock() })
}

func TestHealthExecRestartsUnhealthy(t *testing.T) {
	flag := filepath.Join(t.TempDir(), "ok")
	if err := os.WriteFile(flag, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	// The check runs with the program's environment: APP_FLAG comes from
	// environment=.
	check := `/bin/sh -c 'test -e "$APP_FLAG" || { echo "no $APP_FLAG"; exit 1; }'`
	d := startChecked(t, check, "environment=APP_FLAG=\""+flag+"\"")
	breakAndRecover(t, d, "WARN app is unhealthy: no "+flag,
		func() { os.Remove(flag) },
		func() { os.WriteFile(flag, nil, 0o644) })
}

// healthcheck_action=none: the verdict is reported, the process keeps
// running with its pid.
func TestHealthActionNoneKeepsProcess(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go acceptAndClose(l)
	d := startChecked(t, "tcp://"+l.Addr().String(), "healthcheck_action=none")
	w := watch(t, d, "app")
	d.WaitState(t, "app", "RUNNING", 10*time.Second)
	_, first := w.waitFor(t, "healthy", func(h string, pid int) bool { return h == "healthy" && pid > 0 })
	l.Close()
	d.WaitLog(t, "WARN app is unhealthy: dial tcp "+l.Addr().String()+": connect: connection refused", 15*time.Second)
	w.waitFor(t, "unhealthy", func(h string, pid int) bool { return h == "unhealthy" })
	// Further failed probes change nothing: same pid, RUNNING, one WARN.
	if err := testbin.Poll(15*time.Second, func() bool {
		return strings.Count(d.Log(), "DEBG app failed a health check") >= 5
	}); err != nil {
		t.Fatalf("no more probes: %v\n%s", err, d.Log())
	}
	info, _ := d.Call(t, "supervisor.getProcessInfo", "app").(map[string]any)
	if info["statename"] != "RUNNING" || info["pid"] != first {
		t.Errorf("with action=none: %v (first pid %d)", info, first)
	}
	log := d.Log()
	if n := strings.Count(log, "WARN app is unhealthy"); n != 1 {
		t.Errorf("%d unhealthy lines:\n%s", n, log)
	}
	if strings.Count(log, "INFO spawned: 'app'") != 1 {
		t.Errorf("restarted with action=none:\n%s", log)
	}
	if w.rpc {
		h, _ := d.Call(t, "super.getProcessHealth", "app").(map[string]any)
		if h["health"] != "unhealthy" || !strings.Contains(fmt.Sprint(h["output"]), "refused") {
			t.Errorf("super.getProcessHealth: %v", h)
		}
	}
}

// Failures within healthcheck_start_period do not count.
func TestHealthStartPeriodForgivesFailures(t *testing.T) {
	d := startChecked(t, "false", "healthcheck_retries=1\nhealthcheck_start_period=60")
	w := watch(t, d, "app")
	d.WaitState(t, "app", "RUNNING", 10*time.Second)
	if err := testbin.Poll(15*time.Second, func() bool {
		return strings.Count(d.Log(), "DEBG app failed a health check (0 of 1): exit status 1") >= 4
	}); err != nil {
		t.Fatalf("no failed probes: %v\n%s", err, d.Log())
	}
	log := d.Log()
	if strings.Contains(log, "is unhealthy") || strings.Count(log, "INFO spawned: 'app'") != 1 {
		t.Errorf("a failure within the start period counted:\n%s", log)
	}
	if w.rpc {
		h, _ := d.Call(t, "super.getProcessHealth", "app").(map[string]any)
		if h["health"] != "starting" || h["failures"] != 0 || h["output"] != "exit status 1" {
			t.Errorf("super.getProcessHealth: %v", h)
		}
	}
}

// acceptAndClose answers a TCP health check: every connection is accepted
// and closed, until l is closed.
func acceptAndClose(l net.Listener) {
	for {
		c, err := l.Accept()
		if err != nil {
			return
		}
		c.Close()
	}
}
