package e2e

import (
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"super/core/testbin"
)

// A child that cannot change directory, switch user or exec is, as in 4.2,
// a process that was spawned, wrote why to its stderr log and exited 127:
// the same activity log lines, the same getProcessInfo and the same text
// in the program's stderr log. A command that cannot be found stays a
// spawn error of the parent in both.
func TestChildSideSpawnFailuresMatchOracle(t *testing.T) {
	testbin.NeedOracle(t)
	t.Parallel()
	shared := t.TempDir()
	badInterp := filepath.Join(shared, "badinterp.sh")
	if err := os.WriteFile(badInterp, []byte("#!/nonexistent/interpreter\necho hi\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	notDir := filepath.Join(shared, "plainfile")
	if err := os.WriteFile(notDir, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	names := []string{"nodir", "notdir", "badexec", "nocmd"}
	programs := fmt.Sprintf(`
[program:nodir]
command=sleep 60
directory=/nonexistent
startretries=0
startsecs=%[3]s
stderr_logfile=%%(here)s/nodir.err

[program:notdir]
command=sleep 60
directory=%[1]s
startretries=0
startsecs=%[3]s
stderr_logfile=%%(here)s/notdir.err

[program:badexec]
command=%[2]s
startretries=0
startsecs=%[3]s
stderr_logfile=%%(here)s/badexec.err

[program:nocmd]
command=/nonexistent/cmd
startretries=0
`, notDir, badInterp, slowReapStartsecs)
	// A directory the program's user may not enter: only root can switch
	// users, and the chdir happens after the switch.
	if locked := lockedDir(t, shared); locked != "" {
		names = append(names, "nosearch")
		programs += fmt.Sprintf(`
[program:nosearch]
command=sleep 60
user=nobody
directory=%s
startretries=0
startsecs=%s
stderr_logfile=%%(here)s/nosearch.err
`, locked, slowReapStartsecs)
	} else {
		t.Log("not root or no user nobody: the chdir-after-setuid case is left out")
	}

	type outcome struct {
		log    map[string][]string
		info   map[string]string
		stderr map[string]string
		daemon []string
	}
	run := func(t *testing.T, oracle bool) outcome {
		d := testbin.Start(t, oracle, programs)
		for _, n := range names {
			d.WaitState(t, n, "FATAL", 10*time.Second)
		}
		o := outcome{info: map[string]string{}, stderr: map[string]string{}}
		for _, n := range names {
			info := infoOf(t, d, n)
			o.info[n] = fmt.Sprintf("statename=%v description=%q spawnerr=%q exitstatus=%v",
				info["statename"], info["description"], info["spawnerr"], info["exitstatus"])
			b, _ := os.ReadFile(filepath.Join(d.Dir, n+".err"))
			o.stderr[n] = string(b)
		}
		stopDaemon(t, d, 30*time.Second)
		split := splitLog(d.Log())
		o.log, o.daemon = split.perProc, split.daemon
		return o
	}
	var ours, theirs outcome
	t.Run("both", func(t *testing.T) {
		t.Run("super", func(t *testing.T) { t.Parallel(); ours = run(t, false) })
		t.Run("4.2", func(t *testing.T) { t.Parallel(); theirs = run(t, true) })
	})
	if t.Failed() {
		return
	}
	// spawnerr lines carry no process name: compare them as a whole.
	for _, n := range append(names, "") {
		if a, b := strings.Join(ours.log[n], "\n"), strings.Join(theirs.log[n], "\n"); a != b {
			t.Errorf("%q log lines: super\n%s\n4.2\n%s", n, a, b)
		}
	}
	for _, n := range names {
		if ours.info[n] != theirs.info[n] {
			t.Errorf("%s getProcessInfo: super %s, 4.2 %s", n, ours.info[n], theirs.info[n])
		}
		if ours.stderr[n] != theirs.stderr[n] {
			t.Errorf("%s stderr log: super %q, 4.2 %q", n, ours.stderr[n], theirs.stderr[n])
		}
	}
	// The failed fork inside the runtime is reaped by it, never by the
	// daemon's reaper.
	for _, l := range ours.daemon {
		if strings.Contains(l, "reaped unknown pid") {
			t.Errorf("super logged %q", l)
		}
	}
	if got := ours.stderr["nodir"]; got != "supervisor: couldn't chdir to /nonexistent: ENOENT\nsupervisor: child process was not spawned\n" {
		t.Errorf("nodir stderr log %q", got)
	}
}

// slowReapStartsecs is the startsecs of the programs of a differential
// test that must exit "too quickly": 10 s rather than the default 1 s.
// 4.2 judges a start by when it reaps the child, not by when the child
// exited (Subprocess.finish: too_quickly = now - laststart < startsecs),
// and it reaps on the pass after the one that spawned: a loaded 4.2 that
// spawns a few programs in a pass reaps a child that failed at once more
// than 1 s after its start, counts that as a run (STARTING → RUNNING →
// EXITED, backoff reset) and spawns it again, so its log had an extra
// "spawned:"/"exited:" pair per slow pass. A child failing at once is
// never reaped 10 s late, so both sides judge the program, not the
// machine; the programs never run, so the longer startsecs costs nothing.
const slowReapStartsecs = "10"

// lockedDir makes a directory that user nobody cannot enter, or returns ""
// when the test cannot switch users (not root, no such user).
func lockedDir(t *testing.T, parent string) string {
	if os.Getuid() != 0 {
		return ""
	}
	if _, err := user.Lookup("nobody"); err != nil {
		return ""
	}
	dir := filepath.Join(parent, "locked")
	if err := os.MkdirAll(filepath.Join(dir, "inner"), 0o700); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, "inner")
}
