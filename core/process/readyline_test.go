package process

import (
	"slices"
	"testing"
	"time"

	"super/core/config"
)

// ready_log_line takes notify's path: RUNNING when the engine says a line
// matched, not after startsecs; none in time is a failed start; exiting
// before it too. Only the texts differ.
func logLineWorld(startsecs int) *world {
	return newWorld(func(c *config.ProcessConfig) {
		c.ReadyLogLine, c.Startsecs, c.Startretries = "ready", startsecs, 1
	})
}

func TestReadyLogLineMakesRunning(t *testing.T) {
	w := logLineWorld(5)
	w.p.Transition(MoodRunning)
	w.advance(6 * time.Second) // startsecs alone do not make it RUNNING…
	matched := false
	w.p.SetReadyProbe(func() bool { return matched })
	w.p.Transition(MoodRunning)
	w.want(t, Stopping) // …they end the start
	w.log.has(t, "WARN x printed no line matching ready_log_line within 5 seconds (startsecs); stopping it")
	w.p.Finish(signaled(15))
	w.want(t, Backoff)
	if w.p.SpawnErr() != "no line matching ready_log_line within 5 seconds (startsecs)" {
		t.Errorf("spawnerr %q", w.p.SpawnErr())
	}
	w.advance(time.Second + time.Millisecond)
	w.p.Transition(MoodRunning)
	w.want(t, Starting)
	if !w.p.Ready() {
		t.Fatal("Ready() = false for a STARTING ready_log_line process")
	}
	w.want(t, Running)
	w.log.has(t, "INFO success: x entered RUNNING state, a line of its output matched ready_log_line")
}

// A line that matched before startsecs ended, not yet delivered to the
// loop, counts: the probe is asked before the start is declared failed.
func TestReadyLogLineProbeAtDeadline(t *testing.T) {
	w := logLineWorld(2)
	w.p.Transition(MoodRunning)
	w.p.SetReadyProbe(func() bool { return true })
	w.advance(3 * time.Second)
	w.p.Transition(MoodRunning)
	w.want(t, Running)
	w.log.has(t, "INFO success: x entered RUNNING state, a line of its output matched ready_log_line")
}

// A program that printed its line and exited at once was ready: its exit
// is an exit (EXITED), not a failed start; without the line it is one.
func TestReadyLogLineProbeAtExit(t *testing.T) {
	w := logLineWorld(10)
	w.p.Transition(MoodRunning)
	w.p.SetReadyProbe(func() bool { return true })
	w.p.Finish(exitStatus(0))
	w.want(t, Exited)
	if !slices.Equal(w.changes, []string{"STOPPED->STARTING", "STARTING->RUNNING", "RUNNING->EXITED"}) {
		t.Errorf("changes %v", w.changes)
	}

	w2 := logLineWorld(10)
	w2.p.Transition(MoodRunning)
	w2.p.SetReadyProbe(func() bool { return false })
	w2.p.Finish(exitStatus(0))
	w2.want(t, Backoff)
	if w2.p.SpawnErr() != "Exited before a line matched ready_log_line (process log may have details)" {
		t.Errorf("spawnerr %q", w2.p.SpawnErr())
	}
}
