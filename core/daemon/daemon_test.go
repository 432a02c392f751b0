package daemon_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"super/core/testbin"
	"super/core/xmlrpc"
)

const (
	oracleDaemon = "/usr/bin/supervisord"
	python       = "/usr/bin/python3"
)

func needOracle(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(oracleDaemon); err != nil {
		t.Skipf("Supervisor 4.2 (the reference implementation) is not installed: %s is missing", oracleDaemon)
	}
	if err := exec.Command(python, "-c", "import supervisor.options").Run(); err != nil {
		t.Skip("Supervisor 4.2 (the reference implementation) is not installed: its Python module is not importable")
	}
}

const conf = `[unix_http_server]
file=%[1]s/s.sock

[supervisord]
logfile=%[1]s/supervisord.log
pidfile=%[1]s/supervisord.pid
childlogdir=%[1]s
identifier=testsup
%[2]s
[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

[program:idle]
command=/bin/sleep 1000
autostart=false
`

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

type daemon struct {
	dir, conf string
	cmd       *exec.Cmd
	out       *lockedBuffer
	done      chan struct{}
	client    *xmlrpc.Client
}

func startDaemon(t *testing.T, bin, extra string) *daemon {
	t.Helper()
	dir := t.TempDir()
	d := &daemon{dir: dir, conf: filepath.Join(dir, "supervisord.conf"), out: &lockedBuffer{}, done: make(chan struct{})}
	if err := os.WriteFile(d.conf, []byte(fmt.Sprintf(conf, dir, extra)), 0o644); err != nil {
		t.Fatal(err)
	}
	d.cmd = exec.Command(bin, "-n", "-c", d.conf)
	d.cmd.Dir = dir
	d.cmd.Stdout, d.cmd.Stderr = d.out, d.out
	if err := d.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { d.cmd.Wait(); close(d.done) }()
	t.Cleanup(func() {
		d.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-d.done:
		case <-time.After(15 * time.Second):
			d.cmd.Process.Kill()
			<-d.done
		}
	})
	c, err := xmlrpc.NewClient("unix://"+filepath.Join(dir, "s.sock"), "", "")
	if err != nil {
		t.Fatal(err)
	}
	d.client = c
	t.Cleanup(c.Close)
	d.waitState(t, "RUNNING")
	return d
}

// waitState polls getState until it answers name (the daemon is up, or
// back after a restart).
func (d *daemon) waitState(t *testing.T, name string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		v, err := d.client.Call(context.Background(), "supervisor.getState")
		if err == nil {
			if s, ok := v.(map[string]any); ok && s["statename"] == name {
				return
			}
		}
		select {
		case <-d.done:
			t.Fatalf("supervisord exited: %s", d.out)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("supervisord not %s within 15s (last error %v): %s", name, err, d.out)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitLog polls the activity log until it contains text.
func (d *daemon) waitLog(t *testing.T, text string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		b, _ := os.ReadFile(filepath.Join(d.dir, "supervisord.log"))
		if bytes.Contains(b, []byte(text)) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("activity log never said %q:\n%s", text, b)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

var logMasks = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`(?m)^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} `), ""},
	{regexp.MustCompile(`with pid \d+`), "with pid <pid>"},
}

func (d *daemon) maskedLog(t *testing.T) string {
	b, err := os.ReadFile(filepath.Join(d.dir, "supervisord.log"))
	if err != nil {
		t.Fatal(err)
	}
	s := strings.ReplaceAll(string(b), d.dir, "<dir>")
	for _, m := range logMasks {
		s = m.re.ReplaceAllString(s, m.with)
	}
	return s
}

// lifecycle runs the daemon's life through its signals: SIGUSR2 (reopen
// the log), SIGHUP after a config change (restart on the new config),
// SIGTERM (exit), checking the pidfile on the way.
func lifecycle(t *testing.T, bin string) (log string, status int) {
	d := startDaemon(t, bin, "")
	pidfile := filepath.Join(d.dir, "supervisord.pid")
	b, err := os.ReadFile(pidfile)
	if err != nil || string(b) != strconv.Itoa(d.cmd.Process.Pid)+"\n" {
		t.Errorf("pidfile holds %q (%v), want the daemon's pid %d", b, err, d.cmd.Process.Pid)
	}

	if bin != oracleDaemon {
		// The web interface and the log streams are mounted.
		for _, path := range []string{"/", "/mainlogtail"} {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			resp, err := d.client.Get(ctx, path)
			if err != nil || resp.StatusCode != 200 {
				t.Errorf("GET %s: %v %v", path, resp, err)
			}
			if resp != nil {
				resp.Body.Close()
			}
			cancel()
		}
	}

	d.cmd.Process.Signal(syscall.SIGUSR2)
	d.waitLog(t, "supervisord logreopen")

	c, _ := os.ReadFile(d.conf)
	c = bytes.Replace(c, []byte("[program:idle]"), []byte("[program:added]\ncommand=/bin/sleep 1000\nautostart=false\n\n[program:idle]"), 1)
	if err := os.WriteFile(d.conf, c, 0o644); err != nil {
		t.Fatal(err)
	}
	d.cmd.Process.Signal(syscall.SIGHUP)
	d.waitLog(t, "received SIGHUP")
	d.waitState(t, "RUNNING")
	if _, err := d.client.Call(context.Background(), "supervisor.getProcessInfo", "added"); err != nil {
		t.Errorf("after SIGHUP the new config is not in use: %v", err)
	}

	d.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-d.done:
	case <-time.After(15 * time.Second):
		t.Fatalf("supervisord did not exit on SIGTERM: %s", d.out)
	}
	if _, err := os.Stat(pidfile); !os.IsNotExist(err) {
		t.Errorf("pidfile left behind at exit: %v", err)
	}
	if _, err := os.Stat(filepath.Join(d.dir, "s.sock")); !os.IsNotExist(err) {
		t.Errorf("socket file left behind at exit: %v", err)
	}
	return d.maskedLog(t), d.cmd.ProcessState.ExitCode()
}

// TestLifecycleAgainstOracle compares the activity log and exit status of
// a daemon's whole life (startup lines, log reopen, restart on SIGHUP,
// exit on SIGTERM) with Supervisor 4.2's.
func TestLifecycleAgainstOracle(t *testing.T) {
	needOracle(t)
	var logs [2]string
	var status [2]int
	var wg sync.WaitGroup
	for i, bin := range []string{oracleDaemon, testbin.Path(t, "supervisord")} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t.Run([]string{"4.2", "super"}[i], func(t *testing.T) {
				logs[i], status[i] = lifecycle(t, bin)
			})
		}()
	}
	wg.Wait()
	if logs[0] != logs[1] {
		t.Errorf("activity log differs:\n--- 4.2:\n%s--- super:\n%s", logs[0], logs[1])
	}
	if status[0] != status[1] {
		t.Errorf("exit status %d, 4.2 exits %d", status[1], status[0])
	}
}

// TestListenError: a second daemon on the same socket refuses to start
// with 4.2's message and status.
func TestListenError(t *testing.T) {
	needOracle(t)
	for _, bin := range []string{oracleDaemon, testbin.Path(t, "supervisord")} {
		d := startDaemon(t, bin, "")
		var stderr bytes.Buffer
		cmd := exec.Command(testbin.Path(t, "supervisord"), "-n", "-c", d.conf)
		cmd.Stderr = &stderr
		err := cmd.Run()
		want := "Error: Another program is already listening on a port that one of our HTTP servers is configured to use.  Shut this program down first before starting supervisord.\nFor help, use supervisord -h\n"
		if cmd.ProcessState == nil || cmd.ProcessState.ExitCode() != 2 || stderr.String() != want {
			t.Errorf("second daemon next to %s: %v, stderr %q, want %q", bin, err, stderr.String(), want)
		}
	}
}
