package e2e

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"super/core/testbin"
)

// One pass starting many programs, some of which cannot start (no such
// command: the parent's spawn error; no such directory: a child that says
// so and exits 127), logs its starts as 4.2 does: "spawned:" and
// "spawnerr:" lines in priority order (not name order), and every program
// ends in 4.2's state. super overlaps the forks of such a pass; nothing of
// that may show.
func TestManyStartsInOnePassMatchOracle(t *testing.T) {
	testbin.NeedOracle(t)
	t.Parallel()
	const n = 40
	var b strings.Builder
	want := map[string]string{}
	for i := range n {
		name := fmt.Sprintf("p%02d", i)
		fmt.Fprintf(&b, "\n[program:%s]\npriority=%d\nstartretries=0\n", name, 900-i*7%40)
		switch {
		case i%5 == 3:
			b.WriteString("command=/nonexistent/cmd\n")
			want[name] = "FATAL"
		case i%7 == 4:
			// Exits 127 within startsecs: BACKOFF, then FATAL.
			b.WriteString("command=sleep 60\ndirectory=/nonexistent\n")
			want[name] = "FATAL"
		case i%6 == 1:
			b.WriteString("command=sleep 60\nstartsecs=0\numask=077\n")
			want[name] = "RUNNING"
		default:
			b.WriteString("command=sleep 60\nstartsecs=0\n")
			want[name] = "RUNNING"
		}
	}
	programs := b.String()
	starts := regexp.MustCompile(`^(spawned: '\w+' with pid) \d+$|^spawnerr: .*$`)
	run := func(t *testing.T, oracle bool) (order []string, states map[string]string) {
		d := testbin.Start(t, oracle, programs)
		for name, st := range want {
			d.WaitState(t, name, st, 20*time.Second)
		}
		states = map[string]string{}
		for name := range want {
			states[name] = d.StateOf(t, name)
		}
		stopDaemon(t, d, 20*time.Second)
		for _, e := range parseLog(d.Log()) {
			if m := starts.FindStringSubmatch(e.Msg); m != nil {
				if m[1] != "" {
					order = append(order, m[1])
				} else {
					order = append(order, e.Msg)
				}
			}
		}
		return order, states
	}
	var ours, theirs []string
	var ourStates, theirStates map[string]string
	t.Run("both", func(t *testing.T) {
		t.Run("super", func(t *testing.T) { t.Parallel(); ours, ourStates = run(t, false) })
		t.Run("4.2", func(t *testing.T) { t.Parallel(); theirs, theirStates = run(t, true) })
	})
	if t.Failed() {
		return
	}
	if a, b := strings.Join(ours, "\n"), strings.Join(theirs, "\n"); a != b {
		t.Errorf("starts logged: super\n%s\n4.2\n%s", a, b)
	}
	if len(ours) != n {
		t.Errorf("%d starts logged, want %d", len(ours), n)
	}
	for name := range want {
		if ourStates[name] != theirStates[name] {
			t.Errorf("%s: super %s, 4.2 %s", name, ourStates[name], theirStates[name])
		}
	}
}
