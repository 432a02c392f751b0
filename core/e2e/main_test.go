package e2e

import (
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"super/core/testbin"
)

// runMark is exported to every process this test binary starts, directly
// or through a daemon; a live process holding it after the tests is one
// the tests left behind.
var runMark string

func TestMain(m *testing.M) {
	if len(os.Args) > 2 && os.Args[1] == helperArg {
		os.Exit(helper(os.Args[2], os.Args[3:]))
	}
	runMark = fmt.Sprintf("SUPER_E2E_RUN=%d-%d", os.Getpid(), time.Now().UnixNano())
	k, v, _ := strings.Cut(runMark, "=")
	os.Setenv(k, v)
	// Orphans of the daemons (a daemonized supervisord, grandchildren that
	// escaped) come to this process instead of the machine's init, so the
	// check below sees them and reaps what died.
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: cannot become a child subreaper: %v\n", err)
	}
	code := m.Run()
	if left := leftovers(5 * time.Second); left != "" {
		fmt.Fprintf(os.Stderr, "e2e: processes left behind by the tests:\n%s", left)
		if code == 0 {
			code = 1
		}
	}
	os.Exit(code)
}

// leftovers waits up to timeout for every process started by the tests to
// be gone, reaping orphans that died, and describes those still alive
// (which it then kills, as they are ours).
func leftovers(timeout time.Duration) string {
	var live []testbin.Proc
	testbin.Poll(timeout, func() bool {
		reapOrphans()
		live = testbin.WithEnv(runMark)
		return len(live) == 0
	})
	var b strings.Builder
	for _, p := range live {
		fmt.Fprintf(&b, "  pid %d (%s) state %c ppid %d\n", p.Pid, p.Comm, p.State, p.PPid)
		syscall.Kill(p.Pid, syscall.SIGKILL)
	}
	// Zombies whose parent is this process were orphans that died here;
	// zombies of a live process of ours are covered by that process.
	reapOrphans()
	return b.String()
}

// reapOrphans collects exited orphans re-parented to this process. It runs
// only after every test has ended, when each exec.Cmd has been waited for,
// so it steals no exit status.
func reapOrphans() {
	self := os.Getpid()
	for _, p := range testbin.Procs() {
		if p.PPid == self && p.Zombie() {
			var ws syscall.WaitStatus
			syscall.Wait4(p.Pid, &ws, syscall.WNOHANG, nil)
		}
	}
}
