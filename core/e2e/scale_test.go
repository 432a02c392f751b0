package e2e

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"super/core/testbin"
)

// scalePrograms is how many programs TestManyProgramsOwnPipes runs: with
// three pipe ends each the daemon holds some 6,000 descriptors, so every
// spawn happens beside a big descriptor table.
const scalePrograms = 2000

// 2,000 programs are started, stopped and started again, then restarted
// with supervisorctl. Each time every child must be the daemon's own
// (its parent, so its exit reaches the daemon's reaper), hold exactly its
// three standard descriptors, each a pipe of its own whose other end the
// daemon holds (nothing of another program, nothing of the daemon's
// leaks into it), and after stop all no child may be left, zombie or
// not.
func TestManyProgramsOwnPipes(t *testing.T) {
	need := uint64(3*scalePrograms + 500)
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	if lim.Cur < need {
		// The daemon inherits the raised soft limit; this test binary's
		// other tests are not hurt by it. With CAP_SYS_RESOURCE (root
		// outside a container) the hard limit is raised too.
		hard := lim.Max
		lim.Max = max(lim.Max, need)
		lim.Cur = lim.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); errors.Is(err, syscall.EPERM) {
			t.Skipf("the hard limit on open files is %d; %d programs need %d (raise it with ulimit -Hn, or run with CAP_SYS_RESOURCE)", hard, scalePrograms, need)
		} else if err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	var conf strings.Builder
	conf.WriteString(testbin.BaseConf(dir))
	for i := range scalePrograms {
		// Separate stderr (the default), so each child has three pipes;
		// no log files, which would only slow the test down.
		fmt.Fprintf(&conf, "[program:p%04d]\ncommand=sleep 900\nstartsecs=0\nstdout_logfile=NONE\nstderr_logfile=NONE\n\n", i)
	}
	d := testbin.StartConf(t, false, dir, conf.String())
	daemon := d.Pid()

	first := waitAllScale(t, d, "RUNNING")
	checkChildren(t, daemon, first)

	d.Call(t, "supervisor.stopAllProcesses", true)
	waitAllScale(t, d, "STOPPED")
	noChildLeft(t, daemon)

	d.Call(t, "supervisor.startAllProcesses", true)
	second := waitAllScale(t, d, "RUNNING")
	checkChildren(t, daemon, second)

	out, err := exec.Command(testbin.Path(t, "supervisorctl"), "-c", d.Conf, "restart", "all").CombinedOutput()
	if err != nil {
		t.Fatalf("supervisorctl restart all: %v\n%.500s", err, out)
	}
	if n := strings.Count(string(out), ": started\n"); n != scalePrograms {
		t.Errorf("supervisorctl restart all: %d started lines, want %d\n%.500s", n, scalePrograms, out)
	}
	third := waitAllScale(t, d, "RUNNING")
	checkChildren(t, daemon, third)
	for name, pid := range third {
		if pid == second[name] {
			t.Fatalf("%s: pid %d before and after restart all", name, pid)
		}
	}
	// Everything the first and second runs started was reaped: none of
	// those pids is a process of the daemon any more.
	for _, run := range []map[string]int{first, second} {
		for name, pid := range run {
			if p, ok := testbin.ReadProc(pid); ok && p.PPid == daemon {
				t.Fatalf("%s: pid %d of an earlier run is still the daemon's child (state %c)", name, pid, p.State)
			}
		}
	}
}

// waitAllScale waits until every program is in state and returns their
// pids by name.
func waitAllScale(t *testing.T, d *testbin.Daemon, state string) map[string]int {
	t.Helper()
	var pids map[string]int
	var last string
	if err := testbin.Poll(180*time.Second, func() bool {
		infos, _ := d.Call(t, "supervisor.getAllProcessInfo").([]any)
		pids = make(map[string]int, len(infos))
		n := 0
		for _, x := range infos {
			m := x.(map[string]any)
			if m["statename"] == state {
				n++
			}
			pid, _ := m["pid"].(int)
			pids[m["name"].(string)] = pid
		}
		last = fmt.Sprintf("%d of %d %s", n, len(infos), state)
		return len(infos) == scalePrograms && n == scalePrograms
	}); err != nil {
		t.Fatalf("not all %s: %s", state, last)
	}
	return pids
}

// checkChildren checks every child of a run: the daemon's, three
// descriptors that are pipes of its own, the other end in the daemon.
func checkChildren(t *testing.T, daemon int, pids map[string]int) {
	t.Helper()
	daemonPipes := map[string]bool{}
	for _, l := range fdMap(daemon) {
		daemonPipes[l] = true
	}
	owner := map[string]string{} // pipe → the child holding it
	for name, pid := range pids {
		p, ok := testbin.ReadProc(pid)
		if !ok || p.PPid != daemon || p.Zombie() {
			t.Fatalf("%s: pid %d: %+v (alive %v), want a live child of the daemon %d", name, pid, p, ok, daemon)
		}
		// Descriptors are closed at exec in number order, so a child
		// may be seen for a moment with more: a leak is one that stays.
		var fds map[int]string
		if err := testbin.Poll(10*time.Second, func() bool {
			fds = fdMap(pid)
			return len(fds) == 3
		}); err != nil {
			t.Fatalf("%s (pid %d) holds %d descriptors, want 0, 1 and 2: %v", name, pid, len(fds), fds)
		}
		for fd := range 3 {
			l := fds[fd]
			if !strings.HasPrefix(l, "pipe:[") {
				t.Fatalf("%s (pid %d): fd %d is %q, want a pipe", name, pid, fd, l)
			}
			if other, dup := owner[l]; dup {
				t.Fatalf("%s (pid %d): fd %d is %s, which %s holds too", name, pid, fd, l, other)
			}
			owner[l] = name
			if !daemonPipes[l] {
				t.Fatalf("%s (pid %d): fd %d is %s, whose other end the daemon does not hold", name, pid, fd, l)
			}
		}
	}
}

// noChildLeft waits until the daemon has no child at all (all reaped).
func noChildLeft(t *testing.T, daemon int) {
	t.Helper()
	var left []testbin.Proc
	if err := testbin.Poll(30*time.Second, func() bool {
		left = left[:0]
		for _, p := range testbin.Procs() {
			if p.PPid == daemon {
				left = append(left, p)
			}
		}
		return len(left) == 0
	}); err != nil {
		t.Fatalf("after stop all the daemon still has %d children, e.g. %+v", len(left), left[0])
	}
}

// fdMap reads /proc/PID/fd: descriptor → link.
func fdMap(pid int) map[int]string {
	dir := "/proc/" + strconv.Itoa(pid) + "/fd"
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	m := make(map[int]string, len(ents))
	for _, e := range ents {
		fd, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if l, err := os.Readlink(dir + "/" + e.Name()); err == nil {
			m[fd] = l
		}
	}
	return m
}
