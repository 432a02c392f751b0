package e2e

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"super/core/testbin"
)

// Readiness notification (notify=true) and the watchdog (watchdog_secs)
// on the real daemon, with real clients of the protocol: Debian's
// systemd-notify (libsystemd's sd_notify, with its BARRIER=1 descriptor)
// and a Go sender written as coreos/go-systemd's daemon.SdNotify is (a
// unixgram Dial and one Write per message).

// needSystemdNotify is the path of systemd-notify (Debian's systemd
// package; CI installs it and sets SUPER_REQUIRE_TOOLS, so there the test
// fails instead of skipping).
func needSystemdNotify(t *testing.T) string {
	t.Helper()
	return testbin.NeedTool(t, "systemd-notify", "systemd")
}

// sdNotify sends one message as go-systemd's daemon.SdNotify does.
func sdNotify(state string) error {
	addr := os.Getenv("NOTIFY_SOCKET")
	if addr == "" {
		return fmt.Errorf("no NOTIFY_SOCKET")
	}
	conn, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: addr, Net: "unixgram"})
	if err != nil {
		return err
	}
	defer conn.Close()
	_, err = conn.Write([]byte(state))
	return err
}

// goNotify is the "gonotify GOFILE STOPFILE OUTFILE" helper, a daemon
// using the Go client: it records its pid and watchdog variables in
// OUTFILE, sends STATUS=, waits for GOFILE, sends READY=1, then pings the
// watchdog every WATCHDOG_USEC/4, appending "ping" to OUTFILE each time,
// until STOPFILE exists; then it only waits for TERM.
func goNotify(args []string) int {
	goFile, stopFile, out := args[0], args[1], args[2]
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM)
	appendLine(out, fmt.Sprintf("pid %d wdpid %s usec %s", os.Getpid(), os.Getenv("WATCHDOG_PID"), os.Getenv("WATCHDOG_USEC")))
	if err := sdNotify("STATUS=waiting for the go file"); err != nil {
		appendLine(out, "error "+err.Error())
		return 3
	}
	for !exists(goFile) {
		time.Sleep(20 * time.Millisecond)
	}
	if err := sdNotify("READY=1\nSTATUS=serving"); err != nil {
		appendLine(out, "error "+err.Error())
		return 3
	}
	usec, _ := strconv.Atoi(os.Getenv("WATCHDOG_USEC"))
	every := time.Duration(usec) * time.Microsecond / 4
	for every > 0 && !exists(stopFile) {
		sdNotify("WATCHDOG=1")
		appendLine(out, "ping")
		select {
		case <-sigs:
			return 0
		case <-time.After(every):
		}
	}
	<-sigs
	return 0
}

func exists(p string) bool { _, err := os.Stat(p); return err == nil }

// unixGet fetches path from the daemon's unix socket (web UI, /metrics).
func unixGet(t *testing.T, d *testbin.Daemon, path string) string {
	t.Helper()
	c := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "unix", d.Sock)
	}}, Timeout: 10 * time.Second}
	resp, err := c.Get("http://localhost" + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func ctlStatus(t *testing.T, d *testbin.Daemon, name string) string {
	t.Helper()
	out, _ := exec.Command(testbin.Path(t, "supervisorctl"), "-c", d.Conf, "status", name).CombinedOutput()
	return strings.TrimSpace(string(out))
}

func notifyInfo(t *testing.T, d *testbin.Daemon, name string) map[string]any {
	t.Helper()
	m, _ := d.Call(t, "super.getProcessNotify", name).(map[string]any)
	return m
}

// A notify=true program run by a shell script that uses systemd-notify
// stays STARTING (its dependents waiting) until it sends READY=1, however
// long past startsecs' usual second; its STATUS= texts show in
// supervisorctl status, super.getProcessNotify and the web UI; and
// systemd-notify --ready succeeds (its barrier descriptor is closed).
func TestNotifyReadyWithSystemdNotify(t *testing.T) {
	sn := needSystemdNotify(t)
	dir := t.TempDir()
	goFile, rc := filepath.Join(dir, "go"), filepath.Join(dir, "rc")
	conf := testbin.BaseConf(dir) + fmt.Sprintf(`
[program:app]
command=/bin/sh -c '%[1]s --status="loading data"; while [ ! -e %[2]s ]; do sleep 0.02; done; %[1]s --ready --status="ready for clients"; echo $? > %[3]s; exec sleep 300'
notify=true
startsecs=60
[program:web]
command=/bin/sh -c 'exec sleep 300'
startsecs=0
depends_on=app
[program:descendant]
command=/bin/sh -c '%[4]s; exit 0'
notify=true
startsecs=60
stopasgroup=true
`, sn, goFile, rc, helperCmd(t, "gonotify", goFile, filepath.Join(dir, "nostop"), filepath.Join(dir, "descendant.out")))
	d := testbin.StartConf(t, false, dir, conf)
	waitFor(t, 10*time.Second, "app's first STATUS=", func() bool { return notifyInfo(t, d, "app")["status"] == "loading data" })
	if st := d.StateOf(t, "app"); st != "STARTING" {
		t.Fatalf("app is %s before READY=1, want STARTING", st)
	}
	if st := d.StateOf(t, "web"); st != "STOPPED" {
		t.Errorf("web (depends_on=app) is %s while app waits for READY=1, want STOPPED", st)
	}
	if got := ctlStatus(t, d, "app"); !strings.HasSuffix(got, "STARTING  status: loading data") {
		t.Errorf("supervisorctl status app: %q", got)
	}
	if err := os.WriteFile(goFile, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	d.WaitState(t, "app", "RUNNING", 10*time.Second)
	waitLog(t, d, `^success: app entered RUNNING state, process reported ready \(READY=1\)$`, 1, 5*time.Second)
	d.WaitState(t, "web", "RUNNING", 10*time.Second)
	waitFor(t, 10*time.Second, "systemd-notify's exit status", func() bool { return len(lines(rc)) > 0 })
	if got := lines(rc); got[0] != "0" {
		t.Errorf("systemd-notify --ready exited %s (its BARRIER=1 descriptor must be closed)", got[0])
	}
	if got := notifyInfo(t, d, "app"); got["status"] != "ready for clients" || got["notify"] != true {
		t.Errorf("super.getProcessNotify(app) = %v", got)
	}
	if got := ctlStatus(t, d, "app"); !strings.Contains(got, "RUNNING   pid ") || !strings.HasSuffix(got, ", status: ready for clients") {
		t.Errorf("supervisorctl status app: %q", got)
	}
	if page := unixGet(t, d, "/"); !strings.Contains(page, ", status: ready for clients") {
		t.Errorf("the web UI's status page does not show app's STATUS=")
	}
	// The Go client run as a child of the program's shell: its READY=1
	// counts for the program, its ancestor.
	d.WaitState(t, "descendant", "RUNNING", 10*time.Second)
	if got := notifyInfo(t, d, "descendant")["status"]; got != "serving" {
		t.Errorf("descendant's status %q", got)
	}
	info, _ := d.Call(t, "supervisor.getProcessInfo", "descendant").(map[string]any)
	if got := lines(filepath.Join(dir, "descendant.out")); len(got) == 0 || strings.HasPrefix(got[0], fmt.Sprintf("pid %d ", info["pid"])) {
		t.Errorf("the sender %q is the program itself (pid %v), not its child", got, info["pid"])
	}
}

// A notify=true program that never sends READY=1: the start fails when
// startsecs pass (logged), BACKOFF, the retry, then FATAL, with the reason
// as the description. Datagrams from strangers (this test), oversized and
// malformed ones are dropped and counted, and change nothing.
func TestNotifyNeverReady(t *testing.T) {
	dir := t.TempDir()
	sockFile := filepath.Join(dir, "sock")
	conf := testbin.BaseConf(dir) + fmt.Sprintf(`
[program:mute]
command=/bin/sh -c 'echo "$NOTIFY_SOCKET" > %s; exec sleep 300'
notify=true
startsecs=1
startretries=1
`, sockFile)
	d := testbin.StartConf(t, false, dir, conf)
	waitFor(t, 10*time.Second, "mute's NOTIFY_SOCKET", func() bool { return len(lines(sockFile)) > 0 })
	addr := lines(sockFile)[0]
	// This test process is no descendant of mute: its READY=1 is a
	// stranger's. Then one too long, and one that is no notify message.
	conn, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: addr, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	for _, msg := range []string{"READY=1", strings.Repeat("X", 5000), "not a message"} {
		if _, err := conn.Write([]byte(msg)); err != nil {
			t.Fatal(err)
		}
	}
	conn.Close()
	waitLog(t, d, `^gave up: mute entered FATAL state, too many start retries too quickly$`, 1, 20*time.Second)
	all := parseLog(d.Log())
	spawned := find(all, `^spawned: 'mute' with pid `)
	late := find(all, `^mute did not send READY=1 within 1 seconds \(startsecs\); stopping it$`)
	if len(spawned) != 2 || len(late) != 2 {
		t.Fatalf("want 2 spawns and 2 late starts, log:\n%s", d.Log())
	}
	for i := range late {
		if gap := late[i].At.Sub(spawned[i].At); gap < 900*time.Millisecond {
			t.Errorf("start %d given up %v after its spawn, before startsecs=1", i+1, gap)
		}
		if late[i].Level != "WARN" {
			t.Errorf("level %s", late[i].Level)
		}
	}
	if len(find(all, `^entered RUNNING|^success: mute`)) != 0 {
		t.Errorf("mute reached RUNNING:\n%s", d.Log())
	}
	info, _ := d.Call(t, "supervisor.getProcessInfo", "mute").(map[string]any)
	if info["statename"] != "FATAL" || info["description"] != "no READY=1 within 1 seconds (startsecs)" {
		t.Errorf("mute: %v %q", info["statename"], info["description"])
	}
	metrics := unixGet(t, d, "/metrics")
	for _, want := range []string{`super_notify_dropped_total{reason="stranger"} 1`, `super_notify_dropped_total{reason="oversized"} 1`,
		`super_notify_dropped_total{reason="malformed"} 1`, "super_notify_datagrams_total 3"} {
		if !strings.Contains(metrics, want+"\n") {
			t.Errorf("/metrics lacks %q:\n%s", want, metrics)
		}
	}
}

// watchdog_secs with the Go client: the program sees WATCHDOG_USEC and
// its own pid as WATCHDOG_PID; while it pings it keeps running well past
// the timeout; once it stops, the timeout is logged and the program
// restarted (a new pid), and counted.
func TestWatchdogExpiry(t *testing.T) {
	dir := t.TempDir()
	goFile, stopFile, out := filepath.Join(dir, "go"), filepath.Join(dir, "stop"), filepath.Join(dir, "out")
	if err := os.WriteFile(goFile, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	conf := strings.Replace(testbin.BaseConf(dir), "[supervisord]\n", "[supervisord]\nloglevel=debug\n", 1) + fmt.Sprintf(`
[program:wd]
command=%s
notify=true
watchdog_secs=1
startsecs=10
`, helperCmd(t, "gonotify", goFile, stopFile, out))
	d := testbin.StartConf(t, false, dir, conf)
	d.WaitState(t, "wd", "RUNNING", 10*time.Second)
	info, _ := d.Call(t, "supervisor.getProcessInfo", "wd").(map[string]any)
	pid := int(info["pid"].(int))
	if got := lines(out); len(got) == 0 || got[0] != fmt.Sprintf("pid %d wdpid %d usec 1000000", pid, pid) {
		t.Fatalf("the program saw %q, want its pid %d as WATCHDOG_PID and WATCHDOG_USEC=1000000", got, pid)
	}
	// Ten pings at 0.25 s: 2.5 s of running on a 1 s watchdog.
	waitFor(t, 20*time.Second, "ten watchdog pings", func() bool { return strings.Count(strings.Join(lines(out), "\n"), "ping") >= 10 })
	if info, _ := d.Call(t, "supervisor.getProcessInfo", "wd").(map[string]any); info["statename"] != "RUNNING" || int(info["pid"].(int)) != pid {
		t.Fatalf("while pinging: %v pid %v, want RUNNING pid %d\n%s", info["statename"], info["pid"], pid, d.Log())
	}
	if strings.Contains(d.Log(), "watchdog timeout") {
		t.Fatalf("a watchdog timeout while the program pinged:\n%s", d.Log())
	}
	if err := os.WriteFile(stopFile, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	stopped := time.Now()
	expired := waitLog(t, d, `^wd watchdog timeout: no WATCHDOG=1 within 1s; restarting it$`, 1, 10*time.Second)
	if expired[0].Level != "WARN" {
		t.Errorf("level %s", expired[0].Level)
	}
	// The last ping came at most a ping's interval (0.25 s) before the
	// stop file, so the timeout, a second after it, is at least 0.75 s
	// after (the log's times are to the millisecond).
	if gap := expired[0].At.Sub(stopped); gap < 700*time.Millisecond {
		t.Errorf("timeout logged %v after the pings stopped: too early", gap)
	}
	waitFor(t, 10*time.Second, "wd running again with a new pid", func() bool {
		info, _ := d.Call(t, "supervisor.getProcessInfo", "wd").(map[string]any)
		return info["statename"] == "RUNNING" && int(info["pid"].(int)) != pid
	})
	if n := notifyInfo(t, d, "wd")["watchdog_timeouts"]; n.(int) < 1 {
		t.Errorf("watchdog_timeouts %v", n)
	}
	if m := unixGet(t, d, "/metrics"); !strings.Contains(m, `super_process_watchdog_timeouts_total{group="wd",name="wd"} `) {
		t.Errorf("/metrics has no watchdog timeouts for wd")
	}
}

// A flood of strangers', oversized and malformed datagrams is read,
// counted and dropped while the daemon keeps answering, and none of it
// moves the process it claims to be about.
func TestNotifyFlood(t *testing.T) {
	dir := t.TempDir()
	sockFile := filepath.Join(dir, "sock")
	conf := testbin.BaseConf(dir) + fmt.Sprintf(`
[program:waits]
command=/bin/sh -c 'echo "$NOTIFY_SOCKET" > %s; exec sleep 300'
notify=true
startsecs=0
`, sockFile)
	d := testbin.StartConf(t, false, dir, conf)
	waitFor(t, 10*time.Second, "the NOTIFY_SOCKET", func() bool { return len(lines(sockFile)) > 0 })
	conn, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: lines(sockFile)[0], Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	const n = 3000
	msgs := [][]byte{[]byte("READY=1\nSTATUS=forged"), make([]byte, 8000), []byte("READY=1\x00")}
	done := make(chan error, 1)
	go func() {
		for i := range n {
			if _, err := conn.Write(msgs[i%len(msgs)]); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	for range 20 {
		if st, _ := d.Call(t, "supervisor.getState").(map[string]any); st["statename"] != "RUNNING" {
			t.Fatalf("getState during the flood: %v", st)
		}
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	counted := func(m, reason string) int {
		for _, l := range strings.Split(m, "\n") {
			if v, ok := strings.CutPrefix(l, `super_notify_dropped_total{reason="`+reason+`"} `); ok {
				n, _ := strconv.Atoi(v)
				return n
			}
		}
		return -1
	}
	var m string
	waitFor(t, 10*time.Second, "every datagram counted", func() bool {
		m = unixGet(t, d, "/metrics")
		return strings.Contains(m, fmt.Sprintf("super_notify_datagrams_total %d\n", n))
	})
	if s, o, mf, of := counted(m, "stranger"), counted(m, "oversized"), counted(m, "malformed"), counted(m, "overflow"); s+of != n/3 || o != n/3 || mf != n/3 {
		t.Errorf("dropped: stranger %d + overflow %d, oversized %d, malformed %d; want %d each", s, of, o, mf, n/3)
	}
	if st := d.StateOf(t, "waits"); st != "STARTING" {
		t.Errorf("waits is %s after forged READY=1s, want STARTING", st)
	}
	if s := notifyInfo(t, d, "waits")["status"]; s != "" {
		t.Errorf("a stranger's STATUS= was kept: %q", s)
	}
}
