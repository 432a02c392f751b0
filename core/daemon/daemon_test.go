package daemon_test

import (
	"bytes"
	"context"
	"fmt"
	"net"
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

// idle is the one program of these tests; lifecycle adds another on SIGHUP.
const idle = `[program:idle]
command=/bin/sleep 1000
autostart=false
`

type daemon struct {
	*testbin.Daemon
	client *xmlrpc.Client
}

// startDaemon runs supervisord (oracle=true: Supervisor 4.2) on idle and
// waits until it is RUNNING.
func startDaemon(t *testing.T, oracle bool) *daemon {
	t.Helper()
	dir := t.TempDir()
	d := &daemon{Daemon: testbin.StartConf(t, oracle, dir, testbin.BaseConf(dir)+idle)}
	d.client = d.Client(t)
	d.waitState(t, "RUNNING")
	return d
}

// waitState polls getState until it answers name (the daemon is up, or
// back after a restart).
func (d *daemon) waitState(t *testing.T, name string) {
	t.Helper()
	var err error
	perr := testbin.Poll(15*time.Second, func() bool {
		var v any
		v, err = d.client.Call(context.Background(), "supervisor.getState")
		s, _ := v.(map[string]any)
		return (err == nil && s["statename"] == name) || d.Exited()
	})
	if d.Exited() {
		t.Fatalf("%s supervisord exited: %s", d.Name, d.Out)
	}
	if perr != nil {
		t.Fatalf("%s supervisord not %s within 15s (last error %v): %s", d.Name, name, err, d.Out)
	}
}

// waitLog polls the activity log until it contains text.
func (d *daemon) waitLog(t *testing.T, text string) {
	t.Helper()
	if testbin.Poll(15*time.Second, func() bool { return strings.Contains(d.Log(), text) }) != nil {
		t.Fatalf("activity log never said %q:\n%s", text, d.Log())
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
	b, err := os.ReadFile(filepath.Join(d.Dir, "supervisord.log"))
	if err != nil {
		t.Fatal(err)
	}
	s := strings.ReplaceAll(string(b), d.Dir, "<dir>")
	for _, m := range logMasks {
		s = m.re.ReplaceAllString(s, m.with)
	}
	return s
}

// lifecycle runs the daemon's life through its signals: SIGUSR2 (reopen
// the log), SIGHUP after a config change (restart on the new config),
// SIGTERM (exit), checking the pidfile on the way.
func lifecycle(t *testing.T, oracle bool) (log string, status int) {
	d := startDaemon(t, oracle)
	pidfile := filepath.Join(d.Dir, "supervisord.pid")
	b, err := os.ReadFile(pidfile)
	if err != nil || string(b) != strconv.Itoa(d.Pid())+"\n" {
		t.Errorf("pidfile holds %q (%v), want the daemon's pid %d", b, err, d.Pid())
	}

	if !oracle {
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

	d.Signal(syscall.SIGUSR2)
	d.waitLog(t, "supervisord logreopen")

	c, _ := os.ReadFile(d.Conf)
	c = bytes.Replace(c, []byte("[program:idle]"), []byte("[program:added]\ncommand=/bin/sleep 1000\nautostart=false\n\n[program:idle]"), 1)
	if err := os.WriteFile(d.Conf, c, 0o644); err != nil {
		t.Fatal(err)
	}
	d.Signal(syscall.SIGHUP)
	d.waitLog(t, "received SIGHUP")
	d.waitState(t, "RUNNING")
	if _, err := d.client.Call(context.Background(), "supervisor.getProcessInfo", "added"); err != nil {
		t.Errorf("after SIGHUP the new config is not in use: %v", err)
	}

	d.Signal(syscall.SIGTERM)
	status, err = d.Wait(15 * time.Second)
	if err != nil {
		t.Fatalf("on SIGTERM: %v", err)
	}
	if _, err := os.Stat(pidfile); !os.IsNotExist(err) {
		t.Errorf("pidfile left behind at exit: %v", err)
	}
	if _, err := os.Stat(d.Sock); !os.IsNotExist(err) {
		t.Errorf("socket file left behind at exit: %v", err)
	}
	return d.maskedLog(t), status
}

// TestLifecycleAgainstOracle compares the activity log and exit status of
// a daemon's whole life (startup lines, log reopen, restart on SIGHUP,
// exit on SIGTERM) with Supervisor 4.2's.
func TestLifecycleAgainstOracle(t *testing.T) {
	testbin.NeedOracle(t)
	var logs [2]string
	var status [2]int
	var wg sync.WaitGroup
	for i, oracle := range []bool{true, false} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t.Run([]string{"4.2", "super"}[i], func(t *testing.T) {
				logs[i], status[i] = lifecycle(t, oracle)
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
	testbin.NeedOracle(t)
	for _, oracle := range []bool{true, false} {
		d := startDaemon(t, oracle)
		var stderr bytes.Buffer
		prog := testbin.Path(t, "supervisord")
		cmd := exec.Command(prog, "-n", "-c", d.Conf)
		cmd.Stderr = &stderr
		err := cmd.Run()
		want := "Error: Another program is already listening on a port that one of our HTTP servers is configured to use.  Shut this program down first before starting supervisord.\nFor help, use " + prog + " -h\n"
		if cmd.ProcessState == nil || cmd.ProcessState.ExitCode() != 2 || stderr.String() != want {
			t.Errorf("second daemon next to %s: %v, stderr %q, want %q", d.Name, err, stderr.String(), want)
		}
	}
}

// TestStartupLogWithBothServers: with an inet and a unix server, the
// startup lines come in 4.2's order — per server (inet first) the RPC
// interface line, then its authentication warning.
func TestStartupLogWithBothServers(t *testing.T) {
	testbin.NeedOracle(t)
	var logs [2]string
	for i, oracle := range []bool{true, false} {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		l.Close()
		dir := t.TempDir()
		conf := testbin.BaseConf(dir) + fmt.Sprintf("[inet_http_server]\nport=127.0.0.1:%d\n\n", port) + idle
		d := &daemon{Daemon: testbin.StartConf(t, oracle, dir, conf)}
		d.client = d.Client(t)
		d.waitState(t, "RUNNING")
		d.waitLog(t, "supervisord started with pid")
		d.Stop()
		log := d.maskedLog(t)
		logs[i] = log[:strings.Index(log, "supervisord started with pid")]
	}
	if logs[0] != logs[1] {
		t.Errorf("startup log differs:\n--- 4.2:\n%s--- super:\n%s", logs[0], logs[1])
	}
}
