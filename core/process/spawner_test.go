package process

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// The spawner thread's table is its own: a descriptor the daemon opens is
// not in it, the descriptors passed along arrive there (open on the same
// files), and they are gone from it once the fork has returned.
func TestSpawnerThreadOwnTable(t *testing.T) {
	forceSpawner(t)
	if theSpawner() == nil {
		t.Fatal("no spawner thread (unshare(CLONE_FILES) or the socket pair failed)")
	}
	sentinel, err := os.Create(filepath.Join(t.TempDir(), "sentinel"))
	if err != nil {
		t.Fatal(err)
	}
	defer sentinel.Close()
	var p [2]int
	if err := syscall.Pipe2(p[:], syscall.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(p[0])
	defer syscall.Close(p[1])

	link := func(fd int) string {
		l, _ := os.Readlink("/proc/thread-self/fd/" + strconv.Itoa(fd))
		return l
	}
	want := link(p[1])
	var got, sentinelThere string
	var local []int
	var tid int
	onSpawnerThread([]int{p[1]}, func(fds []int) {
		local = fds
		tid = syscall.Gettid()
		got = link(fds[0])
		sentinelThere = link(int(sentinel.Fd()))
		syscall.Write(fds[0], []byte("x"))
	})
	if tid == syscall.Gettid() {
		t.Errorf("the fork function ran on the caller's thread")
	}
	if len(local) != 1 || got != want {
		t.Fatalf("passed %d (%s), the thread got %v (%s)", p[1], want, local, got)
	}
	if sentinelThere == filepath.Join(filepath.Dir(sentinel.Name()), "sentinel") {
		t.Errorf("a descriptor opened by the daemon is in the spawner thread's table")
	}
	b := make([]byte, 1)
	if n, _ := syscall.Read(p[0], b); n != 1 || b[0] != 'x' {
		t.Errorf("a write through the passed descriptor did not reach the pipe")
	}
	// The thread closed its copy: the only write end left is ours.
	var after string
	onSpawnerThread(nil, func([]int) { after = link(local[0]) })
	if after == want {
		t.Errorf("the spawner thread still holds the passed descriptor after the fork")
	}
}

// A child forked through the spawner thread is the daemon's child: its
// parent is this process and any thread's wait4 collects it.
func TestSpawnerChildIsOurs(t *testing.T) {
	forceSpawner(t)
	null, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer null.Close()
	fd := null.Fd()
	pid, err := ForkExec("/bin/sh", []string{"sh", "-c", "exit 7"}, &syscall.ProcAttr{Files: []uintptr{fd, fd, fd}})
	if err != nil {
		t.Fatal(err)
	}
	var ws syscall.WaitStatus
	if _, err := syscall.Wait4(pid, &ws, 0, nil); err != nil {
		t.Fatalf("wait4(%d): %v", pid, err)
	}
	if !ws.Exited() || ws.ExitStatus() != 7 {
		t.Errorf("status %v, want exit 7", ws)
	}
}

// forceSpawner sends every fork of the test to the spawner thread, however
// few descriptors the test process holds.
func forceSpawner(t *testing.T) {
	old := spawnerFrom
	spawnerFrom = 0
	t.Cleanup(func() { spawnerFrom = old })
}

// A descriptor the daemon inherited without close-on-exec reaches no
// child: it is made close-on-exec before the first fork (as 4.2 closes
// descriptors 3 to minfds in each child). Both ways of forking.
func TestInheritedDescriptorsStayOut(t *testing.T) {
	fd, err := syscall.Open(os.DevNull, syscall.O_RDONLY, 0) // no O_CLOEXEC: as if inherited
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(fd)
	closeInheritedOnExec()
	null, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer null.Close()
	for _, onThread := range []bool{false, true} {
		if onThread {
			forceSpawner(t)
		}
		n := null.Fd()
		pid, err := ForkExec("/bin/sleep", []string{"sleep", "30"}, &syscall.ProcAttr{Files: []uintptr{n, n, n}})
		if err != nil {
			t.Fatal(err)
		}
		// The exec closes descriptors in number order: a child may be
		// seen for a moment with more. A leak is one that stays.
		var fds []os.DirEntry
		for deadline := time.Now().Add(5 * time.Second); ; {
			fds, _ = os.ReadDir("/proc/" + strconv.Itoa(pid) + "/fd")
			if len(fds) == 3 || time.Now().After(deadline) {
				break
			}
			time.Sleep(time.Millisecond)
		}
		syscall.Kill(pid, syscall.SIGKILL)
		var ws syscall.WaitStatus
		syscall.Wait4(pid, &ws, 0, nil)
		if len(fds) != 3 {
			var names []string
			for _, f := range fds {
				names = append(names, f.Name())
			}
			t.Errorf("forked on the spawner thread %v: the child holds descriptors %v, want 0, 1 and 2", onThread, names)
		}
	}
}

// leaderChildEnv makes the test binary, re-executed, start a spawner from
// the thread group leader (init runs there) and exit: see
// TestSpawnerLeavesLeaderTable.
const leaderChildEnv = "SUPER_TEST_SPAWNER_ON_LEADER"

func init() {
	if os.Getenv(leaderChildEnv) == "" {
		return
	}
	fail := func(format string, a ...any) {
		fmt.Fprintf(os.Stderr, format+"\n", a...)
		os.Exit(1)
	}
	if syscall.Gettid() != syscall.Getpid() {
		fail("init did not run on the thread group leader")
	}
	sentinel, err := os.Open(os.DevNull)
	if err != nil {
		fail("%v", err)
	}
	fd := strconv.Itoa(int(sentinel.Fd()))
	s := startSpawner(func(run func()) { run() }) // on this thread
	if s == nil {
		fail("no spawner thread")
	}
	if l, _ := os.Readlink("/proc/self/fd/" + fd); l != os.DevNull {
		fail("/proc/self/fd/%s reads %q after the spawner started, want %s: the leader's table was given to the spawner", fd, l, os.DevNull)
	}
	spawnerThread.once.Do(func() { spawnerThread.s = s })
	spawnerFrom = 0
	tid := 0
	onSpawnerThread(nil, func([]int) { tid = syscall.Gettid() })
	if tid == syscall.Getpid() || tid == 0 {
		fail("the spawner's fork ran on thread %d, the leader is %d", tid, syscall.Getpid())
	}
	os.Exit(0)
}

// The spawner never takes the thread group leader: that thread's table is
// the one /proc/<pid>/fd shows (lsof, the daemon's own linkat through
// /proc/self/fd). Started from the leader, it moves to another thread and
// the leader keeps the daemon's table. (Seen as a flake at scale: the
// daemon's /proc/<pid>/fd listed three descriptors.)
func TestSpawnerLeavesLeaderTable(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, self, "-test.run=^$")
	cmd.Env = append(os.Environ(), leaderChildEnv+"=1")
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("the spawner started on the leader never returned it (kept its thread)\n%s", out)
	}
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
}
