package testbin

import (
	"os/exec"
	"runtime"
	"syscall"
	"testing"
)

// BusyCores keeps every CPU busy until the test ends: one `yes` writing to
// /dev/null per core, started here and killed by pid at cleanup. Orderings
// that hold on an idle machine and break when the daemon's goroutines wait
// for a CPU show up under it.
func BusyCores(t testing.TB) {
	t.Helper()
	for range runtime.NumCPU() {
		c := exec.Command("yes") // Stdout nil: /dev/null
		if err := c.Start(); err != nil {
			t.Fatalf("cannot start a busy loop: %v", err)
		}
		pid := c.Process.Pid
		t.Cleanup(func() {
			syscall.Kill(pid, syscall.SIGKILL)
			c.Wait()
		})
	}
}
