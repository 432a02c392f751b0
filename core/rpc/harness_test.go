package rpc_test

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"super/core/testbin"
)

const (
	oracleDaemon = "/usr/bin/supervisord"
	oracleCtl    = "/usr/bin/supervisorctl"
	python       = "/usr/bin/python3"
)

var (
	oracleOnce sync.Once
	oracleErr  string
)

// needOracle skips the test unless Supervisor 4.2 and its Python module are
// installed.
func needOracle(t *testing.T) {
	t.Helper()
	oracleOnce.Do(func() {
		for _, p := range []string{oracleDaemon, oracleCtl, python} {
			if _, err := os.Stat(p); err != nil {
				oracleErr = p + " is missing"
				return
			}
		}
		if out, err := exec.Command(python, "-c", "import supervisor.xmlrpc").CombinedOutput(); err != nil {
			oracleErr = "the supervisor Python module is not importable: " + strings.TrimSpace(string(out))
		}
	})
	if oracleErr != "" {
		t.Skipf("Supervisor 4.2 (the reference implementation) is not installed: %s", oracleErr)
	}
}

// instance is one running supervisord (ours or the oracle) on a config in
// its own directory.
type instance struct {
	name   string // "4.2" or "super"
	dir    string
	conf   string
	sock   string
	url    string
	cmd    *exec.Cmd
	out    *syncBuffer
	waited chan struct{}
}

// confTemplate is the skeleton of every test config; %[1]s is the
// instance's directory, %[2]s the program sections.
const confTemplate = `[unix_http_server]
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

%[2]s`

// start runs supervisord (oracle=true: Python's) in the foreground on a
// config made of programs, and waits until its socket answers.
func start(t *testing.T, oracle bool, programs string) *instance {
	t.Helper()
	dir := t.TempDir()
	in := &instance{dir: dir, conf: filepath.Join(dir, "supervisord.conf"), sock: filepath.Join(dir, "s.sock"),
		out: &syncBuffer{}, waited: make(chan struct{})}
	in.url = "unix://" + in.sock
	in.name = "super"
	if oracle {
		in.name = "4.2"
	}
	if err := os.WriteFile(in.conf, []byte(fmt.Sprintf(confTemplate, dir, programs)), 0o644); err != nil {
		t.Fatal(err)
	}
	if oracle {
		in.cmd = exec.Command(oracleDaemon, "-n", "-c", in.conf)
	} else {
		in.cmd = exec.Command(testbin.Path(t, "supervisord"), "-n", "-c", in.conf)
	}
	in.cmd.Dir = dir
	in.cmd.Stdout, in.cmd.Stderr = in.out, in.out
	in.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := in.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { in.cmd.Wait(); close(in.waited) }()
	t.Cleanup(in.stop)
	deadline := time.Now().Add(10 * time.Second)
	for {
		if c, err := net.Dial("unix", in.sock); err == nil {
			c.Close()
			return in
		}
		select {
		case <-in.waited:
			t.Fatalf("supervisord exited early: %s", in.out)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("supervisord did not listen within 10s: %s", in.out)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// stop ends the instance and every process it started (its process group).
func (in *instance) stop() {
	select {
	case <-in.waited:
		return
	default:
	}
	in.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-in.waited:
	case <-time.After(15 * time.Second):
		syscall.Kill(-in.cmd.Process.Pid, syscall.SIGKILL)
		<-in.waited
	}
}

// exited waits for the instance to exit on its own.
func (in *instance) exited(timeout time.Duration) error {
	select {
	case <-in.waited:
		return nil
	case <-time.After(timeout):
		return fmt.Errorf("supervisord did not exit within %v: %s", timeout, in.out)
	}
}

// syncBuffer collects a process's output while tests read it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
