package stress

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"super/core/testbin"
)

// A child that ignores SIGTERM is killed after stopwaitsecs, both when it
// is stopped alone and when the daemon shuts down; nothing outlives the
// daemon.
func TestChildIgnoringSIGTERM(t *testing.T) {
	t.Parallel()
	d := testbin.Start(t, false, `[program:stubborn]
command=sh -c 'trap "" TERM; while :; do sleep 1; done'
startsecs=0
stopwaitsecs=1

[program:stubborn2]
command=sh -c 'trap "" TERM; while :; do sleep 1; done'
startsecs=0
stopwaitsecs=1
`)
	d.WaitState(t, "stubborn", "RUNNING", 10*time.Second)
	d.WaitState(t, "stubborn2", "RUNNING", 10*time.Second)
	t0 := time.Now()
	d.Call(t, "supervisor.stopProcess", "stubborn")
	took := time.Since(t0)
	if took < 900*time.Millisecond || took > 10*time.Second {
		t.Errorf("stopProcess of a child ignoring SIGTERM took %v, want about stopwaitsecs=1", took)
	}
	if got := d.StateOf(t, "stubborn"); got != "STOPPED" {
		t.Errorf("stubborn is %s after stopProcess", got)
	}
	if !strings.Contains(d.Log(), "killing 'stubborn' (") {
		t.Errorf("no SIGKILL logged:\n%s", d.Log())
	}
	kids := testbin.Descendants(d.Pid())
	t1 := time.Now()
	d.Signal(syscall.SIGTERM)
	if _, err := d.Wait(15 * time.Second); err != nil {
		t.Fatal(err)
	}
	shutdown := time.Since(t1)
	outlived := 0
	for _, p := range kids {
		if testbin.Alive(p.Pid) && p.Comm == "sh" {
			t.Errorf("%+v outlived the daemon", p)
			outlived++
		}
	}
	t.Logf("figure: child ignoring SIGTERM (stopwaitsecs=1): stopProcess returned after %v with SIGKILL; daemon shutdown with another took %v, %d of %d descendants outlived it",
		took.Round(time.Millisecond), shutdown.Round(time.Millisecond), outlived, len(kids))
}

// kill -9 of the daemon leaves its socket and pidfile behind; a new daemon
// on the same config takes them over, and appends to the existing logs.
func TestKill9AndRestart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	conf := testbin.BaseConf(dir) + fmt.Sprintf(`[program:writer]
command=sh -c 'echo "start $$"; i=0; while [ $i -lt 20 ]; do i=$((i+1)); echo "line $i"; done; exec sleep 1000'
startsecs=0
stdout_logfile=%[1]s/writer.log
`, dir)
	d := testbin.StartConf(t, false, dir, conf)
	logf := filepath.Join(dir, "writer.log")
	readLog := func() []byte { b, _ := os.ReadFile(logf); return b }
	if err := testbin.Poll(10*time.Second, func() bool { return bytes.Contains(readLog(), []byte("line 20\n")) }); err != nil {
		t.Fatalf("writer did not write: %q", readLog())
	}
	first := readLog()
	activity := d.Log()
	kids := testbin.Descendants(d.Pid())
	d.Signal(syscall.SIGKILL)
	if _, err := d.Wait(5 * time.Second); err != nil {
		t.Fatal(err)
	}
	// The orphaned children are the test's to clean up. Each sits in its
	// own process group (the daemon setpgid's every child), so they are
	// killed one by one, as recorded before the daemon died.
	for _, p := range kids {
		syscall.Kill(p.Pid, syscall.SIGKILL)
	}
	for _, p := range kids {
		if err := testbin.Poll(5*time.Second, func() bool { return !testbin.Alive(p.Pid) }); err != nil {
			t.Fatalf("orphan %d of the killed daemon still alive", p.Pid)
		}
	}
	for _, f := range []string{d.Sock, filepath.Join(dir, "supervisord.pid")} {
		if _, err := os.Lstat(f); err != nil {
			t.Fatalf("kill -9 should leave %s behind: %v", f, err)
		}
	}
	d2 := testbin.StartConf(t, false, dir, conf)
	d2.WaitState(t, "writer", "RUNNING", 10*time.Second)
	if err := testbin.Poll(10*time.Second, func() bool { return bytes.Count(readLog(), []byte("line 20\n")) == 2 }); err != nil {
		t.Fatalf("second writer did not write: %q", readLog())
	}
	after := readLog()
	keptChild := bytes.HasPrefix(after, first)
	if !keptChild {
		t.Errorf("child log lost data across kill -9 and restart:\nbefore %q\nafter  %q", first, after)
	}
	activity2 := d2.Log()
	keptActivity := strings.HasPrefix(activity2, activity)
	if !keptActivity {
		t.Errorf("activity log lost data across kill -9 and restart")
	}
	pid, _ := os.ReadFile(filepath.Join(dir, "supervisord.pid"))
	if strings.TrimSpace(string(pid)) != strconv.Itoa(d2.Pid()) {
		t.Errorf("pidfile holds %q, want %d", pid, d2.Pid())
	}
	// The daemon says so at start; its output reaches d2.Out through a
	// copying goroutine, which a loaded machine may not have run yet.
	if err := testbin.Poll(5*time.Second, func() bool {
		return strings.Contains(d2.Out.String(), "Unlinking stale socket "+d.Sock)
	}); err != nil {
		t.Errorf("no stale socket message:\n%s", d2.Out)
	}
	t.Logf("figure: kill -9 of the daemon (%d child processes), then a new daemon on the same files: child log %d → %d bytes (earlier bytes intact: %v), activity log %d → %d bytes (intact: %v)",
		len(kids), len(first), len(after), keptChild, len(activity), len(activity2), keptActivity)
}

// A storm of SIGHUPs ends with the daemon running its programs once each:
// no duplicates, no orphans, RPC answering.
func TestSIGHUPStorm(t *testing.T) {
	t.Parallel()
	mark := fmt.Sprintf("SUPER_STRESS_HUP=%d", time.Now().UnixNano())
	var progs strings.Builder
	const n = 5
	for i := range n {
		fmt.Fprintf(&progs, "[program:p%d]\ncommand=sleep 1000\nstartsecs=0\nenvironment=%s\n\n", i, strings.Replace(mark, "=", "=\"", 1)+`"`)
	}
	d := testbin.Start(t, false, progs.String())
	for i := range n {
		d.WaitState(t, fmt.Sprintf("p%d", i), "RUNNING", 10*time.Second)
	}
	storms := pick(20, 200)
	for i := range storms {
		if err := d.Signal(syscall.SIGHUP); err != nil {
			t.Fatal(err)
		}
		if i%5 == 4 {
			// A few arrive while the restart is under way, a few after.
			time.Sleep(time.Duration(i%3) * 20 * time.Millisecond)
		}
	}
	if err := testbin.Poll(60*time.Second, func() bool {
		if d.Exited() {
			return true
		}
		c, err := d.Client(t).Call(t.Context(), "supervisor.getAllProcessInfo")
		if err != nil {
			return false
		}
		running := 0
		for _, i := range c.([]any) {
			if i.(map[string]any)["statename"] == "RUNNING" {
				running++
			}
		}
		return running == n && len(testbin.WithEnv(mark)) == n
	}); err != nil || d.Exited() {
		t.Fatalf("after %d SIGHUPs: exited=%v, processes with the mark: %+v\n%s", storms, d.Exited(), testbin.WithEnv(mark), d.Log())
	}
	// Stable: still exactly n a moment later (no late duplicate spawn).
	time.Sleep(500 * time.Millisecond)
	if got := testbin.WithEnv(mark); len(got) != n {
		t.Errorf("%d processes with the mark, want %d: %+v", len(got), n, got)
	}
	t.Logf("figure: %d SIGHUPs in a burst: %d restarts logged, then %d processes of the %d programs alive (no duplicates, no orphans)",
		storms, countLines(d.Log(), "supervisord started with pid"), len(testbin.WithEnv(mark)), n)
}

// reloadConfig + add/remove groups (what supervisorctl update does) while
// programs crash-loop and others start and stop: the daemon ends with
// exactly the configured groups and no process of a removed group alive.
func TestUpdateWhileChurning(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	mark := fmt.Sprintf("SUPER_STRESS_UPD=%d", time.Now().UnixNano())
	env := strings.Replace(mark, "=", "=\"", 1) + `"`
	confFor := func(round int) string {
		var b strings.Builder
		b.WriteString(testbin.BaseConf(dir))
		for i := range 4 {
			fmt.Fprintf(&b, "[program:crash%d]\ncommand=/bin/true\nstartsecs=0\nautorestart=true\nenvironment=%s\n\n", i, env)
			fmt.Fprintf(&b, "[program:stable%d]\ncommand=sleep 1000\nstartsecs=0\nstopsignal=KILL\nenvironment=%s\n\n", i, env)
		}
		// A sliding window of long runners: each round drops some and adds others.
		for i := round; i < round+6; i++ {
			fmt.Fprintf(&b, "[program:run%d]\ncommand=sleep 1000\nstartsecs=0\nenvironment=%s\n\n", i, env)
		}
		return b.String()
	}
	d := testbin.StartConf(t, false, dir, confFor(0))
	ctl := testbin.Path(t, "supervisorctl")
	rounds := pick(10, 60)
	stopChurn := make(chan struct{})
	churnDone := make(chan struct{})
	churnCalls := 0 // read once churnDone is closed
	go func() {
		// Another client starts and stops processes meanwhile (not the
		// ones update removes: removing a group someone has just started
		// again fails with STILL_RUNNING, in 4.2 as well).
		defer close(churnDone)
		c := d.Client(t)
		for i := 0; ; i++ {
			select {
			case <-stopChurn:
				return
			default:
			}
			name := fmt.Sprintf("stable%d", i%4)
			c.Call(t.Context(), "supervisor.stopProcess", name, true)
			c.Call(t.Context(), "supervisor.startProcess", name, false)
			churnCalls += 2
		}
	}()
	for r := 1; r <= rounds; r++ {
		if err := os.WriteFile(d.Conf, []byte(confFor(r)), 0o644); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(ctl, "-c", d.Conf, "update").CombinedOutput()
		if err != nil {
			t.Fatalf("round %d: supervisorctl update: %v\n%s", r, err, out)
		}
	}
	close(stopChurn)
	<-churnDone
	want := map[string]bool{}
	for i := rounds; i < rounds+6; i++ {
		want[fmt.Sprintf("run%d", i)] = true
	}
	for i := range 4 {
		want[fmt.Sprintf("crash%d", i)] = true
		want[fmt.Sprintf("stable%d", i)] = true
	}
	infos := d.Call(t, "supervisor.getAllProcessInfo").([]any)
	got := map[string]bool{}
	for _, i := range infos {
		got[i.(map[string]any)["name"].(string)] = true
	}
	if len(got) != len(want) {
		t.Errorf("groups after %d updates: %v, want %v", rounds, got, want)
	}
	for n := range want {
		if !got[n] {
			t.Errorf("missing %s", n)
		}
	}
	for i := rounds; i < rounds+6; i++ {
		d.WaitState(t, fmt.Sprintf("run%d", i), "RUNNING", 10*time.Second)
	}
	for i := range 4 {
		d.WaitState(t, fmt.Sprintf("stable%d", i), "RUNNING", 10*time.Second)
	}
	// Only the current long runners (and crash loopers between spawns)
	// may be alive: every removed group's process is gone.
	sleeps := 0
	if err := testbin.Poll(10*time.Second, func() bool {
		sleeps = 0
		for _, p := range testbin.WithEnv(mark) {
			if p.Comm == "sleep" {
				sleeps++
			}
		}
		return sleeps == 6+4
	}); err != nil {
		t.Errorf("sleep processes alive: %+v", testbin.WithEnv(mark))
	}
	t.Logf("figure: %d supervisorctl updates while 4 programs crash-loop and another client made %d stop/start calls: %d groups configured, %d listed, %d long runners alive (want 10)",
		rounds, churnCalls, len(want), len(got), sleeps)
}
