package process

import (
	"strings"
	"testing"
	"time"

	"super/core/config"
)

func scheduled(c *config.ProcessConfig) {
	c.Schedule = "@every 1m"
	c.Autorestart = config.RestartAlways // ignored: only the schedule starts it
}

// Nothing starts a scheduled process on its own: autostart is ignored.
func TestScheduledNoAutostart(t *testing.T) {
	w := newWorld(scheduled)
	w.p.Transition(MoodRunning)
	w.want(t, Stopped)
	if w.p.AutoStartDue() || !w.p.NextDeadline(MoodRunning).IsZero() {
		t.Fatal("a scheduled process is due to start on its own")
	}
}

// A run that ends before startsecs is not a failed start: EXITED,
// expected or not as exitcodes say, and never restarted.
func TestScheduledRunExits(t *testing.T) {
	for _, tc := range []struct {
		code     int
		expected bool
		line     string
	}{
		{0, true, "INFO exited: x (exit status 0; expected)"},
		{4, false, "WARN exited: x (exit status 4; not expected)"},
	} {
		w := newWorld(scheduled)
		w.p.Start()
		w.advance(10 * time.Millisecond)
		w.p.Finish(exitStatus(tc.code))
		w.want(t, Exited)
		w.log.has(t, tc.line)
		if got := w.changes[len(w.changes)-1]; strings.HasSuffix(got, "(unexpected)") == tc.expected {
			t.Errorf("exit %d: change %s", tc.code, got)
		}
		w.advance(time.Hour)
		w.p.Transition(MoodRunning)
		w.want(t, Exited)
	}
}

// A stop between runs: EXITED goes STOPPED.
func TestUnschedule(t *testing.T) {
	w := newWorld(scheduled)
	w.p.Start()
	w.p.Finish(exitStatus(0))
	w.p.Unschedule()
	w.want(t, Stopped)
	w = newWorld(nil) // not scheduled: nothing happens
	w.p.Start()
	w.p.Transition(MoodRunning)
	w.advance(2 * time.Second)
	w.p.Transition(MoodRunning)
	w.p.Finish(exitStatus(0))
	w.p.Unschedule()
	w.want(t, Exited)
}
