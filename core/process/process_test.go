package process

import (
	"errors"
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	"super/core/config"
)

// fakeLog records activity log lines as "LEVEL message".
type fakeLog struct{ lines []string }

func (l *fakeLog) add(level, f string, a ...any) {
	l.lines = append(l.lines, level+" "+fmt.Sprintf(f, a...))
}
func (l *fakeLog) Critical(f string, a ...any) { l.add("CRIT", f, a...) }
func (l *fakeLog) Error(f string, a ...any)    { l.add("ERRO", f, a...) }
func (l *fakeLog) Warn(f string, a ...any)     { l.add("WARN", f, a...) }
func (l *fakeLog) Info(f string, a ...any)     { l.add("INFO", f, a...) }
func (l *fakeLog) Debug(f string, a ...any)    {}
func (l *fakeLog) Trace(f string, a ...any)    {}
func (l *fakeLog) Blather(f string, a ...any)  {}

func (l *fakeLog) has(t *testing.T, line string) {
	t.Helper()
	for _, x := range l.lines {
		if x == line {
			return
		}
	}
	t.Errorf("log has no line %q; lines:\n%s", line, strings.Join(l.lines, "\n"))
}

type fakeChild struct{ pid int }

func (c *fakeChild) Pid() int  { return c.pid }
func (c *fakeChild) Finished() {}

// world is a fake clock, spawner and kill for one process.
type world struct {
	now     time.Time
	log     fakeLog
	nextPid int
	failErr error // spawn error to return, if any
	kills   []string
	changes []string
	p       *Process
}

func (w *world) Spawn(p *Process) (Child, error) {
	if w.failErr != nil {
		return nil, w.failErr
	}
	w.nextPid++
	return &fakeChild{pid: w.nextPid}, nil
}

func newWorld(mod func(c *config.ProcessConfig)) *world {
	c := &config.ProcessConfig{
		Name: "x", Group: "x", Command: "x", Umask: -1, UID: -1, GID: -1,
		Autostart: true, Autorestart: config.RestartUnexpected,
		Startsecs: 1, Startretries: 3, Exitcodes: []int{0},
		Stopsignal: syscall.SIGTERM, Stopwaitsecs: 10,
	}
	if mod != nil {
		mod(c)
	}
	w := &world{now: time.Unix(1000, 0), nextPid: 100}
	w.p = New(c, Options{
		Now:     func() time.Time { return w.now },
		Log:     &w.log,
		Spawner: w,
		Kill: func(pid int, sig syscall.Signal) error {
			w.kills = append(w.kills, fmt.Sprintf("%d %s", pid, SignalName(sig)))
			return nil
		},
		Notify: func(c Change) {
			w.changes = append(w.changes, fmt.Sprintf("%s->%s", c.From, c.To))
			if c.To == Exited && !c.Expected {
				w.changes[len(w.changes)-1] += "(unexpected)"
			}
		},
	})
	return w
}

func (w *world) advance(d time.Duration) { w.now = w.now.Add(d) }

func (w *world) want(t *testing.T, s State) {
	t.Helper()
	if w.p.State() != s {
		t.Fatalf("state %s, want %s (changes %v)", w.p.State(), s, w.changes)
	}
}

func exitStatus(code int) syscall.WaitStatus { return syscall.WaitStatus(code << 8) }

func signaled(sig syscall.Signal) syscall.WaitStatus { return syscall.WaitStatus(sig) }

func TestTransitionTableMatches42(t *testing.T) {
	// Every edge 4.2's process.py can take, and nothing else but the one
	// super adds for notify=true (a start stopped for not sending READY=1
	// in time goes to BACKOFF when reaped; only such programs take it).
	edges := map[[2]State]bool{
		{Stopped, Starting}: true, {Starting, Running}: true, {Starting, Backoff}: true,
		{Starting, Stopping}: true, {Starting, Unknown}: true, {Running, Stopping}: true,
		{Running, Exited}: true, {Running, Unknown}: true, {Backoff, Starting}: true,
		{Backoff, Fatal}: true, {Backoff, Stopped}: true, {Stopping, Stopped}: true,
		{Stopping, Unknown}: true, {Exited, Starting}: true, {Fatal, Starting}: true,
		{Stopping, Backoff}: true,
	}
	// And the edges super's lifecycle keys add (restart.go, oneshot.go).
	superEdges := map[[2]State]bool{
		{Exited, Stopped}:  true, // stop during restart_delay
		{Starting, Exited}: true, // a one-shot's success
	}
	all := []State{Stopped, Starting, Running, Backoff, Stopping, Exited, Fatal, Unknown}
	for _, a := range all {
		for _, b := range all {
			if Legal(a, b) != (edges[[2]State{a, b}] || superEdges[[2]State{a, b}]) {
				t.Errorf("Legal(%s, %s) = %v", a, b, Legal(a, b))
			}
		}
	}
	codes := map[State]int{Stopped: 0, Starting: 10, Running: 20, Backoff: 30, Stopping: 40, Exited: 100, Fatal: 200, Unknown: 1000}
	for s, c := range codes {
		if int(s) != c {
			t.Errorf("%s = %d, want %d", s, int(s), c)
		}
	}
}

func TestAutostartThenRunningAfterStartsecs(t *testing.T) {
	w := newWorld(nil)
	if d := w.p.NextDeadline(MoodRunning); d.After(w.now) {
		t.Fatalf("autostart deadline %v is not now", d)
	}
	w.p.Transition(MoodRunning)
	w.want(t, Starting)
	w.log.has(t, "INFO spawned: 'x' with pid 101")
	w.advance(time.Second) // exactly startsecs: not yet (4.2 wants "> startsecs")
	w.p.Transition(MoodRunning)
	w.want(t, Starting)
	if d := w.p.NextDeadline(MoodRunning); !d.After(w.now) || d.After(w.now.Add(time.Millisecond)) {
		t.Fatalf("deadline %v, want just after %v", d, w.now)
	}
	w.advance(time.Millisecond)
	w.p.Transition(MoodRunning)
	w.want(t, Running)
	w.log.has(t, "INFO success: x entered RUNNING state, process has stayed up for > than 1 seconds (startsecs)")
}

func TestNoAutostart(t *testing.T) {
	w := newWorld(func(c *config.ProcessConfig) { c.Autostart = false })
	w.p.Transition(MoodRunning)
	w.want(t, Stopped)
	if !w.p.NextDeadline(MoodRunning).IsZero() {
		t.Fatal("a stopped process without autostart has a deadline")
	}
}

func TestNoAutostartWhileShuttingDown(t *testing.T) {
	w := newWorld(nil)
	w.p.Transition(MoodShutdown)
	w.want(t, Stopped)
}

func TestBackoffDelaysGrowThenFatal(t *testing.T) {
	w := newWorld(func(c *config.ProcessConfig) { c.Startretries = 2 })
	w.p.Transition(MoodRunning)
	for try := 1; try <= 3; try++ {
		w.want(t, Starting)
		w.advance(100 * time.Millisecond)
		w.p.Finish(exitStatus(1))
		w.want(t, Backoff)
		if w.p.Backoff() != try {
			t.Fatalf("backoff %d, want %d", w.p.Backoff(), try)
		}
		if try == 3 {
			break
		}
		// The retry comes only after `try` seconds.
		w.advance(time.Duration(try)*time.Second - time.Millisecond)
		w.p.Transition(MoodRunning)
		w.want(t, Backoff)
		w.advance(2 * time.Millisecond)
		w.p.Transition(MoodRunning)
	}
	// The third failure exceeds startretries=2: FATAL at once.
	if d := w.p.NextDeadline(MoodRunning); d.After(w.now) {
		t.Fatalf("FATAL deadline %v is not now", d)
	}
	w.p.Transition(MoodRunning)
	w.want(t, Fatal)
	w.log.has(t, "WARN exited: x (exit status 1; not expected)")
	w.log.has(t, "INFO gave up: x entered FATAL state, too many start retries too quickly")
	if w.p.SpawnErr() != "Exited too quickly (process log may have details)" {
		t.Errorf("spawnerr %q", w.p.SpawnErr())
	}
	if w.nextPid != 103 {
		t.Errorf("%d spawns, want 3 (1 + startretries)", w.nextPid-100)
	}
	// FATAL stays FATAL.
	w.advance(time.Hour)
	w.p.Transition(MoodRunning)
	w.want(t, Fatal)
}

func TestQuickExitWithGoodCodeIsStillAFailure(t *testing.T) {
	w := newWorld(nil)
	w.p.Transition(MoodRunning)
	w.p.Finish(exitStatus(0))
	w.want(t, Backoff)
	w.log.has(t, "WARN exited: x (exit status 0; not expected)")
}

func TestStartsecsZeroExitIsNotTooQuick(t *testing.T) {
	w := newWorld(func(c *config.ProcessConfig) { c.Startsecs = 0; c.Autorestart = config.RestartNever })
	w.p.Transition(MoodRunning)
	w.p.Finish(exitStatus(0))
	w.want(t, Exited)
	if got := strings.Join(w.changes, " "); got != "STOPPED->STARTING STARTING->RUNNING RUNNING->EXITED" {
		t.Errorf("changes %s", got)
	}
	w.log.has(t, "INFO exited: x (exit status 0; expected)")
}

func TestSpawnErrorCountsAsFailedStart(t *testing.T) {
	w := newWorld(func(c *config.ProcessConfig) { c.Startretries = 0 })
	w.failErr = errors.New("can't find command 'nope'")
	w.p.Transition(MoodRunning)
	w.want(t, Backoff)
	w.log.has(t, "INFO spawnerr: can't find command 'nope'")
	w.p.Transition(MoodRunning)
	w.want(t, Fatal)
	if w.p.SpawnErr() != "can't find command 'nope'" {
		t.Errorf("spawnerr %q", w.p.SpawnErr())
	}
}

func TestAutorestartModes(t *testing.T) {
	tests := []struct {
		restart   config.Autorestart
		code      int
		restarted bool
		expected  bool
	}{
		{config.RestartAlways, 0, true, true},
		{config.RestartAlways, 3, true, false},
		{config.RestartNever, 0, false, true},
		{config.RestartNever, 3, false, false},
		{config.RestartUnexpected, 0, false, true},
		{config.RestartUnexpected, 3, true, false},
		{config.RestartUnexpected, 2, false, true}, // exitcodes=0,2
	}
	for _, tt := range tests {
		name := fmt.Sprintf("autorestart=%d exit %d", tt.restart, tt.code)
		t.Run(name, func(t *testing.T) {
			w := newWorld(func(c *config.ProcessConfig) { c.Autorestart = tt.restart; c.Exitcodes = []int{0, 2} })
			w.p.Transition(MoodRunning)
			w.advance(2 * time.Second)
			w.p.Transition(MoodRunning)
			w.want(t, Running)
			w.p.Finish(exitStatus(tt.code))
			w.want(t, Exited)
			exp := "expected"
			if !tt.expected {
				exp = "not expected"
				if w.p.SpawnErr() != fmt.Sprintf("Bad exit code %d", tt.code) {
					t.Errorf("spawnerr %q", w.p.SpawnErr())
				}
			}
			level := "WARN"
			if tt.expected {
				level = "INFO"
			}
			w.log.has(t, fmt.Sprintf("%s exited: x (exit status %d; %s)", level, tt.code, exp))
			w.p.Transition(MoodRunning)
			if got := w.p.State() == Starting; got != tt.restarted {
				t.Errorf("restarted = %v, want %v", got, tt.restarted)
			}
		})
	}
}

func TestStopThenSigkillAfterStopwaitsecs(t *testing.T) {
	w := newWorld(func(c *config.ProcessConfig) { c.Stopwaitsecs = 5; c.Killasgroup = true })
	w.p.Transition(MoodRunning)
	w.advance(2 * time.Second)
	w.p.Transition(MoodRunning)
	if msg := w.p.Stop(); msg != "" {
		t.Fatal(msg)
	}
	w.want(t, Stopping)
	w.advance(5*time.Second - time.Millisecond)
	w.p.Transition(MoodRunning)
	if len(w.kills) != 1 {
		t.Fatalf("kills %v before stopwaitsecs", w.kills)
	}
	if d := w.p.NextDeadline(MoodRunning); d != w.now.Add(time.Millisecond) {
		t.Fatalf("deadline %v", d)
	}
	w.advance(time.Millisecond)
	w.p.Transition(MoodRunning)
	// stopasgroup=false: TERM to the pid; killasgroup=true: KILL to the group.
	if got := strings.Join(w.kills, ","); got != "101 SIGTERM,-101 SIGKILL" {
		t.Fatalf("kills %s", got)
	}
	w.log.has(t, "WARN killing 'x' (101) with SIGKILL")
	w.p.Finish(signaled(syscall.SIGKILL))
	w.want(t, Stopped)
	w.log.has(t, "WARN stopped: x (terminated by SIGKILL)")
	// A stopped process is not restarted, whatever autorestart says.
	w.p.Transition(MoodRunning)
	w.want(t, Stopped)
}

func TestStopAsGroupAndExpectedStop(t *testing.T) {
	w := newWorld(func(c *config.ProcessConfig) { c.Stopasgroup = true; c.Exitcodes = []int{0} })
	w.p.Transition(MoodRunning)
	w.p.Stop() // while STARTING
	if got := strings.Join(w.kills, ","); got != "-101 SIGTERM" {
		t.Fatalf("kills %s", got)
	}
	w.p.Finish(exitStatus(0))
	w.want(t, Stopped)
	w.log.has(t, "INFO stopped: x (exit status 0)")
}

func TestStopInBackoffGoesToStopped(t *testing.T) {
	w := newWorld(nil)
	w.p.Transition(MoodRunning)
	w.p.Finish(exitStatus(1))
	w.want(t, Backoff)
	w.p.Stop()
	w.want(t, Stopped)
	if len(w.kills) != 0 {
		t.Fatalf("kills %v", w.kills)
	}
}

func TestStopNotRunning(t *testing.T) {
	w := newWorld(nil)
	if msg := w.p.Stop(); msg != "attempted to kill x with sig SIGTERM but it wasn't running" {
		t.Fatalf("msg %q", msg)
	}
}

func TestStopReportThrottled(t *testing.T) {
	w := newWorld(nil)
	w.p.Transition(MoodRunning)
	w.p.Stop()
	w.p.StopReport()
	w.p.StopReport()
	w.advance(2 * time.Second)
	w.p.StopReport()
	w.advance(time.Millisecond)
	w.p.StopReport()
	n := 0
	for _, l := range w.log.lines {
		if l == "INFO waiting for x to stop" {
			n++
		}
	}
	if n != 2 {
		t.Fatalf("%d reports, want 2", n)
	}
}

func TestKillFailureGoesUnknown(t *testing.T) {
	w := newWorld(nil)
	w.p.opts.Kill = func(int, syscall.Signal) error { return syscall.EPERM }
	w.p.Transition(MoodRunning)
	msg := w.p.Stop()
	w.want(t, Unknown)
	if !strings.HasPrefix(msg, "unknown problem killing x (101):") {
		t.Fatalf("msg %q", msg)
	}
}

func TestKillESRCHIsNotAnError(t *testing.T) {
	w := newWorld(nil)
	w.p.opts.Kill = func(int, syscall.Signal) error { return syscall.ESRCH }
	w.p.Transition(MoodRunning)
	if msg := w.p.Stop(); msg != "" {
		t.Fatal(msg)
	}
	w.want(t, Stopping)
}

func TestDecodeWaitStatus(t *testing.T) {
	tests := []struct {
		ws   syscall.WaitStatus
		es   int
		text string
	}{
		{exitStatus(0), 0, "exit status 0"},
		{exitStatus(127), 127, "exit status 127"},
		{signaled(syscall.SIGTERM), -1, "terminated by SIGTERM"},
		{signaled(syscall.SIGSEGV) | 0x80, -1, "terminated by SIGSEGV (core dumped)"},
		{signaled(32), -1, "terminated by signal 32"},
	}
	for _, tt := range tests {
		es, text := DecodeWaitStatus(tt.ws)
		if es != tt.es || text != tt.text {
			t.Errorf("DecodeWaitStatus(%#x) = %d, %q", uint32(tt.ws), es, text)
		}
	}
}

func TestParseSignal(t *testing.T) {
	for in, want := range map[string]syscall.Signal{"HUP": 1, "sigterm": 15, " usr2 ": 12, "9": 9, "IOT": 6} {
		if got, err := ParseSignal(in); err != nil || got != want {
			t.Errorf("ParseSignal(%q) = %v, %v", in, got, err)
		}
	}
	for in, msg := range map[string]string{
		"BOGUS": "value 'BOGUS' is not a valid signal name",
		"32":    "value '32' is not a valid signal number",
		"0":     "value '0' is not a valid signal number",
	} {
		if _, err := ParseSignal(in); err == nil || err.Error() != msg {
			t.Errorf("ParseSignal(%q) error %v, want %q", in, err, msg)
		}
	}
}
