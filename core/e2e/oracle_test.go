package e2e

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"super/core/testbin"
)

// The activity log says the same as 4.2's for the same config: per
// process, the same lines in the same order (timestamps and pids masked;
// processes run concurrently, so only each one's own sequence is fixed),
// and the same daemon lines.
//
// The startsecs=0 programs live a moment: whether a child that exits
// within the very pass that spawned it gets a "success:" line depends on
// how long the rest of that pass takes (4.2 makes STARTING → RUNNING
// silently then), which is timing, not behaviour. flaky's startsecs is
// long for the same reason (see slowReapStartsecs).
func TestActivityLogMatchesOracle(t *testing.T) {
	testbin.NeedOracle(t)
	t.Parallel()
	const programs = `[program:steady]
command=sleep 60
startsecs=1

[program:flaky]
command=sh -c 'exit 3'
startsecs=10
startretries=1

[program:oneshot]
command=sh -c 'sleep 0.3; exit 0'
startsecs=0
autorestart=false

[program:picky]
command=sh -c 'sleep 0.3; exit 4'
startsecs=0
autorestart=unexpected
exitcodes=4

[program:manual]
command=sleep 60
autostart=false
`
	type result struct {
		perProc map[string][]string
		daemon  []string
	}
	run := func(t *testing.T, oracle bool) result {
		d := testbin.Start(t, oracle, programs)
		d.WaitState(t, "steady", "RUNNING", 10*time.Second)
		d.WaitState(t, "flaky", "FATAL", 15*time.Second)
		d.WaitState(t, "oneshot", "EXITED", 10*time.Second)
		d.WaitState(t, "picky", "EXITED", 10*time.Second)
		stopDaemon(t, d, 30*time.Second)
		return splitLog(d.Log())
	}
	var ours, theirs result
	t.Run("both", func(t *testing.T) {
		t.Run("super", func(t *testing.T) { t.Parallel(); r := run(t, false); ours.perProc, ours.daemon = r.perProc, r.daemon })
		t.Run("4.2", func(t *testing.T) {
			t.Parallel()
			r := run(t, true)
			theirs.perProc, theirs.daemon = r.perProc, r.daemon
		})
	})
	if t.Failed() {
		return
	}
	for _, name := range []string{"steady", "flaky", "oneshot", "picky", "manual"} {
		if a, b := strings.Join(ours.perProc[name], "\n"), strings.Join(theirs.perProc[name], "\n"); a != b {
			t.Errorf("%s: super logged\n%s\n4.2 logged\n%s", name, a, b)
		}
	}
	if a, b := strings.Join(ours.daemon, "\n"), strings.Join(theirs.daemon, "\n"); a != b {
		t.Errorf("daemon lines: super logged\n%s\n4.2 logged\n%s", a, b)
	}
}

var (
	procLineRE = regexp.MustCompile(`^(?:spawned: '([^']+)'|success: (\S+) |exited: (\S+) |gave up: (\S+) |stopped: (\S+) |spawnerr: )`)
	pidRE      = regexp.MustCompile(`\bpid \d+`)
)

// splitLog masks the activity log (no timestamps, pids as N) and sorts its
// lines into each process's and the daemon's own. "waiting for …" lines
// depend on timing and are left out.
func splitLog(log string) struct {
	perProc map[string][]string
	daemon  []string
} {
	out := struct {
		perProc map[string][]string
		daemon  []string
	}{perProc: map[string][]string{}}
	for _, e := range parseLog(log) {
		if strings.HasPrefix(e.Msg, "waiting for ") {
			continue
		}
		line := e.Level + " " + pidRE.ReplaceAllString(e.Msg, "pid N")
		if m := procLineRE.FindStringSubmatch(e.Msg); m != nil {
			name := ""
			for _, g := range m[1:] {
				if g != "" {
					name = g
				}
			}
			out.perProc[name] = append(out.perProc[name], line)
			continue
		}
		out.daemon = append(out.daemon, line)
	}
	return out
}
