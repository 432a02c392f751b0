package process

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A health check command forked while a program's spawn has the umask
// changed must wait for the spawn, and get the daemon's own umask.
func TestForkExecWaitsForSpawnUmask(t *testing.T) {
	out := filepath.Join(t.TempDir(), "umask")
	sh, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer sh.Close()
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	attr := &syscall.ProcAttr{Files: []uintptr{sh.Fd(), f.Fd(), f.Fd()}}

	spawnMu.Lock() // a spawn with umask=077 under way
	own := syscall.Umask(0o077)
	done := make(chan int, 1)
	go func() {
		pid, err := ForkExec("/bin/sh", []string{"sh", "-c", "umask"}, attr)
		if err != nil {
			t.Error(err)
		}
		done <- pid
	}()
	pid := 0
	select {
	case pid = <-done:
		t.Error("ForkExec forked while a spawn held the umask")
	case <-time.After(200 * time.Millisecond):
	}
	syscall.Umask(own)
	spawnMu.Unlock()
	if pid == 0 {
		pid = <-done
	}
	var ws syscall.WaitStatus
	if _, err := syscall.Wait4(pid, &ws, 0, nil); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(out)
	if got, err := strconv.ParseInt(strings.TrimSpace(string(b)), 8, 32); err != nil || int(got) != own {
		t.Errorf("the check ran with umask %q, want the daemon's %#o", b, own)
	}
}
