package testbin

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"super/core/xmlrpc"
)

// The reference implementation: Debian's Supervisor 4.2.5. Its Python module
// is only importable by the system interpreter.
const (
	OracleDaemon = "/usr/bin/supervisord"
	OracleCtl    = "/usr/bin/supervisorctl"
	Python       = "/usr/bin/python3"
)

var (
	oracleOnce sync.Once
	oracleErr  string
)

// NeedOracle skips the test, with a visible reason, unless Supervisor 4.2
// and its Python module are installed.
func NeedOracle(t testing.TB) {
	t.Helper()
	oracleOnce.Do(func() {
		for _, p := range []string{OracleDaemon, OracleCtl, Python} {
			if _, err := os.Stat(p); err != nil {
				oracleErr = p + " is missing"
				return
			}
		}
		if out, err := exec.Command(Python, "-c", "import supervisor.xmlrpc").CombinedOutput(); err != nil {
			oracleErr = "the supervisor Python module is not importable: " + strings.TrimSpace(string(out))
		}
	})
	if oracleErr != "" {
		t.Skipf("Supervisor 4.2 (the reference implementation) is not installed: %s", oracleErr)
	}
}

// BaseConf is the skeleton most black-box configs need: a unix socket, the
// activity log, pidfile and child logs in dir, and the supervisorctl
// section pointing at the socket. Append program sections to it.
func BaseConf(dir string) string {
	return fmt.Sprintf(`[unix_http_server]
file=%[1]s/s.sock

[supervisord]
logfile=%[1]s/supervisord.log
pidfile=%[1]s/supervisord.pid
childlogdir=%[1]s
identifier=testsup

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

[supervisorctl]
serverurl=unix://%[1]s/s.sock

`, dir)
}

// Daemon is one supervisord (ours or the oracle) running in the foreground
// on a config in its own temp directory.
type Daemon struct {
	Name string // "super" or "4.2"
	Dir  string // the temp dir holding config, socket and logs
	Conf string // path of the config file
	Sock string // path of the unix socket
	URL  string // "unix://" + Sock
	Out  *SyncBuffer
	// Stdout and Stderr are the daemon's standard output and error apart
	// (both also go to Out); nil unless started by StartConfStdio.
	Stdout, Stderr *SyncBuffer

	cmd    *exec.Cmd
	waited chan struct{}
	state  *os.ProcessState
}

// Start writes BaseConf(dir)+programs into a fresh temp dir and runs
// supervisord -n on it (oracle=true: Supervisor 4.2), waiting until its
// socket answers. The daemon and everything it started are stopped when the
// test ends.
func Start(t testing.TB, oracle bool, programs string) *Daemon {
	t.Helper()
	dir := t.TempDir()
	return StartConf(t, oracle, dir, BaseConf(dir)+programs)
}

// StartConf is Start with a whole config text of the caller's, written to
// dir/supervisord.conf; its unix socket must be dir/s.sock.
func StartConf(t testing.TB, oracle bool, dir, conf string, extraArgs ...string) *Daemon {
	t.Helper()
	return startConf(t, oracle, false, dir, conf, extraArgs)
}

// StartConfStdio is StartConf keeping the daemon's standard output and
// error apart as well, in d.Stdout and d.Stderr.
func StartConfStdio(t testing.TB, oracle bool, dir, conf string, extraArgs ...string) *Daemon {
	t.Helper()
	return startConf(t, oracle, true, dir, conf, extraArgs)
}

// StartConfEnv is StartConfStdio (ours) with env added to the daemon's
// environment: TZ, or a test hook such as SUPER_TEST_CLOCK_FILE.
func StartConfEnv(t testing.TB, dir, conf string, env []string, extraArgs ...string) *Daemon {
	t.Helper()
	return startConfEnv(t, false, true, dir, conf, env, extraArgs)
}

func startConf(t testing.TB, oracle, stdio bool, dir, conf string, extraArgs []string) *Daemon {
	t.Helper()
	return startConfEnv(t, oracle, stdio, dir, conf, nil, extraArgs)
}

func startConfEnv(t testing.TB, oracle, stdio bool, dir, conf string, env, extraArgs []string) *Daemon {
	t.Helper()
	d := &Daemon{Name: "super", Dir: dir, Conf: filepath.Join(dir, "supervisord.conf"),
		Sock: filepath.Join(dir, "s.sock"), Out: &SyncBuffer{}, waited: make(chan struct{})}
	d.URL = "unix://" + d.Sock
	bin := ""
	if oracle {
		NeedOracle(t)
		d.Name, bin = "4.2", OracleDaemon
	} else {
		bin = Path(t, "supervisord")
	}
	if err := os.WriteFile(d.Conf, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	d.cmd = exec.Command(bin, append([]string{"-n", "-c", d.Conf}, extraArgs...)...)
	d.cmd.Dir = dir
	if env != nil {
		d.cmd.Env = append(os.Environ(), env...)
	}
	d.cmd.Stdout, d.cmd.Stderr = d.Out, d.Out
	if stdio {
		d.Stdout, d.Stderr = &SyncBuffer{}, &SyncBuffer{}
		d.cmd.Stdout, d.cmd.Stderr = io.MultiWriter(d.Out, d.Stdout), io.MultiWriter(d.Out, d.Stderr)
	}
	// Its own process group, so cleanup can reach children left behind.
	d.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := d.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { d.cmd.Wait(); d.state = d.cmd.ProcessState; close(d.waited) }()
	t.Cleanup(d.Stop)
	// 4.2 is a Python program: on a loaded machine its start-up alone
	// took over 10 s.
	if err := Poll(30*time.Second, func() bool {
		c, err := net.Dial("unix", d.Sock)
		if err == nil {
			c.Close()
		}
		return err == nil || d.Exited()
	}); err != nil || d.Exited() {
		t.Fatalf("%s supervisord did not answer on %s: %v\n%s", d.Name, d.Sock, err, d.Out)
	}
	return d
}

// Pid is the daemon's pid.
func (d *Daemon) Pid() int { return d.cmd.Process.Pid }

// Exited reports whether the daemon has exited.
func (d *Daemon) Exited() bool {
	select {
	case <-d.waited:
		return true
	default:
		return false
	}
}

// Wait waits up to timeout for the daemon to exit on its own and returns its
// exit status.
func (d *Daemon) Wait(timeout time.Duration) (int, error) {
	select {
	case <-d.waited:
		return d.state.ExitCode(), nil
	case <-time.After(timeout):
		return -1, fmt.Errorf("%s supervisord did not exit within %v:\n%s", d.Name, timeout, d.Out)
	}
}

// Signal sends sig to the daemon.
func (d *Daemon) Signal(sig syscall.Signal) error { return d.cmd.Process.Signal(sig) }

// Stop ends the daemon (SIGTERM, then SIGKILL to its whole process group).
func (d *Daemon) Stop() {
	if !d.Exited() {
		d.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-d.waited:
		case <-time.After(15 * time.Second):
			syscall.Kill(-d.cmd.Process.Pid, syscall.SIGKILL)
			<-d.waited
		}
	}
	d.killStrays()
}

// killStrays kills what this daemon started and left behind (a program's
// own children that outlive it, children of a daemon killed with -9):
// every supervisor (ours and 4.2) gives its children SUPERVISOR_SERVER_URL
// naming its socket, so they are found by that mark and no other
// process is touched. Each child has its own process group, so killing
// the daemon's group does not reach them.
func (d *Daemon) killStrays() {
	for _, p := range WithEnv("SUPERVISOR_SERVER_URL=" + d.URL) {
		syscall.Kill(p.Pid, syscall.SIGKILL)
	}
}

// Client is an XML-RPC client on the daemon's socket.
func (d *Daemon) Client(t testing.TB) *xmlrpc.Client {
	t.Helper()
	c, err := xmlrpc.NewClient(d.URL, "", "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// Call calls method on the daemon and fails the test on an error.
func (d *Daemon) Call(t testing.TB, method string, params ...any) any {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	v, err := d.Client(t).Call(ctx, method, params...)
	if err != nil {
		t.Fatalf("%s: %s: %v", d.Name, method, err)
	}
	return v
}

// StateOf returns the statename of one process ("group:name" or "name").
func (d *Daemon) StateOf(t testing.TB, name string) string {
	t.Helper()
	info, _ := d.Call(t, "supervisor.getProcessInfo", name).(map[string]any)
	s, _ := info["statename"].(string)
	return s
}

// WaitState polls until process name is in state, or fails the test.
func (d *Daemon) WaitState(t testing.TB, name, state string, timeout time.Duration) {
	t.Helper()
	last := ""
	if err := Poll(timeout, func() bool { last = d.StateOf(t, name); return last == state }); err != nil {
		t.Fatalf("%s: %s is %s, want %s after %v\n%s", d.Name, name, last, state, timeout, d.Out)
	}
}

// Log returns the activity log's content.
func (d *Daemon) Log() string {
	b, _ := os.ReadFile(filepath.Join(d.Dir, "supervisord.log"))
	return string(b)
}

// Poll calls cond every few milliseconds until it returns true or timeout
// passes. It is the one way tests wait for a condition.
func Poll(timeout time.Duration, cond func() bool) error {
	deadline := time.Now().Add(timeout)
	for delay := time.Millisecond; ; {
		if cond() {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("condition not met within %v", timeout)
		}
		time.Sleep(delay)
		if delay < 50*time.Millisecond {
			delay *= 2
		}
	}
}

// SyncBuffer collects a process's output while tests read it.
type SyncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *SyncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *SyncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// FreePort is a TCP port on 127.0.0.1 that nothing listened on a moment
// ago, for an [inet_http_server] (or a program) in a test's config.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// WaitInet waits until the daemon's [inet_http_server] on 127.0.0.1:port
// accepts connections: StartConf waits for the unix socket, which the
// daemon answers on first.
func (d *Daemon) WaitInet(t testing.TB, port int, timeout time.Duration) {
	t.Helper()
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	if err := Poll(timeout, func() bool {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
		}
		return err == nil
	}); err != nil {
		t.Fatalf("no inet_http_server on %s: %v\n%s", addr, err, d.Out)
	}
}
