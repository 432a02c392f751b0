package e2e

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"super/core/testbin"
	"super/core/xmlrpc"
)

// startProcess on a startsecs=0 program that exits at once: 4.2 finds it
// RUNNING right after the spawn ("success:"), so the start succeeds and
// the exit is logged after; it never answers ABNORMAL_TERMINATION (40).
func TestStartProcessStartsecs0QuickExitMatchesOracle(t *testing.T) {
	testbin.NeedOracle(t)
	t.Parallel()
	const programs = "[program:z]\ncommand=true\nstartsecs=0\nautostart=false\nautorestart=false\n"
	const starts = 30
	run := func(t *testing.T, oracle bool) (faults map[string]int, lines []string) {
		d := testbin.Start(t, oracle, programs)
		c := d.Client(t)
		faults = map[string]int{}
		for i := range starts {
			_, err := c.Call(context.Background(), "supervisor.startProcess", "z")
			var f *xmlrpc.Fault
			if errors.As(err, &f) {
				faults[fmt.Sprintf("fault %d", f.Code)]++
			} else if err != nil {
				t.Fatal(err)
			} else {
				faults["ok"]++
			}
			waitLog(t, d, `^exited: z `, i+1, 5*time.Second)
			d.WaitState(t, "z", "EXITED", 5*time.Second)
		}
		stopDaemon(t, d, 30*time.Second)
		return faults, splitLog(d.Log()).perProc["z"]
	}
	var oursF, theirsF map[string]int
	var ours, theirs []string
	t.Run("both", func(t *testing.T) {
		t.Run("super", func(t *testing.T) { t.Parallel(); oursF, ours = run(t, false) })
		t.Run("4.2", func(t *testing.T) { t.Parallel(); theirsF, theirs = run(t, true) })
	})
	if t.Failed() {
		return
	}
	if oursF["ok"] != starts {
		t.Errorf("super answered %v to %d starts, 4.2 %v", oursF, starts, theirsF)
	}
	once := []string{
		"INFO spawned: 'z' with pid N",
		"INFO success: z entered RUNNING state, process has stayed up for > than 0 seconds (startsecs)",
		"INFO exited: z (exit status 0; expected)",
	}
	var want []string
	for range starts {
		want = append(want, once...)
	}
	if a, b := strings.Join(ours, "\n"), strings.Join(want, "\n"); a != b {
		t.Errorf("super logged\n%s\nwant (as 4.2) %d times\n%s", a, starts, strings.Join(once, "\n"))
	}
	if a, b := strings.Join(theirs, "\n"), strings.Join(want, "\n"); a != b {
		t.Logf("4.2 itself logged something else this time:\n%s", a)
	}
}
