package daemon_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"super/core/testbin"
)

// Without -n, supervisord detaches: the command returns 0 once the daemon
// serves, the daemon runs in its own session with its pid in the pidfile,
// and a startup error of a second daemon reaches the terminal with status 2.
func TestDaemonizeReportsReadinessAndErrors(t *testing.T) {
	dir := t.TempDir()
	conf := filepath.Join(dir, "supervisord.conf")
	body := testbin.BaseConf(dir) + "[program:sleeper]\ncommand=sleep 60\n"
	body = strings.Replace(body, "[supervisord]\n", "[supervisord]\ndirectory="+dir+"\numask=027\n", 1)
	if err := os.WriteFile(conf, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	bin := testbin.Path(t, "supervisord")

	// The detached daemon is no child of ours: mark it (and what it
	// starts) through the environment so cleanup finds it whatever fails.
	mark := "SUPER_TEST_DAEMONIZE=" + dir
	t.Cleanup(func() {
		for _, p := range testbin.WithEnv(mark) {
			syscall.Kill(p.Pid, syscall.SIGKILL)
		}
	})
	first := exec.Command(bin, "-c", conf)
	first.Env = append(os.Environ(), mark)
	if out, err := first.CombinedOutput(); err != nil {
		t.Fatalf("supervisord without -n: %v\n%s", err, out)
	}
	pidData, err := os.ReadFile(filepath.Join(dir, "supervisord.pid"))
	if err != nil {
		t.Fatalf("no pidfile once the command returned: %v", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(pidData)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		syscall.Kill(pid, syscall.SIGTERM)
		testbin.Poll(10*time.Second, func() bool { return syscall.Kill(pid, 0) != nil })
	})
	if sid, _ := unix.Getsid(pid); sid != pid {
		t.Errorf("daemon %d is not a session leader (sid %d)", pid, sid)
	}
	if _, err := os.Stat(filepath.Join(dir, "s.sock")); err != nil {
		t.Errorf("socket not listening when the command returned: %v", err)
	}

	var stderr bytes.Buffer
	second := exec.Command(bin, "-c", conf)
	second.Stderr = &stderr
	err = second.Run()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 {
		t.Fatalf("second daemon: %v, want exit status 2", err)
	}
	if !strings.Contains(stderr.String(), "Another program is already listening") {
		t.Errorf("second daemon's error did not reach stderr: %q", stderr.String())
	}

	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := testbin.Poll(10*time.Second, func() bool {
		_, err := os.Stat(filepath.Join(dir, "supervisord.pid"))
		return os.IsNotExist(err)
	}); err != nil {
		t.Fatalf("pidfile not removed after SIGTERM: %v", err)
	}
	log, _ := os.ReadFile(filepath.Join(dir, "supervisord.log"))
	if !strings.Contains(string(log), "INFO daemonizing the supervisord process") ||
		!strings.Contains(string(log), "INFO set current directory: '"+dir+"'") {
		t.Errorf("activity log lacks 4.2's daemonizing lines:\n%s", log)
	}
}
