package ctl

import (
	"errors"
	"io"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"super/core/testbin"
)

// followConf has a process that wrote a little and one echoing its stdin,
// and an inet server with credentials: the log streams (/logtail/,
// /mainlogtail) are plain HTTP GETs that must carry them.
const followConf = `[unix_http_server]
file=%(here)s/s.sock

[inet_http_server]
port=127.0.0.1:{PORT}
username=bob
password=s3cret

[supervisord]
logfile=%(here)s/supervisord.log
pidfile=%(here)s/sd.pid
childlogdir=%(here)s

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

[supervisorctl]
serverurl=unix://%(here)s/s.sock

[program:talker]
command=/bin/sh -c "printf 'hello\nworld\n'; printf 'oops\n' >&2; exec sleep 1000"
startsecs=0

[program:cat]
command=/bin/cat
startsecs=0

[program:echo]
command=/bin/cat
startsecs=0
`

// ctlProc is one supervisorctl process with its output collected.
type ctlProc struct {
	cmd      *exec.Cmd
	stdin    io.WriteCloser
	out, err *testbin.SyncBuffer
	done     chan struct{}
}

// startCtl runs a supervisorctl: 4.2's (oracle) or super's applet. 4.2's
// runs with Python's Ctrl-C handler put back, because a test started from
// a job with SIGINT ignored passes that on and Python then never raises
// KeyboardInterrupt.
func startCtl(t *testing.T, oracle bool, args ...string) *ctlProc {
	t.Helper()
	var cmd *exec.Cmd
	if oracle {
		cmd = exec.Command(testbin.Python, append([]string{"-c", `import signal, sys
signal.signal(signal.SIGINT, signal.default_int_handler)
sys.argv[0] = "supervisorctl"
from supervisor.supervisorctl import main
main()`}, args...)...)
	} else {
		cmd = exec.Command(testbin.Path(t, "supervisorctl"), args...)
	}
	p := &ctlProc{cmd: cmd, out: &testbin.SyncBuffer{}, err: &testbin.SyncBuffer{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.out, p.err
	var err error
	if p.stdin, err = cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

// waitOut waits until stdout holds want.
func (p *ctlProc) waitOut(t *testing.T, want string) {
	t.Helper()
	if err := testbin.Poll(30*time.Second, func() bool { return strings.Contains(p.out.String(), want) }); err != nil {
		t.Fatalf("supervisorctl never printed %q; stdout:\n%s\nstderr:\n%s", want, p.out, p.err)
	}
}

// exit waits for the process to end and returns its exit status.
func (p *ctlProc) exit(t *testing.T) int {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		t.Fatalf("supervisorctl did not exit; stdout:\n%s\nstderr:\n%s", p.out, p.err)
	}
	var ee *exec.ExitError
	if err := p.cmd.Wait(); errors.As(err, &ee) {
		return ee.ExitCode()
	}
	return p.cmd.ProcessState.ExitCode()
}

// leave ends a streaming command (Ctrl-C, or the end of its input) and
// checks that it exits with status 0 and that its stdout then passes ok.
// 4.2's supervisorctl (lingers) can stay up to 30 s in its stream's
// select() before it exits: only its output is checked.
func (p *ctlProc) leave(t *testing.T, what string, ctrlC, lingers bool, ok func(string) bool) {
	t.Helper()
	if ctrlC {
		p.cmd.Process.Signal(syscall.SIGINT)
	} else {
		p.stdin.Close()
	}
	if lingers {
		if err := testbin.Poll(30*time.Second, func() bool { return ok(p.out.String()) }); err != nil {
			t.Errorf("%s: stdout %q", what, p.out)
		}
		return
	}
	if rc := p.exit(t); rc != 0 || !ok(p.out.String()) {
		t.Errorf("%s: status %d, stdout %q", what, rc, p.out)
	}
}

// is is the check for exactly want.
func is(want string) func(string) bool { return func(s string) bool { return s == want } }

const pressCtrlC = "==> Press Ctrl-C to exit <==\n"

// tail -f, maintail -f and fg against both daemons, by super's
// supervisorctl and by 4.2's (which shows the expectations are 4.2's
// behaviour, and drives super's daemon over the same HTTP streams).
//
// Ctrl-C during tail -f and maintail -f is checked for super's
// supervisorctl only: 4.2's takes the KeyboardInterrupt wherever its
// stream handler happens to be, and one raised inside the handler is
// reported as a connection error instead of ending with an empty line.
func TestFollow(t *testing.T) {
	for _, k := range daemonKinds {
		for _, ctl := range []struct {
			name   string
			oracle bool
		}{{"4.2ctl", true}, {"superctl", false}} {
			t.Run(ctl.name+"-"+k.name+"d", func(t *testing.T) {
				t.Parallel()
				if ctl.oracle {
					needOracle(t)
				}
				d := startDaemon(t, k.oracle, followConf)
				unix := []string{"-c", d.Conf}
				inet := []string{"-c", d.Conf, "-s", d.inet, "-u", "bob", "-p", "s3cret"}
				run := func(base []string, args string) *ctlProc {
					return startCtl(t, ctl.oracle, append(append([]string(nil), base...), strings.Fields(args)...)...)
				}

				t.Run("tail -f", func(t *testing.T) {
					for _, c := range []struct {
						base       []string
						args, want string
					}{
						{unix, "tail -f talker", "hello\nworld\n"},
						{inet, "tail -f talker stderr", "oops\n"},
					} {
						p := run(c.base, c.args)
						p.waitOut(t, c.want)
						if !ctl.oracle {
							p.leave(t, c.args, true, false, is(pressCtrlC+c.want+"\n"))
						}
					}
				})

				t.Run("tail -f follows", func(t *testing.T) {
					p := run(inet, "tail -f cat")
					p.waitOut(t, pressCtrlC)
					// The first line may come with the initial tail; once
					// it is shown the stream is open, so the second one
					// can only come by following the file.
					d.Call(t, "supervisor.sendProcessStdin", "cat", "first\n")
					p.waitOut(t, "first\n")
					d.Call(t, "supervisor.sendProcessStdin", "cat", "second\n")
					p.waitOut(t, "first\nsecond\n")
					if !ctl.oracle {
						p.leave(t, "tail -f cat", true, false, is(pressCtrlC+"first\nsecond\n\n"))
					}
				})

				t.Run("maintail -f", func(t *testing.T) {
					p := run(unix, "maintail -f")
					p.waitOut(t, "entered RUNNING state")
					d.Call(t, "supervisor.stopProcess", "talker")
					p.waitOut(t, "stopped: talker (terminated by SIGTERM)\n")
					// What is shown is one stretch of the activity log (its
					// last bytes, then what followed) and an empty line.
					if ctl.oracle {
						return
					}
					p.leave(t, "maintail -f", true, false, func(out string) bool {
						body, ok := strings.CutPrefix(out, pressCtrlC)
						body, ok2 := strings.CutSuffix(body, "\n\n")
						return ok && ok2 && strings.Contains(d.Log(), body+"\n")
					})
				})

				t.Run("tail -f unknown", func(t *testing.T) {
					p := run(unix, "tail -f nope")
					rc := p.exit(t)
					wantErr := d.URL + "/logtail/nope/stdout Cannot read, status code 404\n"
					if rc != 0 || p.out.String() != pressCtrlC || p.err.String() != wantErr {
						t.Errorf("status %d, stdout %q, stderr %q; want 0, %q, %q", rc, p.out, p.err, pressCtrlC, wantErr)
					}
				})

				t.Run("fg", func(t *testing.T) {
					// Input lines go to the process, its output comes
					// back; end of input, or Ctrl-C, leaves the
					// foreground and the process running.
					want := pressCtrlC + "ping\nExiting foreground\n"
					p := run(inet, "fg echo")
					p.waitOut(t, pressCtrlC)
					io.WriteString(p.stdin, "ping\n")
					p.waitOut(t, "ping\n")
					p.leave(t, "fg, end of input", false, ctl.oracle, is(want))
					p = run(unix, "fg echo")
					p.waitOut(t, pressCtrlC+"ping\n")
					p.leave(t, "fg, Ctrl-C", true, ctl.oracle, is(want))
					if s := d.StateOf(t, "echo"); s != "RUNNING" {
						t.Errorf("echo is %s after fg, want RUNNING", s)
					}
				})
			})
		}
	}
}
