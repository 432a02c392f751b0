package process

import (
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
)

// The spawner thread's table is its own: a descriptor the daemon opens is
// not in it, the descriptors passed along arrive there (open on the same
// files), and they are gone from it once the fork has returned.
func TestSpawnerThreadOwnTable(t *testing.T) {
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
