package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"super/core/testbin"
)

// As PID 1 of a PID namespace (a container's entrypoint) the daemon reaps
// the orphans re-parented to it and still sees its own children's exits.
func TestPID1ReapsOrphans(t *testing.T) {
	t.Parallel()
	unshare := needPIDNamespace(t)
	dir := t.TempDir()
	conf := filepath.Join(dir, "supervisord.conf")
	// orphaner leaves five orphans (the subshells exit at once, their
	// sleeps outlive them), then exits 3 itself.
	prog := `[program:orphaner]
command=sh -c 'for i in 1 2 3 4 5; do (sleep 0.1 &); done; sleep 0.5; exit 3'
startsecs=0
autorestart=false

[program:keeper]
command=sleep 60
startsecs=0
`
	if err := os.WriteFile(conf, []byte(testbin.BaseConf(dir)+prog), 0o644); err != nil {
		t.Fatal(err)
	}
	out := &testbin.SyncBuffer{}
	cmd := exec.Command(unshare, "--pid", "--fork", "--mount-proc", testbin.Path(t, "supervisord"), "-n", "-c", conf)
	cmd.Dir, cmd.Stdout, cmd.Stderr = dir, out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	var init int
	t.Cleanup(func() {
		if init != 0 {
			syscall.Kill(init, syscall.SIGKILL) // takes the whole namespace
		}
		cmd.Process.Kill()
		<-exited
	})
	waitFor(t, 10*time.Second, "supervisord in the namespace", func() bool {
		for _, p := range testbin.Descendants(cmd.Process.Pid) {
			if p.PPid == cmd.Process.Pid {
				init = p.Pid
				return true
			}
		}
		return false
	})
	logf := filepath.Join(dir, "supervisord.log")
	log := func() []logEntry { return parseLog(strings.Join(lines(logf), "\n")) }
	waitFor(t, 10*time.Second, "orphaner exited with status 3 (own child tracked)", func() bool {
		return len(find(log(), `^exited: orphaner \(exit status 3; not expected\)$`)) == 1
	})
	if got := find(log(), `^supervisord started with pid 1$`); len(got) != 1 {
		t.Errorf("daemon is not PID 1 of its namespace:\n%s", strings.Join(lines(logf), "\n"))
	}
	waitFor(t, 5*time.Second, "five orphans reaped", func() bool {
		return len(find(log(), `^reaped unknown pid \d+ \(exit status 0\)$`)) >= 5
	})
	var zombies []testbin.Proc
	if err := testbin.Poll(2*time.Second, func() bool {
		zombies = zombies[:0]
		for _, p := range testbin.Descendants(init) {
			if p.Zombie() {
				zombies = append(zombies, p)
			}
		}
		return len(zombies) == 0
	}); err != nil {
		t.Errorf("zombies left in the namespace: %+v", zombies)
	}
	if n := len(find(log(), `^spawned: 'orphaner'`)); n != 1 {
		t.Errorf("orphaner spawned %d times, want once (autorestart=false)", n)
	}
	if n := len(find(log(), `^exited: keeper`)); n != 0 {
		t.Errorf("keeper reported as exited:\n%s", strings.Join(lines(logf), "\n"))
	}
	if err := syscall.Kill(init, syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	termAt := time.Now()
	select {
	case err := <-exited:
		exited <- err
		t.Logf("PID 1 supervisord and its namespace gone %v after SIGTERM", time.Since(termAt))
		if err != nil {
			t.Errorf("unshare supervisord: %v\n%s", err, out)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("PID 1 supervisord did not exit on SIGTERM\n%s", out)
	}
	if got := find(log(), `^stopped: keeper \(terminated by SIGTERM\)$`); len(got) != 1 {
		t.Errorf("keeper not stopped:\n%s", strings.Join(lines(logf), "\n"))
	}
}

// needPIDNamespace skips the test unless it can run a daemon as PID 1 of a
// new PID namespace, and returns unshare's path.
func needPIDNamespace(t *testing.T) string {
	t.Helper()
	if os.Getuid() != 0 {
		t.Skip("needs root to create a PID namespace (unshare --pid)")
	}
	unshare, err := exec.LookPath("unshare")
	if err != nil {
		t.Skip("unshare (util-linux) is not installed")
	}
	return unshare
}
