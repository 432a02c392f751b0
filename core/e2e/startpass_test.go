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
			// Exits 127 within startsecs: BACKOFF, then FATAL. startsecs
			// is 10, not 1: see slowReapStartsecs.
			b.WriteString("command=sleep 60\ndirectory=/nonexistent\nstartsecs=" + slowReapStartsecs + "\n")
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
	starts := regexp.MustCompile(`^(spawned: '(\w+)' with pid) \d+$|^spawnerr: .*$`)
	// run returns the pass: each program's first start ("spawned:" or
	// "spawnerr:"; a program that cannot be found is never retried), in
	// the order logged, and how many starts were logged in all.
	run := func(t *testing.T, oracle bool) (pass []string, all int, states map[string]string) {
		d := testbin.Start(t, oracle, programs)
		for name, st := range want {
			d.WaitState(t, name, st, 30*time.Second)
		}
		states = map[string]string{}
		for name := range want {
			states[name] = d.StateOf(t, name)
		}
		// Every start is logged once the states are final (RUNNING and
		// FATAL are). The daemons are not stopped here: 4.2 stops one
		// group per pass of its loop, and a pass waits up to 1 s in its
		// select (a SIGCHLD does not end it), so its shutdown of 27
		// programs took over 20 s on a loaded machine.
		started := map[string]bool{}
		for _, e := range parseLog(d.Log()) {
			m := starts.FindStringSubmatch(e.Msg)
			if m == nil {
				continue
			}
			all++
			switch {
			case m[1] == "":
				pass = append(pass, e.Msg)
			case !started[m[2]]:
				started[m[2]] = true
				pass = append(pass, m[1])
			}
		}
		return pass, all, states
	}
	var ours, theirs []string
	var ourAll, theirAll int
	var ourStates, theirStates map[string]string
	t.Run("both", func(t *testing.T) {
		t.Run("super", func(t *testing.T) { t.Parallel(); ours, ourAll, ourStates = run(t, false) })
		t.Run("4.2", func(t *testing.T) { t.Parallel(); theirs, theirAll, theirStates = run(t, true) })
	})
	if t.Failed() {
		return
	}
	if a, b := strings.Join(ours, "\n"), strings.Join(theirs, "\n"); a != b {
		t.Errorf("starts of the pass logged: super\n%s\n4.2\n%s", a, b)
	}
	// startretries=0: one start each. 4.2 may log more: it judges a start
	// by when it reaps the child (see slowReapStartsecs), and a 4.2 too
	// loaded to reap a child that failed at once within startsecs counts
	// it as a run and starts it again. Such retries come after the pass
	// and are not compared; super reaps as soon as SIGCHLD comes and must
	// not retry.
	if ourAll != n {
		t.Errorf("super logged %d starts, want %d (4.2: %d)", ourAll, n, theirAll)
	}
	for name := range want {
		if ourStates[name] != theirStates[name] {
			t.Errorf("%s: super %s, 4.2 %s", name, ourStates[name], theirStates[name])
		}
	}
}
