package pidproxy

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The test binary doubles as pidproxy: with this variable set it runs Main
// on its arguments, so signal tests hit a real, separate process.
const asPidproxy = "SUPER_TEST_RUN_PIDPROXY"

func TestMain(m *testing.M) {
	if os.Getenv(asPidproxy) == "1" {
		os.Exit(Main("pidproxy", os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

func TestUsage(t *testing.T) {
	for _, args := range [][]string{nil, {"only.pid"}} {
		var out, errb bytes.Buffer
		status := Main("/usr/bin/pidproxy", args, nil, &out, &errb)
		// 4.2's exact output for the same command line.
		want := "pidproxy -- run command and proxy signals to it via its pidfile.\n\n" +
			"This executable runs a command and then monitors a pidfile.  When this\n" +
			"executable receives a signal, it sends the same signal to the pid\n" +
			"in the pidfile.\n\nUsage: /usr/bin/pidproxy <pidfile name> <command> [<cmdarg1> ...]\n\n"
		if status != 1 || out.String() != want || errb.Len() != 0 {
			t.Errorf("pidproxy %q: status %d, stdout %q, stderr %q", args, status, out.String(), errb.String())
		}
	}
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func fileHas(path, s string) func() bool {
	return func() bool {
		b, _ := os.ReadFile(path)
		return strings.Contains(string(b), s)
	}
}

type proxy struct {
	cmd    *exec.Cmd
	stdout string // file holding pidproxy's stdout
	done   chan struct{}
	status int
}

func startProxy(t *testing.T, args ...string) *proxy {
	t.Helper()
	p := &proxy{done: make(chan struct{}), stdout: filepath.Join(t.TempDir(), "stdout")}
	p.cmd = exec.Command(os.Args[0], args...)
	p.cmd.Env = append(os.Environ(), asPidproxy+"=1")
	// A file, not a pipe: Wait must not depend on every grandchild closing it.
	out, err := os.Create(p.stdout)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	p.cmd.Stdout = out
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		p.cmd.Wait()
		p.status = p.cmd.ProcessState.ExitCode()
		close(p.done)
	}()
	t.Cleanup(func() {
		p.cmd.Process.Kill()
		<-p.done
	})
	return p
}

func (p *proxy) wait(t *testing.T) int {
	t.Helper()
	select {
	case <-p.done:
		return p.status
	case <-time.After(10 * time.Second):
		t.Fatal("pidproxy did not exit")
		return -1
	}
}

// daemon is a stand-in for a program that records its pid in a file and
// logs the signals it gets.
const daemon = `echo $$ > "$1"
trap 'echo HUP >> "$2"' HUP
trap 'echo USR1 >> "$2"' USR1
trap 'echo TERM >> "$2"; exit 0' TERM
echo up >> "$2"
while :; do sleep 1 & wait $!; done`

func TestRelaysSignals(t *testing.T) {
	dir := t.TempDir()
	pidfile, log := filepath.Join(dir, "d.pid"), filepath.Join(dir, "d.log")
	p := startProxy(t, pidfile, "/bin/sh", "-c", daemon, "daemon", pidfile, log)
	waitFor(t, "the daemon to start", fileHas(log, "up"))

	p.cmd.Process.Signal(syscall.SIGHUP)
	waitFor(t, "SIGHUP to reach the daemon", fileHas(log, "HUP"))
	p.cmd.Process.Signal(syscall.SIGUSR1)
	waitFor(t, "SIGUSR1 to reach the daemon", fileHas(log, "USR1"))
	select {
	case <-p.done:
		t.Fatal("pidproxy exited after a non-terminating signal")
	default:
	}

	p.cmd.Process.Signal(syscall.SIGTERM)
	if st := p.wait(t); st != 0 {
		t.Errorf("exit status after SIGTERM = %d, want 0", st)
	}
	waitFor(t, "SIGTERM to reach the daemon", fileHas(log, "TERM"))
}

func TestExitsWithCommand(t *testing.T) {
	dir := t.TempDir()
	p := startProxy(t, filepath.Join(dir, "x.pid"), "sh", "-c", "exit 3")
	if st := p.wait(t); st != 0 {
		t.Errorf("exit status = %d, want 0 (as 4.2)", st)
	}
}

// A signal arriving while the pidfile is unreadable is reported, and the
// proxy keeps relaying.
func TestUnreadablePidfile(t *testing.T) {
	dir := t.TempDir()
	pidfile, realPid, log := filepath.Join(dir, "later.pid"), filepath.Join(dir, "d.pid"), filepath.Join(dir, "d.log")
	p := startProxy(t, pidfile, "/bin/sh", "-c", daemon, "daemon", realPid, log)
	waitFor(t, "the daemon to start", fileHas(log, "up"))
	p.cmd.Process.Signal(syscall.SIGHUP)
	waitFor(t, "the complaint", fileHas(p.stdout, "Can't read child pidfile "+pidfile+"!\n"))

	pid, err := os.ReadFile(realPid)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(pidfile, pid, 0o644); err != nil {
		t.Fatal(err)
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	if st := p.wait(t); st != 0 {
		t.Errorf("exit status after SIGTERM = %d, want 0", st)
	}
	waitFor(t, "SIGTERM to reach the daemon", fileHas(log, "TERM"))
	if b, _ := os.ReadFile(log); strings.Contains(string(b), "HUP") {
		t.Error("the daemon got the SIGHUP sent while the pidfile was unreadable")
	}
}
