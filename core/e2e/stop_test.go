package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"super/core/testbin"
)

// A child ignoring SIGTERM gets SIGKILL after stopwaitsecs.
func TestStopwaitsecsThenSigkill(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	rec := filepath.Join(dir, "rec")
	d := testbin.Start(t, false, fmt.Sprintf(`[program:stubborn]
command=%s
startsecs=0
stopwaitsecs=1
`, helperCmd(t, "record", rec, "ignoreterm")))
	d.WaitState(t, "stubborn", "RUNNING", 5*time.Second)
	waitFor(t, 5*time.Second, "child ready", func() bool { return len(lines(rec)) > 0 })
	pid := pidOf(t, d, "stubborn")

	start := time.Now()
	d.Call(t, "supervisor.stopProcess", "stubborn", true)
	took := time.Since(start)
	if got := lines(rec); len(got) != 2 || got[1] != "TERM" {
		t.Errorf("child recorded %q, want ready then TERM", got)
	}
	// Never sooner than stopwaitsecs; the upper bound tells the
	// configured 1 s from the default 10 s with room for a loaded machine
	// (the kill, the reap and the answer).
	if took < time.Second || took >= 5*time.Second {
		t.Errorf("stop took %v, want stopwaitsecs=1 and a little", took)
	}
	gone(t, pid, "child")
	waitLog(t, d, fmt.Sprintf(`^killing 'stubborn' \(%d\) with SIGKILL$`, pid), 1, time.Second)
	waitLog(t, d, `^stopped: stubborn \(terminated by SIGKILL\)$`, 1, time.Second)
	if s := d.StateOf(t, "stubborn"); s != "STOPPED" {
		t.Errorf("state %s", s)
	}
}

// stopasgroup signals the child's whole process group, so a grandchild is
// stopped too; without it the grandchild outlives the child (as in 4.2).
func TestStopasgroupKillsGrandchild(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	gcGroup, gcAlone := filepath.Join(dir, "group.pid"), filepath.Join(dir, "alone.pid")
	d := testbin.Start(t, false, fmt.Sprintf(`[program:group]
command=%s
startsecs=0
stopasgroup=true

[program:alone]
command=%s
startsecs=0
`, helperCmd(t, "grandchild", gcGroup), helperCmd(t, "grandchild", gcAlone)))
	d.WaitState(t, "group", "RUNNING", 5*time.Second)
	d.WaitState(t, "alone", "RUNNING", 5*time.Second)
	readPid := func(path string) int {
		var pid int
		waitFor(t, 5*time.Second, "grandchild pid in "+path, func() bool {
			b, _ := os.ReadFile(path)
			pid, _ = strconv.Atoi(strings.TrimSpace(string(b)))
			return pid > 0
		})
		return pid
	}
	inGroup, alone := readPid(gcGroup), readPid(gcAlone)
	t.Cleanup(func() { syscall.Kill(alone, syscall.SIGKILL) })
	for name, gc := range map[string]int{"group": inGroup, "alone": alone} {
		p, _ := testbin.ReadProc(gc)
		if child := pidOf(t, d, name); p.Pgid != child {
			t.Fatalf("%s: grandchild in process group %d, want the child's %d", name, p.Pgid, child)
		}
	}
	d.Call(t, "supervisor.stopProcess", "group", true)
	d.Call(t, "supervisor.stopProcess", "alone", true)
	gone(t, inGroup, "grandchild with stopasgroup")
	if !testbin.Alive(alone) {
		t.Errorf("grandchild without stopasgroup died; only its parent was signalled")
	}
	waitLog(t, d, `^stopped: group \(terminated by SIGTERM\)$`, 1, time.Second)
}

// Processes start in priority order and stop in reverse priority order.
func TestPriorityOrder(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	order := filepath.Join(dir, "order")
	prog := func(name string, prio int) string {
		return fmt.Sprintf(`[program:%[1]s]
command=sh -c 'echo %[1]s >> %[2]s; exec sleep 60'
startsecs=0
priority=%[3]d
`, name, order, prio)
	}
	d := testbin.Start(t, false, prog("last", 300)+prog("first", 100)+prog("middle", 200))
	for _, n := range []string{"first", "middle", "last"} {
		d.WaitState(t, n, "RUNNING", 5*time.Second)
	}
	// The children themselves run concurrently (4.2 does not wait for one
	// to be RUNNING before spawning the next), so the order is the
	// spawns'; each did run.
	waitFor(t, 5*time.Second, "three starts", func() bool { return len(lines(order)) == 3 })
	log := parseLog(d.Log())
	var spawned []string
	for _, e := range find(log, `^spawned: `) {
		spawned = append(spawned, strings.Split(e.Msg, "'")[1])
	}
	if got := strings.Join(spawned, " "); got != "first middle last" {
		t.Errorf("spawned %s", got)
	}
	stopDaemon(t, d, 10*time.Second)
	var stopped []string
	for _, e := range find(parseLog(d.Log()), `^stopped: `) {
		stopped = append(stopped, strings.Fields(e.Msg)[1])
	}
	if got := strings.Join(stopped, " "); got != "last middle first" {
		t.Errorf("stopped %s, want last middle first", got)
	}
}

// After SIGTERM to a daemon running 100 children (each with a grandchild),
// nothing survives and the daemon exits 0 within stopwaitsecs.
func TestHundredChildrenStop(t *testing.T) {
	t.Parallel()
	const stopwait = 5
	d := testbin.Start(t, false, fmt.Sprintf(`[program:many]
command=sh -c 'sleep 300 & exec sleep 301'
process_name=%%(program_name)s_%%(process_num)03d
numprocs=100
startsecs=0
stopasgroup=true
stopwaitsecs=%d
`, stopwait))
	waitFor(t, 20*time.Second, "100 RUNNING", func() bool {
		all, _ := d.Call(t, "supervisor.getAllProcessInfo").([]any)
		n := 0
		for _, p := range all {
			if p.(map[string]any)["statename"] == "RUNNING" {
				n++
			}
		}
		return n == 100
	})
	var procs []testbin.Proc
	waitFor(t, 10*time.Second, "200 descendants", func() bool {
		procs = testbin.Descendants(d.Pid())
		return len(procs) >= 200
	})
	took := stopDaemon(t, d, stopwait*time.Second)
	t.Logf("100 children and 100 grandchildren stopped in %v", took)
	for _, p := range procs {
		if testbin.Alive(p.Pid) {
			t.Errorf("pid %d (%s) survived", p.Pid, p.Comm)
		}
	}
	if n := len(find(parseLog(d.Log()), `^stopped: many_\d{3} \(terminated by SIGTERM\)$`)); n != 100 {
		t.Errorf("%d stopped lines, want 100", n)
	}
}
