package supervisor

import (
	"strings"
	"syscall"
	"testing"
	"time"

	"super/core/config"
	"super/core/process"
)

// The exit policy's decisions: whether a process's end shuts the daemon
// down, and with which exit status.
func TestExitPolicy(t *testing.T) {
	critical := func(c *config.ProcessConfig) { c.Critical = true }
	noRestart := func(c *config.ProcessConfig) { c.Autorestart = config.RestartNever }
	oneShot := func(c *config.ProcessConfig) { c.Autorestart = config.RestartNever; c.Startsecs = 0 }
	// fatal makes name FATAL after one run exiting code too quickly.
	fatal := func(name string, code int) func(w *fakeWorld) {
		return func(w *fakeWorld) {
			p := w.proc(name)
			w.s.spawn(p)
			w.exit(name, code, 0) // within startsecs: BACKOFF
			p.GiveUp()
		}
	}
	for _, tc := range []struct {
		name       string
		whenDone   bool
		procs      []*config.ProcessConfig
		run        func(w *fakeWorld)
		shutdown   bool
		status     int
		logPrefix  string // a line the decision logs
		otherState process.State
	}{
		{
			name:  "critical FATAL: its last exit code",
			procs: []*config.ProcessConfig{prog("job", "job", critical), prog("other", "other")},
			run:   fatal("job", 5), shutdown: true, status: 5,
			logPrefix: "CRIT critical process job entered FATAL state: shutting down with exit status 5",
		},
		{
			name:  "critical FATAL after exit 0: 1",
			procs: []*config.ProcessConfig{prog("job", "job", critical)},
			run:   fatal("job", 0), shutdown: true, status: 1,
		},
		{
			name:  "critical FATAL never ran (spawn error): 1",
			procs: []*config.ProcessConfig{prog("job", "job", critical)},
			run: func(w *fakeWorld) {
				w.fail = true
				w.s.spawn(w.proc("job"))
				w.proc("job").GiveUp()
			},
			shutdown: true, status: 1,
		},
		{
			name:  "critical exits 7, no autorestart",
			procs: []*config.ProcessConfig{prog("job", "job", critical, noRestart), prog("other", "other")},
			run:   func(w *fakeWorld) { w.running("job"); w.exit("job", 7, 0) }, shutdown: true, status: 7,
			logPrefix: "CRIT critical process job exited and will not be restarted: shutting down with exit status 7",
		},
		{
			name:  "critical exits 0, no autorestart: 0",
			procs: []*config.ProcessConfig{prog("job", "job", critical, noRestart)},
			run:   func(w *fakeWorld) { w.running("job"); w.exit("job", 0, 0) }, shutdown: true, status: 0,
		},
		{
			name:  "critical killed by SIGKILL: 128+9",
			procs: []*config.ProcessConfig{prog("job", "job", critical, noRestart)},
			run:   func(w *fakeWorld) { w.running("job"); w.exit("job", 0, syscall.SIGKILL) }, shutdown: true, status: 137,
		},
		{
			name:  "critical exits unexpectedly and is restarted: nothing",
			procs: []*config.ProcessConfig{prog("job", "job", critical)}, // autorestart=unexpected
			run:   func(w *fakeWorld) { w.running("job"); w.exit("job", 7, 0) },
		},
		{
			name:  "critical exits expectedly, autorestart=unexpected: no restart follows",
			procs: []*config.ProcessConfig{prog("job", "job", critical)},
			run:   func(w *fakeWorld) { w.running("job"); w.exit("job", 0, 0) }, shutdown: true, status: 0,
		},
		{
			name:  "critical stopped by a user: nothing",
			procs: []*config.ProcessConfig{prog("job", "job", critical)},
			run: func(w *fakeWorld) {
				w.running("job")
				w.proc("job").Stop()
				w.exit("job", 0, syscall.SIGTERM)
			},
		},
		{
			name:  "critical FATAL during a shutdown: nothing more",
			procs: []*config.ProcessConfig{prog("job", "job", critical)},
			run: func(w *fakeWorld) {
				w.s.mood = process.MoodShutdown
				fatal("job", 5)(w)
			},
			shutdown: true, status: 0,
		},
		{
			name:  "not critical, FATAL: the daemon runs on (4.2)",
			procs: []*config.ProcessConfig{prog("job", "job"), prog("other", "other")},
			run:   fatal("job", 5),
		},
		{
			name:     "exit_when_done: one of two one-shots done",
			whenDone: true,
			procs:    []*config.ProcessConfig{prog("a", "a", oneShot), prog("b", "b", oneShot)},
			run:      func(w *fakeWorld) { w.running("a"); w.running("b"); w.exit("a", 0, 0) },
		},
		{
			name:     "exit_when_done: both done",
			whenDone: true,
			procs:    []*config.ProcessConfig{prog("a", "a", oneShot), prog("b", "b", oneShot)},
			run:      func(w *fakeWorld) { w.running("a"); w.running("b"); w.exit("a", 0, 0); w.exit("b", 0, 0) },
			shutdown: true, status: 0,
			logPrefix: "INFO every process is done (exit_when_done): shutting down with exit status 0",
		},
		{
			name:     "exit_when_done: the first failure in priority order",
			whenDone: true,
			procs: []*config.ProcessConfig{prog("a", "a", oneShot, priority(1)), prog("b", "b", oneShot, priority(2)),
				prog("c", "c", oneShot, priority(3))},
			run: func(w *fakeWorld) {
				w.running("a")
				w.running("b")
				w.running("c")
				w.exit("c", 4, 0)
				w.exit("b", 3, 0)
				w.exit("a", 0, 0)
			},
			shutdown: true, status: 3,
		},
		{
			name:     "exit_when_done: a process never started does not count",
			whenDone: true,
			procs: []*config.ProcessConfig{prog("a", "a", oneShot),
				prog("manual", "manual", func(c *config.ProcessConfig) { c.Autostart = false })},
			run:      func(w *fakeWorld) { w.running("a"); w.exit("a", 0, 0) },
			shutdown: true, status: 0,
		},
		{
			name:     "exit_when_done: an exit followed by a restart is not the end",
			whenDone: true,
			procs:    []*config.ProcessConfig{prog("a", "a", func(c *config.ProcessConfig) { c.Autorestart = config.RestartAlways })},
			run:      func(w *fakeWorld) { w.running("a"); w.exit("a", 0, 0) },
		},
		{
			name:     "exit_when_done: a process still to autostart",
			whenDone: true,
			procs:    []*config.ProcessConfig{prog("a", "a", oneShot), prog("later", "later")},
			run:      func(w *fakeWorld) { w.running("a"); w.exit("a", 0, 0) },
		},
		{
			name:     "exit_when_done: a dependent held by a FATAL dependency waits in vain",
			whenDone: true,
			procs:    []*config.ProcessConfig{prog("db", "db", priority(2)), prog("web", "web", priority(1), dependsOn("db"))},
			run:      func(w *fakeWorld) { w.s.resolveDeps(); fatal("db", 6)(w) },
			shutdown: true, status: 6,
		},
		{
			name:     "exit_when_done: a dependent whose dependency may still run",
			whenDone: true,
			procs: []*config.ProcessConfig{prog("a", "a", oneShot, priority(1)),
				prog("db", "db", priority(3)), prog("web", "web", priority(2), dependsOn("db"))},
			// db not started yet (it would start in the pass): web may start.
			run: func(w *fakeWorld) { w.s.resolveDeps(); w.running("a"); w.exit("a", 0, 0) },
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := cfgOf(tc.procs...)
			cfg.Supervisord.ExitWhenDone = tc.whenDone
			w := newFakeWorld(t, cfg)
			tc.run(w)
			w.s.settleExit()
			if got := w.s.mood == process.MoodShutdown; got != tc.shutdown {
				t.Fatalf("shutting down: %v, want %v; log:\n%s", got, tc.shutdown, strings.Join(w.log.snapshot(), "\n"))
			}
			if got := w.s.ExitStatus(); got != tc.status {
				t.Errorf("exit status %d, want %d", got, tc.status)
			}
			if tc.logPrefix != "" && w.log.count(tc.logPrefix) != 1 {
				t.Errorf("want one line %q; log:\n%s", tc.logPrefix, strings.Join(w.log.snapshot(), "\n"))
			}
		})
	}
}

// The exit policy ends Run like a SIGTERM: everything is stopped and Run
// returns nil, ExitStatus holding the status (real children, real loop).
func TestCriticalExitEndsRun(t *testing.T) {
	job := prog("job", "sh -c 'exit 7'", func(c *config.ProcessConfig) {
		c.Critical, c.Autorestart, c.Startsecs = true, config.RestartNever, 0
	})
	other := prog("other", "sleep 300", func(c *config.ProcessConfig) { c.Startsecs = 0 })
	log := &memLog{}
	s := New(cfgOf(job, other), Deps{Logger: log})
	errc := make(chan error, 1)
	go func() { errc <- s.Run(t.Context()) }()
	select {
	case err := <-errc:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(20 * time.Second):
		s.Shutdown()
		<-errc
		t.Fatalf("Run did not end after a critical exit; log:\n%s", strings.Join(log.snapshot(), "\n"))
	}
	if st := s.ExitStatus(); st != 7 {
		t.Errorf("ExitStatus %d, want 7", st)
	}
	if log.count("INFO stopped: other ") != 1 && log.count("WARN stopped: other ") != 1 {
		t.Errorf("other was not stopped; log:\n%s", strings.Join(log.snapshot(), "\n"))
	}
}
