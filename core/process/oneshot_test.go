package process

import (
	"strings"
	"testing"
	"time"

	"super/core/config"
)

func oneshot(mod func(c *config.ProcessConfig)) func(c *config.ProcessConfig) {
	return func(c *config.ProcessConfig) {
		c.Oneshot = true
		c.Autorestart = config.RestartAlways // ignored: a one-shot ends for good
		if mod != nil {
			mod(c)
		}
	}
}

// A run that takes longer than startsecs stays STARTING until it exits;
// an expected exit is EXITED, and nothing starts it again.
func TestOneshotSuccess(t *testing.T) {
	w := newWorld(oneshot(nil))
	w.p.Transition(MoodRunning)
	w.want(t, Starting)
	if d := w.p.NextDeadline(MoodRunning); !d.IsZero() {
		t.Fatalf("a running one-shot has a deadline (%v): startsecs applies", d)
	}
	w.advance(time.Minute)
	w.p.Transition(MoodRunning)
	w.want(t, Starting)
	w.p.Finish(exitStatus(0))
	w.want(t, Exited)
	if got := strings.Join(w.changes, " "); got != "STOPPED->STARTING STARTING->EXITED" {
		t.Errorf("changes %s", got)
	}
	w.log.has(t, "INFO exited: x (exit status 0; expected)")
	w.advance(time.Hour)
	w.p.Transition(MoodRunning)
	w.want(t, Exited)
	if w.p.AutoStartDue() || !w.p.NextDeadline(MoodRunning).IsZero() {
		t.Error("a finished one-shot is due to start again")
	}
	// A start by request runs it again.
	w.p.Start()
	w.want(t, Starting)
}

// A quick expected exit is a success too (startsecs does not apply).
func TestOneshotQuickSuccess(t *testing.T) {
	w := newWorld(oneshot(func(c *config.ProcessConfig) { c.Startsecs = 10 }))
	w.p.Transition(MoodRunning)
	w.advance(time.Millisecond)
	w.p.Finish(exitStatus(0))
	w.want(t, Exited)
}

// Failed runs are retried as startretries says, waiting restart_delay,
// then FATAL with the reason.
func TestOneshotFailuresThenFatal(t *testing.T) {
	w := newWorld(oneshot(func(c *config.ProcessConfig) {
		c.Startretries = 2
		c.Exitcodes = []int{0, 2}
		c.RestartDelay, c.RestartDelayMax = time.Second, time.Second
	}))
	w.p.Transition(MoodRunning)
	for try := 1; try <= 3; try++ {
		w.advance(5 * time.Second) // longer than startsecs: still a failure
		w.p.Finish(exitStatus(3))
		w.want(t, Backoff)
		if try < 3 {
			w.awaitRestart(t, time.Second, Backoff)
		}
	}
	w.p.Transition(MoodRunning)
	w.want(t, Fatal)
	w.log.has(t, "WARN exited: x (exit status 3; not expected)")
	w.log.has(t, "INFO gave up: x entered FATAL state, too many failed runs (oneshot)")
	if w.p.SpawnErr() != "Exited unexpectedly (exit status 3)" || w.p.ExitStatus() != 3 {
		t.Errorf("spawnerr %q, exit status %d", w.p.SpawnErr(), w.p.ExitStatus())
	}
	// Run by hand after FATAL: exit code 2 is in exitcodes, a success.
	w.p.Start()
	w.p.Finish(exitStatus(2))
	w.want(t, Exited)
}

// Killed by a signal is a failure; stopped by request is STOPPED.
func TestOneshotSignalAndStop(t *testing.T) {
	w := newWorld(oneshot(nil))
	w.p.Transition(MoodRunning)
	w.p.Finish(signaled(9))
	w.want(t, Backoff)
	if w.p.SpawnErr() != "Exited unexpectedly (terminated by SIGKILL)" {
		t.Errorf("spawnerr %q", w.p.SpawnErr())
	}
	w.advance(2 * time.Second)
	w.p.Transition(MoodRunning)
	w.want(t, Starting)
	w.p.Stop()
	w.want(t, Stopping)
	w.p.Finish(signaled(15))
	w.want(t, Stopped)
}
