package supervisor

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"super/core/config"
	"super/core/process"
)

// These tests run real children. Each Supervisor reaps with wait4(-1), so
// the tests never run in parallel and start no other children.

func TestMain(m *testing.M) {
	// Orphans of the children come back to the test process and are reaped
	// by the running Supervisor, as with supervisord as PID 1.
	if err := SetSubreaper(); err != nil {
		fmt.Fprintln(os.Stderr, "subreaper:", err)
	}
	code := m.Run()
	if kids := children(); code == 0 && len(kids) > 0 {
		fmt.Fprintf(os.Stderr, "children left behind: %v\n", kids)
		code = 1
	}
	os.Exit(code)
}

// children lists the pids (and states) whose parent is this process.
func children() []string {
	var out []string
	ents, _ := os.ReadDir("/proc")
	me := strconv.Itoa(os.Getpid())
	for _, e := range ents {
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		s := string(b)
		f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
		if len(f) > 1 && f[1] == me {
			out = append(out, e.Name()+":"+f[0])
		}
	}
	return out
}

// alive reports whether pid exists and is not a zombie.
func alive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	s := string(b)
	return s[strings.LastIndexByte(s, ')')+2] != 'Z'
}

// memLog is an activity log in memory.
type memLog struct {
	mu    sync.Mutex
	lines []string
}

func (l *memLog) add(level, f string, a ...any) {
	l.mu.Lock()
	l.lines = append(l.lines, level+" "+fmt.Sprintf(f, a...))
	l.mu.Unlock()
}
func (l *memLog) Critical(f string, a ...any) { l.add("CRIT", f, a...) }
func (l *memLog) Error(f string, a ...any)    { l.add("ERRO", f, a...) }
func (l *memLog) Warn(f string, a ...any)     { l.add("WARN", f, a...) }
func (l *memLog) Info(f string, a ...any)     { l.add("INFO", f, a...) }
func (l *memLog) Debug(f string, a ...any)    { l.add("DEBG", f, a...) }
func (l *memLog) Trace(f string, a ...any)    {}
func (l *memLog) Blather(f string, a ...any)  {}

func (l *memLog) snapshot() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.lines...)
}

func (l *memLog) index(line string) int {
	for i, x := range l.snapshot() {
		if x == line {
			return i
		}
	}
	return -1
}

func (l *memLog) count(prefix string) int {
	n := 0
	for _, x := range l.snapshot() {
		if strings.HasPrefix(x, prefix) {
			n++
		}
	}
	return n
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (l *memLog) waitLine(t *testing.T, line string, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	for l.index(line) < 0 {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for log line %q; log:\n%s", line, strings.Join(l.snapshot(), "\n"))
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func prog(name, command string, mod ...func(*config.ProcessConfig)) *config.ProcessConfig {
	c := &config.ProcessConfig{
		Name: name, Group: name, Section: "program:" + name, Command: command,
		Umask: -1, UID: -1, GID: -1, Priority: 999,
		Autostart: true, Autorestart: config.RestartUnexpected,
		Startsecs: 1, Startretries: 3, Exitcodes: []int{0},
		Stopsignal: syscall.SIGTERM, Stopwaitsecs: 10,
		ServerURL: "AUTO",
	}
	for _, m := range mod {
		m(c)
	}
	return c
}

func cfgOf(procs ...*config.ProcessConfig) *config.Config {
	c := &config.Config{}
	c.Supervisord.Identifier = "supervisor"
	for _, p := range procs {
		c.Groups = append(c.Groups, &config.GroupConfig{Name: p.Group, Priority: p.Priority, Processes: []*config.ProcessConfig{p}})
	}
	return c
}

// start runs a Supervisor for cfg until the test ends (then shuts it down
// and checks that Run returned nil).
func start(t *testing.T, cfg *config.Config) (*Supervisor, *memLog) {
	t.Helper()
	log := &memLog{}
	s := New(cfg, Deps{Logger: log})
	errc := make(chan error, 1)
	go func() { errc <- s.Run(context.Background()) }()
	<-s.Ready()
	t.Cleanup(func() {
		s.Shutdown()
		select {
		case err := <-errc:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Errorf("Run did not return after Shutdown")
		}
	})
	return s, log
}

func state(t *testing.T, s *Supervisor, name string) process.State {
	t.Helper()
	info, err := s.ProcessInfo(name)
	if err != nil {
		t.Fatal(err)
	}
	return info.State
}

func waitState(t *testing.T, s *Supervisor, name string, want process.State, d time.Duration) ProcessInfo {
	t.Helper()
	var info ProcessInfo
	waitFor(t, name+" "+want.String(), d, func() bool {
		var err error
		info, err = s.ProcessInfo(name)
		return err == nil && info.State == want
	})
	return info
}

func TestStartsecsThenRunning(t *testing.T) {
	s, log := start(t, cfgOf(prog("sleeper", "sleep 100")))
	info := waitState(t, s, "sleeper", process.Starting, 5*time.Second)
	started := time.Now()
	log.waitLine(t, fmt.Sprintf("INFO spawned: 'sleeper' with pid %d", info.Pid), time.Second)
	info = waitState(t, s, "sleeper", process.Running, 5*time.Second)
	if time.Since(started) > 1500*time.Millisecond {
		t.Errorf("RUNNING came %v after STARTING", time.Since(started))
	}
	log.waitLine(t, "INFO success: sleeper entered RUNNING state, process has stayed up for > than 1 seconds (startsecs)", time.Second)
	if !strings.HasPrefix(info.Description, fmt.Sprintf("pid %d, uptime 0:00:0", info.Pid)) {
		t.Errorf("description %q", info.Description)
	}
	if info.Start == 0 || info.Group != "sleeper" || info.StateName != "RUNNING" {
		t.Errorf("info %+v", info)
	}
}

func TestBackoffThenFatal(t *testing.T) {
	s, log := start(t, cfgOf(prog("quick", `sh -c "exit 3"`, func(c *config.ProcessConfig) { c.Startretries = 2 })))
	begin := time.Now()
	info := waitState(t, s, "quick", process.Fatal, 10*time.Second)
	elapsed := time.Since(begin)
	// Retries after 1 s then 2 s: FATAL no sooner than 3 s.
	if elapsed < 3*time.Second || elapsed > 5*time.Second {
		t.Errorf("FATAL after %v, want about 3s", elapsed)
	}
	if n := log.count("INFO spawned: 'quick'"); n != 3 {
		t.Errorf("%d spawns, want 3; log:\n%s", n, strings.Join(log.snapshot(), "\n"))
	}
	log.waitLine(t, "WARN exited: quick (exit status 3; not expected)", 0)
	log.waitLine(t, "INFO gave up: quick entered FATAL state, too many start retries too quickly", 0)
	if info.Description != "Exited too quickly (process log may have details)" {
		t.Errorf("description %q", info.Description)
	}
}

func TestExitcodesAndAutorestart(t *testing.T) {
	s, log := start(t, cfgOf(
		prog("expected", `sh -c "exit 3"`, func(c *config.ProcessConfig) { c.Startsecs = 0; c.Exitcodes = []int{0, 3} }),
		prog("unexpected", `sh -c "sleep 0.2; exit 3"`, func(c *config.ProcessConfig) { c.Startsecs = 0 }),
		prog("never", `sh -c "exit 4"`, func(c *config.ProcessConfig) { c.Startsecs = 0; c.Autorestart = config.RestartNever }),
		prog("always", `sh -c "sleep 0.2; exit 0"`, func(c *config.ProcessConfig) { c.Startsecs = 0; c.Autorestart = config.RestartAlways }),
	))
	log.waitLine(t, "INFO exited: expected (exit status 3; expected)", 5*time.Second)
	log.waitLine(t, "WARN exited: never (exit status 4; not expected)", 5*time.Second)
	waitFor(t, "unexpected restarted", 5*time.Second, func() bool { return log.count("INFO spawned: 'unexpected'") >= 2 })
	waitFor(t, "always restarted", 5*time.Second, func() bool { return log.count("INFO spawned: 'always'") >= 2 })
	if st := state(t, s, "expected"); st != process.Exited {
		t.Errorf("expected: %s", st)
	}
	info, _ := s.ProcessInfo("never")
	if info.State != process.Exited || info.ExitStatus != 4 || info.SpawnErr != "Bad exit code 4" {
		t.Errorf("never: %+v", info)
	}
	if log.count("INFO spawned: 'expected'") != 1 || log.count("INFO spawned: 'never'") != 1 {
		t.Errorf("restarted a process that must not be:\n%s", strings.Join(log.snapshot(), "\n"))
	}
}

func TestStopwaitsecsThenSigkill(t *testing.T) {
	ready := filepath.Join(t.TempDir(), "ready")
	s, log := start(t, cfgOf(prog("stubborn", fmt.Sprintf(`sh -c "trap '' TERM; touch %s; exec sleep 100"`, ready),
		func(c *config.ProcessConfig) { c.Startsecs = 0; c.Stopwaitsecs = 1 })))
	info := waitState(t, s, "stubborn", process.Running, 5*time.Second)
	waitFor(t, "TERM ignored", 5*time.Second, func() bool { _, err := os.Stat(ready); return err == nil })
	begin := time.Now()
	if err := s.StopProcess(context.Background(), "stubborn", true); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(begin); d < time.Second || d > 3*time.Second {
		t.Errorf("stop took %v, want about stopwaitsecs=1", d)
	}
	log.waitLine(t, "INFO waiting for stubborn to stop", 0)
	log.waitLine(t, fmt.Sprintf("WARN killing 'stubborn' (%d) with SIGKILL", info.Pid), 0)
	log.waitLine(t, "WARN stopped: stubborn (terminated by SIGKILL)", 0)
	if alive(info.Pid) {
		t.Errorf("pid %d still alive", info.Pid)
	}
	if st := state(t, s, "stubborn"); st != process.Stopped {
		t.Errorf("state %s", st)
	}
}

func TestStopasgroupKillsGrandchild(t *testing.T) {
	dir := t.TempDir()
	marker := filepath.Join(dir, "grandchild")
	s, log := start(t, cfgOf(prog("family", fmt.Sprintf(`sh -c "sleep 100 & echo $! > %s; wait"`, marker),
		func(c *config.ProcessConfig) { c.Startsecs = 0; c.Stopasgroup = true; c.Killasgroup = true })))
	waitState(t, s, "family", process.Running, 5*time.Second)
	var gpid int
	waitFor(t, "grandchild pid", 5*time.Second, func() bool {
		b, _ := os.ReadFile(marker)
		gpid, _ = strconv.Atoi(strings.TrimSpace(string(b)))
		return gpid > 0
	})
	if !alive(gpid) {
		t.Fatalf("grandchild %d not running", gpid)
	}
	if err := s.StopProcess(context.Background(), "family", true); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "grandchild gone", 5*time.Second, func() bool { return !alive(gpid) })
	log.waitLine(t, "WARN stopped: family (terminated by SIGTERM)", time.Second)
}

func TestOrphanReapedAsUnknownPid(t *testing.T) {
	dir := t.TempDir()
	marker := filepath.Join(dir, "orphan")
	_, log := start(t, cfgOf(prog("parent", fmt.Sprintf(`sh -c "sh -c 'exit 0' & echo $! > %s; exit 0"`, marker),
		func(c *config.ProcessConfig) { c.Startsecs = 0; c.Autorestart = config.RestartNever })))
	log.waitLine(t, "INFO exited: parent (exit status 0; expected)", 5*time.Second)
	var opid int
	waitFor(t, "orphan pid", 5*time.Second, func() bool {
		b, _ := os.ReadFile(marker)
		opid, _ = strconv.Atoi(strings.TrimSpace(string(b)))
		return opid > 0
	})
	// The orphan is either reaped by its parent shell before it exits or
	// re-parented to us (subreaper) and reaped as an unknown pid.
	waitFor(t, "orphan reaped", 5*time.Second, func() bool {
		_, err := os.Stat(fmt.Sprintf("/proc/%d", opid))
		return err != nil
	})
}

func TestPriorityOrderOfStartAndStop(t *testing.T) {
	dir := t.TempDir()
	order := filepath.Join(dir, "order")
	mk := func(name string, prio int) *config.ProcessConfig {
		return prog(name, fmt.Sprintf(`sh -c "trap 'echo %s >> %s; exit 0' TERM; touch %s.ready; while :; do sleep 0.05; done"`, name, order, order+name),
			func(c *config.ProcessConfig) { c.Startsecs = 0; c.Priority = prio })
	}
	cfg := cfgOf(mk("c", 30), mk("a", 10), mk("b", 20))
	// Config order is priority order (as core/config delivers it).
	cfg.Groups[0], cfg.Groups[1], cfg.Groups[2] = cfg.Groups[1], cfg.Groups[2], cfg.Groups[0]
	log := &memLog{}
	s := New(cfg, Deps{Logger: log})
	errc := make(chan error, 1)
	go func() { errc <- s.Run(context.Background()) }()
	for _, n := range []string{"a", "b", "c"} {
		waitState(t, s, n, process.Running, 5*time.Second)
		waitFor(t, n+" ready", 5*time.Second, func() bool { _, err := os.Stat(order + n + ".ready"); return err == nil })
	}
	ia, ib, ic := log.index(spawnedLine(t, s, "a")), log.index(spawnedLine(t, s, "b")), log.index(spawnedLine(t, s, "c"))
	if !(ia < ib && ib < ic) {
		t.Errorf("spawn order a=%d b=%d c=%d", ia, ib, ic)
	}
	s.Signal(syscall.SIGTERM)
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(order)
	if got := strings.Fields(string(b)); strings.Join(got, " ") != "c b a" {
		t.Errorf("stop order %q, want c b a", got)
	}
	log.waitLine(t, "WARN received SIGTERM indicating exit request", 0)
}

func spawnedLine(t *testing.T, s *Supervisor, name string) string {
	info, err := s.ProcessInfo(name)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("INFO spawned: '%s' with pid %d", name, info.Pid)
}

func TestChildWritingOneMiBDoesNotBlock(t *testing.T) {
	dir := t.TempDir()
	logfile := filepath.Join(dir, "out.log")
	marker := filepath.Join(dir, "done")
	s, _ := start(t, cfgOf(prog("writer", fmt.Sprintf(`sh -c "head -c 1048576 /dev/zero; echo done > %s; exec sleep 100"`, marker),
		func(c *config.ProcessConfig) { c.Startsecs = 0; c.Stdout.Logfile = logfile })))
	waitFor(t, "writer done", 10*time.Second, func() bool { _, err := os.Stat(marker); return err == nil })
	waitFor(t, "1 MiB in the log", 10*time.Second, func() bool {
		st, err := os.Stat(logfile)
		return err == nil && st.Size() == 1<<20
	})
	info, _ := s.ProcessInfo("writer")
	if info.StdoutLogfile != logfile || info.Logfile != logfile {
		t.Errorf("logfile %q / %q", info.StdoutLogfile, info.Logfile)
	}
}

func TestHundredChildrenStopCleanly(t *testing.T) {
	var procs []*config.ProcessConfig
	for i := 0; i < 100; i++ {
		procs = append(procs, prog(fmt.Sprintf("p%03d", i), "sleep 100", func(c *config.ProcessConfig) { c.Startsecs = 0 }))
	}
	log := &memLog{}
	s := New(cfgOf(procs...), Deps{Logger: log})
	errc := make(chan error, 1)
	go func() { errc <- s.Run(context.Background()) }()
	var pids []int
	waitFor(t, "100 RUNNING", 20*time.Second, func() bool {
		infos, err := s.AllProcessInfo()
		if err != nil {
			return false
		}
		pids = pids[:0]
		for _, i := range infos {
			if i.State != process.Running {
				return false
			}
			pids = append(pids, i.Pid)
		}
		return len(infos) == 100
	})
	begin := time.Now()
	s.Signal(syscall.SIGTERM)
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	if d := time.Since(begin); d > 10*time.Second {
		t.Errorf("shutdown took %v", d)
	}
	for _, pid := range pids {
		if alive(pid) {
			t.Errorf("pid %d survived", pid)
		}
	}
	if n := log.count("INFO stopped:") + log.count("WARN stopped:"); n != 100 {
		t.Errorf("%d stopped lines", n)
	}
	if _, err := s.ProcessInfo("p000"); !isFault(err, ShutdownState) {
		t.Errorf("after Run: %v", err)
	}
}

func isFault(err error, f Fault) bool {
	var e *Error
	return errors.As(err, &e) && e.Fault == f
}

func TestControlFaults(t *testing.T) {
	dir := t.TempDir()
	notExec := filepath.Join(dir, "script")
	os.WriteFile(notExec, []byte("#!/bin/sh\n"), 0o644)
	s, log := start(t, cfgOf(
		prog("idle", "sleep 100", func(c *config.ProcessConfig) { c.Autostart = false; c.Startsecs = 0 }),
		prog("quick", `sh -c "exit 1"`, func(c *config.ProcessConfig) { c.Autostart = false }),
		prog("missing", "/nonexistent/cmd", func(c *config.ProcessConfig) { c.Autostart = false }),
		prog("noexec", notExec, func(c *config.ProcessConfig) { c.Autostart = false }),
		prog("slow", "sleep 100", func(c *config.ProcessConfig) { c.Autostart = false }),
	))
	ctx := context.Background()
	info, _ := s.ProcessInfo("idle")
	if info.State != process.Stopped || info.Description != "Not started" {
		t.Errorf("idle: %+v", info)
	}
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"bad name", s.StartProcess(ctx, "nope", true), "BAD_NAME: nope"},
		{"bad group", s.StartProcess(ctx, "nope:idle", true), "BAD_NAME: nope:idle"},
		{"missing", s.StartProcess(ctx, "missing", true), "NO_FILE: can't find command '/nonexistent/cmd'"},
		{"not executable", s.StartProcess(ctx, "noexec", true), fmt.Sprintf("NOT_EXECUTABLE: command at '%s' is not executable", notExec)},
		{"quick", s.StartProcess(ctx, "quick", true), "SPAWN_ERROR: quick"},
		{"stop stopped", s.StopProcess(ctx, "idle", true), "NOT_RUNNING: idle"},
		{"signal stopped", s.SignalProcess("idle", "HUP"), "NOT_RUNNING: idle"},
		{"start", s.StartProcess(ctx, "idle", true), ""},
		{"start again", s.StartProcess(ctx, "idle:idle", true), "ALREADY_STARTED: idle:idle"},
		{"bad signal", s.SignalProcess("idle", "BOGUS"), "BAD_SIGNAL: BOGUS"},
		{"signal", s.SignalProcess("idle", "CONT"), ""},
		{"remove running", s.RemoveGroup("idle"), "STILL_RUNNING: idle"},
		{"add existing", s.AddGroup(&config.GroupConfig{Name: "idle"}), "ALREADY_ADDED: idle"},
		{"stdin", s.SendStdin("idle", []byte("hello\n")), ""},
		{"stop", s.StopProcess(ctx, "idle", true), ""},
		{"stdin stopped", s.SendStdin("idle", []byte("x")), "NOT_RUNNING: idle"},
		{"remove", s.RemoveGroup("idle"), ""},
		{"remove gone", s.RemoveGroup("idle"), "BAD_NAME: idle"},
	}
	for _, tt := range tests {
		got := ""
		if tt.err != nil {
			got = tt.err.Error()
		}
		if got != tt.want {
			t.Errorf("%s: error %q, want %q", tt.name, got, tt.want)
		}
	}
	// wait=false returns while STARTING; the process gets there later.
	if err := s.StartProcess(ctx, "slow", false); err != nil {
		t.Fatal(err)
	}
	if st := state(t, s, "slow"); st != process.Starting {
		t.Errorf("slow: %s", st)
	}
	res, err := s.StopGroup(ctx, "slow", true)
	if err != nil || len(res) != 1 || res[0].Status != Success || res[0].Description != "OK" {
		t.Errorf("StopGroup: %+v, %v", res, err)
	}
	info, _ = s.ProcessInfo("slow")
	if info.State != process.Stopped || info.Description != time.Unix(info.Stop, 0).Format("Jan 02 03:04 PM") {
		t.Errorf("slow after stop: %+v", info)
	}
	res, err = s.StartAll(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, r := range res {
		got[r.Name] = r.Description
	}
	if got["missing"] != "NO_FILE: can't find command '/nonexistent/cmd'" || got["slow"] != "OK" {
		t.Errorf("StartAll results %v", got)
	}
	if err := s.Shutdown(); err != nil {
		t.Fatal(err)
	}
	if err := s.Shutdown(); err != nil && !isFault(err, ShutdownState) {
		t.Errorf("second shutdown: %v", err)
	}
	_ = log
}

func TestEnvironmentAndDirectory(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "env")
	c := cfgOf(prog("envy", fmt.Sprintf(`sh -c "env > %s; pwd >> %s; umask >> %s; exec sleep 100"`, out, out, out),
		func(c *config.ProcessConfig) {
			c.Startsecs = 0
			c.Directory = dir
			c.Umask = 0o027
			c.Environment = map[string]string{"FOO": "bar", "SUPERVISOR_GROUP_NAME": "override"}
		}))
	c.Supervisord.Environment = map[string]string{"GLOBAL": "1", "FOO": "global"}
	c.UnixHTTP = &config.UnixHTTPServer{File: "/run/x.sock"}
	s, _ := start(t, c)
	waitState(t, s, "envy", process.Running, 5*time.Second)
	var text string
	waitFor(t, "env written", 5*time.Second, func() bool {
		b, _ := os.ReadFile(out)
		text = string(b)
		return strings.Contains(text, "\n0027\n")
	})
	for _, want := range []string{"SUPERVISOR_ENABLED=1\n", "SUPERVISOR_PROCESS_NAME=envy\n", "SUPERVISOR_GROUP_NAME=override\n",
		"SUPERVISOR_SERVER_URL=unix:///run/x.sock\n", "FOO=bar\n", "GLOBAL=1\n", "\n" + dir + "\n"} {
		if !strings.Contains(text, want) {
			t.Errorf("child environment lacks %q:\n%s", want, text)
		}
	}
}

// A directory the child cannot change to is, as in 4.2, a child that was
// spawned, wrote why to its stderr log and exited 127, not a spawn error
// of the parent.
func TestBadDirectoryIsAChildThatExits127(t *testing.T) {
	errLog := filepath.Join(t.TempDir(), "err.log")
	s, log := start(t, cfgOf(prog("lost", "sleep 1", func(c *config.ProcessConfig) {
		c.Directory = "/nonexistent"
		c.Startretries = 0
		c.Stderr.Logfile = errLog
	})))
	info := waitState(t, s, "lost", process.Fatal, 5*time.Second)
	if info.SpawnErr != "Exited too quickly (process log may have details)" {
		t.Errorf("spawnerr %q", info.SpawnErr)
	}
	log.waitLine(t, "WARN exited: lost (exit status 127; not expected)", 0)
	if n := log.count("INFO spawned: 'lost' with pid "); n != 1 {
		t.Errorf("%d spawned lines, want 1:\n%s", n, strings.Join(log.snapshot(), "\n"))
	}
	if n := log.count("INFO spawnerr:") + log.count("INFO reaped unknown pid"); n != 0 {
		t.Errorf("unexpected spawnerr or unknown pid lines:\n%s", strings.Join(log.snapshot(), "\n"))
	}
	const want = "supervisor: couldn't chdir to /nonexistent: ENOENT\nsupervisor: child process was not spawned\n"
	waitFor(t, "the child's message in its stderr log", 5*time.Second, func() bool {
		b, _ := os.ReadFile(errLog)
		return string(b) == want
	})
}
