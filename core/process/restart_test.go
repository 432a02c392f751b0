package process

import (
	"strings"
	"testing"
	"time"

	"super/core/config"
)

// runFor brings the process from STARTING to RUNNING and keeps it up for
// d in RUNNING, then its child exits with code.
func (w *world) runFor(t *testing.T, d time.Duration, code int) {
	t.Helper()
	w.want(t, Starting)
	w.advance(time.Duration(w.p.Config.Startsecs)*time.Second + time.Millisecond)
	w.p.Transition(MoodRunning)
	w.want(t, Running)
	w.advance(d)
	w.p.Finish(exitStatus(code))
}

// awaitRestart checks the process waits exactly wait before its
// automatic restart (NextDeadline says when; nothing starts earlier), then
// lets the restart happen.
func (w *world) awaitRestart(t *testing.T, wait time.Duration, from State) {
	t.Helper()
	w.want(t, from)
	at := w.p.RestartAt()
	if want := w.now.Add(wait); !at.Equal(want) {
		t.Fatalf("restart at +%v, want +%v", at.Sub(w.now), wait)
	}
	if d := w.p.NextDeadline(MoodRunning); d.Before(at) || d.After(at.Add(time.Millisecond)) {
		t.Fatalf("deadline +%v, want the restart's +%v", d.Sub(w.now), wait)
	}
	w.advance(wait - time.Millisecond)
	w.p.Transition(MoodRunning)
	w.want(t, from)
	w.advance(2 * time.Millisecond)
	w.p.Transition(MoodRunning)
	w.want(t, Starting)
}

func (w *world) count(line string) int {
	n := 0
	for _, l := range w.log.lines {
		if l == line {
			n++
		}
	}
	return n
}

// Exits with autorestart wait restart_delay, doubled for each restart in a
// row, at most restart_delay_max; each wait is logged once, after the exit.
func TestRestartDelayDoublesUpToTheCap(t *testing.T) {
	w := newWorld(func(c *config.ProcessConfig) {
		c.Autorestart = config.RestartAlways
		c.RestartDelay, c.RestartDelayMax = 2*time.Second, 10*time.Second
	})
	w.p.Transition(MoodRunning)
	for _, wait := range []time.Duration{2, 4, 8, 10, 10} {
		w.runFor(t, 3*time.Second, 0)
		w.awaitRestart(t, wait*time.Second, Exited)
	}
	for _, wait := range []string{"2", "4", "8"} {
		if n := w.count("INFO waiting " + wait + " s before restarting x"); n != 1 {
			t.Errorf("%d lines for the %s s wait, want 1:\n%s", n, wait, strings.Join(w.log.lines, "\n"))
		}
	}
	if n := w.count("INFO waiting 10 s before restarting x"); n != 2 {
		t.Errorf("%d lines for the 10 s waits, want 2", n)
	}
	// The wait's line comes right after the exit's.
	for i, l := range w.log.lines {
		if strings.HasPrefix(l, "INFO waiting") && !strings.HasPrefix(w.log.lines[i-1], "INFO exited: x") {
			t.Errorf("%q follows %q", l, w.log.lines[i-1])
		}
	}
}

// A run that stayed RUNNING for restart_delay_max ends the streak: its
// exit waits restart_delay again.
func TestRestartDelayResetsAfterALongRun(t *testing.T) {
	w := newWorld(func(c *config.ProcessConfig) {
		c.Autorestart = config.RestartAlways
		c.RestartDelay, c.RestartDelayMax = time.Second, 8*time.Second
	})
	w.p.Transition(MoodRunning)
	w.runFor(t, time.Second, 1)
	w.awaitRestart(t, time.Second, Exited)
	w.runFor(t, 7*time.Second, 1) // shorter than the cap: the streak goes on
	w.awaitRestart(t, 2*time.Second, Exited)
	w.runFor(t, 8*time.Second, 1) // as long as the cap: it starts over
	w.awaitRestart(t, time.Second, Exited)
}

// Failed starts wait restart_delay (doubling) instead of 4.2's 1, 2, 3 s,
// and still give up after startretries.
func TestRestartDelayBeforeBackoffRetries(t *testing.T) {
	w := newWorld(func(c *config.ProcessConfig) {
		c.Startretries = 3
		c.RestartDelay, c.RestartDelayMax = 500*time.Millisecond, time.Second
	})
	w.p.Transition(MoodRunning)
	for _, wait := range []time.Duration{500, 1000, 1000} {
		w.advance(10 * time.Millisecond)
		w.p.Finish(exitStatus(1))
		w.awaitRestart(t, wait*time.Millisecond, Backoff)
	}
	w.advance(10 * time.Millisecond)
	w.p.Finish(exitStatus(1))
	w.want(t, Backoff)
	if !w.p.RestartAt().IsZero() {
		t.Fatal("a restart is pending after the last retry")
	}
	w.p.Transition(MoodRunning)
	w.want(t, Fatal)
	lines := strings.Join(w.log.lines, "\n")
	if strings.Count(lines, "waiting") != 3 || !strings.Contains(lines, "INFO waiting 0.5 s before restarting x") {
		t.Errorf("want three waits logged, the first of 0.5 s:\n%s", lines)
	}
}

// startretries=infinite: failed starts never end in FATAL.
func TestStartretriesInfinite(t *testing.T) {
	w := newWorld(func(c *config.ProcessConfig) {
		c.Startretries = config.RetryForever
		c.RestartDelay, c.RestartDelayMax = time.Second, time.Second
	})
	w.p.Transition(MoodRunning)
	for range 100 {
		w.advance(10 * time.Millisecond)
		w.p.Finish(exitStatus(1))
		w.awaitRestart(t, time.Second, Backoff)
	}
	w.runFor(t, time.Second, 0) // it works now
	w.want(t, Exited)
	if w.p.Backoff() != 0 {
		t.Errorf("backoff %d after a good run", w.p.Backoff())
	}
}

// A stop request during the wait ends it: STOPPED, and nothing restarts.
func TestStopCancelsThePendingRestart(t *testing.T) {
	w := newWorld(func(c *config.ProcessConfig) {
		c.Autorestart = config.RestartAlways
		c.RestartDelay = 5 * time.Second
		c.RestartDelayMax = 5 * time.Second
	})
	w.p.Transition(MoodRunning)
	w.runFor(t, time.Second, 0)
	w.want(t, Exited)
	if !w.p.CancelRestart() {
		t.Fatal("no restart to cancel")
	}
	w.want(t, Stopped)
	w.log.has(t, "INFO stopped: x (restart cancelled)")
	if got := w.changes[len(w.changes)-1]; got != "EXITED->STOPPED" {
		t.Errorf("last change %s", got)
	}
	w.advance(time.Hour)
	w.p.Transition(MoodRunning)
	w.want(t, Stopped)
	if !w.p.NextDeadline(MoodRunning).IsZero() {
		t.Error("a deadline is left")
	}
	if w.p.CancelRestart() {
		t.Error("cancelled twice")
	}
}

// A start asked for starts the delay over.
func TestStartResetsTheStreak(t *testing.T) {
	w := newWorld(func(c *config.ProcessConfig) {
		c.Autorestart = config.RestartAlways
		c.RestartDelay, c.RestartDelayMax = time.Second, time.Minute
	})
	w.p.Transition(MoodRunning)
	w.runFor(t, time.Second, 1)
	w.awaitRestart(t, time.Second, Exited)
	w.runFor(t, time.Second, 1)
	w.awaitRestart(t, 2*time.Second, Exited)
	w.runFor(t, time.Second, 1)
	w.want(t, Exited) // waiting 4 s; the user starts it now
	w.p.Start()
	w.runFor(t, time.Second, 1)
	w.awaitRestart(t, time.Second, Exited)
}

// Without restart_delay nothing is pending or logged: 4.2's immediate
// autorestart and 1, 2, 3 s backoff.
func TestNoRestartDelayIs42(t *testing.T) {
	w := newWorld(func(c *config.ProcessConfig) { c.Autorestart = config.RestartAlways })
	w.p.Transition(MoodRunning)
	w.runFor(t, time.Second, 0)
	w.want(t, Exited)
	if !w.p.RestartAt().IsZero() || w.p.NextDeadline(MoodRunning).After(w.now) {
		t.Fatal("a 4.2 autorestart waits")
	}
	w.p.Transition(MoodRunning)
	w.want(t, Starting)
	w.p.Finish(exitStatus(1))
	w.want(t, Backoff)
	if !w.p.RestartAt().IsZero() {
		t.Error("4.2's backoff is shown as a pending restart")
	}
	for _, l := range w.log.lines {
		if strings.Contains(l, "waiting") {
			t.Errorf("logged %q", l)
		}
	}
}

func TestRestartIn(t *testing.T) {
	now := time.Unix(1000, 0)
	for d, want := range map[time.Duration]string{
		8 * time.Second: "restarting in 8 s", 7500 * time.Millisecond: "restarting in 8 s",
		time.Millisecond: "restarting in 1 s", 0: "restarting now", -time.Second: "restarting now",
	} {
		if got := RestartIn(now.Add(d), now); got != want {
			t.Errorf("RestartIn(+%v) = %q, want %q", d, got, want)
		}
	}
}
