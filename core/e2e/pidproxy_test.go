package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"super/core/testbin"
)

// proxied starts pidproxy on a launcher that forks a signal recorder and
// writes its pid to the pidfile; it returns pidproxy, the recorder's pid
// and its record file.
func proxied(t *testing.T) (cmd *exec.Cmd, exited chan error, target int, rec string) {
	t.Helper()
	dir := t.TempDir()
	pidfile, rec := filepath.Join(dir, "daemon.pid"), filepath.Join(dir, "rec")
	args := append([]string{pidfile}, strings.Fields(helperCmd(t, "launcher", pidfile, rec))...)
	cmd = exec.Command(testbin.Path(t, "pidproxy"), args...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited = make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		if target > 0 {
			syscall.Kill(target, syscall.SIGKILL)
		}
	})
	waitFor(t, 10*time.Second, "the pidfile and a ready recorder", func() bool {
		b, _ := os.ReadFile(pidfile)
		target, _ = strconv.Atoi(strings.TrimSpace(string(b)))
		return target > 0 && len(lines(rec)) > 0
	})
	return cmd, exited, target, rec
}

// pidproxy relays HUP, USR1 and USR2 and stays; TERM, INT and QUIT are
// relayed too, and then pidproxy exits 0.
func TestPidproxyRelaysSignals(t *testing.T) {
	t.Parallel()
	for _, last := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT, syscall.SIGQUIT} {
		t.Run(sigName(last), func(t *testing.T) {
			t.Parallel()
			cmd, exited, target, rec := proxied(t)
			want := []string{fmt.Sprintf("ready %d", target)}
			for _, sig := range []syscall.Signal{syscall.SIGHUP, syscall.SIGUSR1, syscall.SIGUSR2, last} {
				if err := cmd.Process.Signal(sig); err != nil {
					t.Fatal(err)
				}
				want = append(want, sigName(sig))
				waitFor(t, 5*time.Second, "the recorder got "+sigName(sig), func() bool { return len(lines(rec)) == len(want) })
			}
			if got := strings.Join(lines(rec), ","); got != strings.Join(want, ",") {
				t.Errorf("recorder got %s, want %s", got, strings.Join(want, ","))
			}
			select {
			case err := <-exited:
				if err != nil {
					t.Errorf("pidproxy: %v, want exit 0", err)
				}
			case <-time.After(5 * time.Second):
				t.Fatalf("pidproxy still running after %s", sigName(last))
			}
			gone(t, target, "the proxied daemon")
		})
	}
}

// pidproxy exits 0 when the command it ran is gone.
func TestPidproxyExitsWithCommand(t *testing.T) {
	t.Parallel()
	_, exited, target, _ := proxied(t)
	syscall.Kill(target, syscall.SIGKILL) // the launcher then exits
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("pidproxy: %v, want exit 0", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("pidproxy still running after its command exited")
	}
}

// Under supervisord, stopping the program stops the daemon behind the
// pidfile.
func TestPidproxyUnderSupervisord(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	pidfile, rec := filepath.Join(dir, "daemon.pid"), filepath.Join(dir, "rec")
	d := testbin.Start(t, false, fmt.Sprintf("[program:proxied]\ncommand=%s %s %s\nstartsecs=0\n",
		testbin.Path(t, "pidproxy"), pidfile, helperCmd(t, "launcher", pidfile, rec)))
	d.WaitState(t, "proxied", "RUNNING", 5*time.Second)
	waitFor(t, 10*time.Second, "a ready recorder", func() bool { return len(lines(rec)) > 0 })
	b, _ := os.ReadFile(pidfile)
	target, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	if target == pidOf(t, d, "proxied") || target <= 0 {
		t.Fatalf("pidfile %d, want the forked daemon, not pidproxy", target)
	}
	d.Call(t, "supervisor.stopProcess", "proxied", true)
	// pidproxy exits once it has relayed the signal, maybe before the
	// daemon behind it has handled it.
	waitFor(t, 5*time.Second, "the recorder got TERM", func() bool {
		got := lines(rec)
		return len(got) == 2 && got[1] == "TERM"
	})
	gone(t, target, "the proxied daemon")
	waitLog(t, d, `^stopped: proxied \(exit status 0\)$`, 1, time.Second)
}
