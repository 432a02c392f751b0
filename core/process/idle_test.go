package process

import (
	"fmt"
	"testing"
	"time"

	"super/core/config"
)

// A process Idle(mood) says has nothing to do must get nothing done by
// the decisions Transition(mood) makes, and have no deadline, whatever
// the time: the supervisor's pass skips the
// clock and every check for it. Every state, mood and the configurations
// and fields its decisions read, at times from now to far ahead.
func TestIdleMeansTransitionDoesNothing(t *testing.T) {
	states := []State{Stopped, Starting, Running, Backoff, Stopping, Exited, Fatal, Unknown}
	moods := []Mood{MoodRunning, MoodRestarting, MoodShutdown}
	configs := map[string]func(c *config.ProcessConfig){
		"default":        nil,
		"no autostart":   func(c *config.ProcessConfig) { c.Autostart = false },
		"always":         func(c *config.ProcessConfig) { c.Autorestart = config.RestartAlways },
		"never":          func(c *config.ProcessConfig) { c.Autorestart = config.RestartNever },
		"oneshot":        func(c *config.ProcessConfig) { c.Oneshot = true },
		"notify":         func(c *config.ProcessConfig) { c.Notify = true },
		"notify, 0 secs": func(c *config.ProcessConfig) { c.Notify, c.Startsecs = true, 0 },
		"startsecs 0":    func(c *config.ProcessConfig) { c.Startsecs = 0 },
		"restart delay":  func(c *config.ProcessConfig) { c.RestartDelay = 5 },
		"schedule":       func(c *config.ProcessConfig) { c.Schedule = "@every 1m" },
		"log line, 0":    func(c *config.ProcessConfig) { c.ReadyLogLine, c.Startsecs = "ready", 0 },
		"log line":       func(c *config.ProcessConfig) { c.ReadyLogLine = "ready" },
	}
	base := time.Unix(1000, 0)
	times := []time.Time{{}, base.Add(-time.Hour), base, base.Add(time.Second)}
	idle, busy := 0, 0
	for cname, mod := range configs {
		for _, st := range states {
			for _, mood := range moods {
				for _, started := range []bool{false, true} {
					for _, delay := range times {
						for _, backoff := range []int{0, 9} {
							for _, es := range []int{0, 1} {
								w := newWorld(mod)
								p := w.p
								p.state, p.delay, p.backoff, p.exitstatus = st, delay, backoff, es
								if started {
									p.laststart = base.Add(-time.Minute)
									p.pid = 42
								}
								if !p.Idle(mood) {
									busy++
									continue
								}
								idle++
								name := fmt.Sprintf("%s %s mood %d started %v delay %v backoff %d exit %d",
									cname, st, mood, started, delay, backoff, es)
								if d := p.NextDeadline(mood); !d.IsZero() {
									t.Fatalf("%s: idle, yet a deadline at %v", name, d)
								}
								for _, ahead := range []time.Duration{0, time.Second, time.Hour, 1000 * time.Hour} {
									w.now = base.Add(ahead)
									before := *p
									p.decide(mood, nil)
									if p.state != before.state || p.delay != before.delay || p.backoff != before.backoff ||
										p.pid != before.pid || len(w.log.lines) > 0 || len(w.kills) > 0 || len(w.changes) > 0 {
										t.Fatalf("%s, %v later: idle, yet the decisions did something: state %s, log %q, kills %q",
											name, ahead, p.state, w.log.lines, w.kills)
									}
								}
							}
						}
					}
				}
			}
		}
	}
	if idle == 0 || busy == 0 {
		t.Fatalf("%d idle and %d busy cases: the table does not exercise both", idle, busy)
	}
}
