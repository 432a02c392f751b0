package health

import (
	"context"
	"errors"
	"os"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"super/core/config"
	"super/core/process"
)

// Command probes by running a command: exit status 0 passes. The command
// line is split as command= is (no shell), looked up in the program's
// PATH, and run with the program's environment, directory and user, in a
// process group of its own that is killed when the probe times out.
type Command struct {
	Line    string
	Timeout time.Duration
	ex      Exec
}

// NewCommand returns an exec probe running line for the program in ex.
func NewCommand(line string, timeout time.Duration, ex Exec) *Command {
	return &Command{Line: line, Timeout: timeout, ex: ex}
}

// outputGrace is how long the output pipe is still read after the command
// exited: what it wrote is already in the pipe, and a background child of
// its that keeps the pipe open must not hold the probe.
const outputGrace = 50 * time.Millisecond

// Check runs the command once.
func (c *Command) Check(ctx context.Context) Result {
	ctx, cancel := context.WithTimeout(ctx, c.Timeout)
	defer cancel()
	if err := ctx.Err(); err != nil {
		return fail("%v", err)
	}
	prog := *c.ex.Program
	prog.Command = c.Line
	path, argv, err := process.ResolveCommand(&prog, c.ex.DaemonEnv)
	if err != nil {
		return fail("%v", err)
	}
	r, w, err := os.Pipe()
	if err != nil {
		return fail("can't run %s: %v", path, err)
	}
	defer r.Close()
	null, err := os.Open(os.DevNull)
	if err != nil {
		w.Close()
		return fail("can't run %s: %v", path, err)
	}
	attr := &syscall.ProcAttr{
		Dir:   prog.Directory,
		Env:   c.ex.Env,
		Files: []uintptr{null.Fd(), w.Fd(), w.Fd()},
		Sys:   &syscall.SysProcAttr{Setpgid: true, Credential: credential(&prog)},
	}
	kids := c.ex.Children
	if kids == nil {
		kids = selfReaped
	}
	pid, done, err := kids.start(path, argv, attr)
	w.Close()
	null.Close()
	if err != nil {
		return fail("can't run %s: %v", path, err)
	}
	out := make(chan []byte, 1)
	go func() { out <- readHead(r) }()

	var ws syscall.WaitStatus
	timeout := false
	select {
	case ws = <-done:
	case <-ctx.Done():
		kids.kill(pid)
		ws = <-done
		timeout = errors.Is(ctx.Err(), context.DeadlineExceeded)
	}
	r.SetReadDeadline(time.Now().Add(outputGrace))
	output := clip(string(<-out))
	switch {
	case timeout:
		return fail("%s: timed out after %s", c.Line, seconds(c.Timeout))
	case ws.Exited() && ws.ExitStatus() == 0:
		return Result{OK: true}
	case output == "":
		_, msg := process.DecodeWaitStatus(ws)
		return fail("%s", msg)
	}
	return Result{Output: output}
}

// readHead reads r to its end (or read deadline) and returns the first
// bytes: enough for MaxOutput after trimming blanks at the start.
func readHead(r *os.File) []byte {
	head := make([]byte, 0, 2*MaxOutput)
	var scratch [4096]byte
	for {
		n, err := r.Read(scratch[:])
		if room := cap(head) - len(head); room > 0 {
			head = append(head, scratch[:min(n, room)]...)
		}
		if err != nil {
			return head
		}
	}
}

// credential is the program's user for the check, when the daemon runs as
// root and the program as someone else; the check gets that user's uid
// and primary group only.
func credential(p *config.ProcessConfig) *syscall.Credential {
	if p.User == "" || p.UID < 0 || os.Getuid() != 0 || p.UID == 0 {
		return nil
	}
	return &syscall.Credential{Uid: uint32(p.UID), Gid: uint32(p.GID)}
}

// Children lets exec probes run commands in a process where another part
// collects every exited child with wait4(-1): the supervisor's reaper,
// which must, to reap orphans as PID 1. Started with os/exec, a check's
// exit status would be stolen by that reaper.
//
// Telling the reaper a probe's pid after the fork would race: a check that
// exits at once could be reaped, as a pid nobody knows, before the message
// arrives. Instead the fork and the pid's registration happen under one
// mutex, and the reaper holds that mutex around each wait4 (Wait4 below):
// it can never collect a probe's child it does not know, and it hands that
// status to the probe. A probe's kill on timeout also happens under the
// mutex and only while the pid is not reaped, so it never hits a reused
// pid. The mutex is held for one fork (vfork, well under a millisecond),
// so the reaper never waits long.
//
// The zero value is ready for use with an outside reaper calling Wait4.
type Children struct {
	mu      sync.Mutex
	waiting map[int]chan syscall.WaitStatus // probe children not reaped yet
	closed  bool
	self    bool // no outside reaper: a goroutine per child waits for it
}

// selfReaped serves probes in a process without a wait4(-1) reaper.
var selfReaped = &Children{self: true}

var errClosed = errors.New("the supervisor is stopping")

func (c *Children) start(path string, argv []string, attr *syscall.ProcAttr) (int, <-chan syscall.WaitStatus, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return 0, nil, errClosed
	}
	// ForkExec also reaps its own child when the exec fails; under the
	// mutex no reaper races it for that pid. process.ForkExec keeps the
	// program spawns' umask changes away from the check.
	pid, err := process.ForkExec(path, argv, attr)
	if err != nil {
		return 0, nil, err
	}
	ch := make(chan syscall.WaitStatus, 1)
	if c.waiting == nil {
		c.waiting = map[int]chan syscall.WaitStatus{}
	}
	c.waiting[pid] = ch
	if c.self {
		go c.waitFor(pid)
	}
	return pid, ch, nil
}

// waitFor waits for pid to exit without reaping it (so a kill under the
// mutex still finds it), then reaps it under the mutex.
func (c *Children) waitFor(pid int) {
	var info unix.Siginfo
	for unix.Waitid(unix.P_PID, pid, &info, unix.WEXITED|unix.WNOWAIT, nil) == unix.EINTR {
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.reapLocked(pid)
}

// reapLocked collects pid (blocking) and hands its status over.
func (c *Children) reapLocked(pid int) {
	var ws syscall.WaitStatus
	for {
		if _, err := syscall.Wait4(pid, &ws, 0, nil); err != syscall.EINTR {
			break
		}
	}
	c.deliverLocked(pid, ws)
}

func (c *Children) deliverLocked(pid int, ws syscall.WaitStatus) bool {
	ch, ok := c.waiting[pid]
	if ok {
		delete(c.waiting, pid)
		ch <- ws
	}
	return ok
}

// kill ends a probe's command and everything in its process group, unless
// it has been reaped already.
func (c *Children) kill(pid int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.waiting[pid]; ok {
		syscall.Kill(-pid, syscall.SIGKILL)
	}
}

// Wait4 is the reaper's wait4(-1, WNOHANG): it collects exited children,
// hands those of probes to their probes, and returns the first other one
// (pid 0 or an error such as ECHILD: nothing else to collect).
func (c *Children) Wait4(ws *syscall.WaitStatus) (int, error) {
	for {
		c.mu.Lock()
		pid, err := syscall.Wait4(-1, ws, syscall.WNOHANG, nil)
		mine := err == nil && pid > 0 && c.deliverLocked(pid, *ws)
		c.mu.Unlock()
		if !mine {
			return pid, err
		}
	}
}

// Close kills the probe commands still running and collects them itself,
// and makes later probes fail: call it once the reaper calling Wait4 has
// stopped, so no check is left behind as a zombie or waits for ever.
func (c *Children) Close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	for pid := range c.waiting {
		syscall.Kill(-pid, syscall.SIGKILL)
		c.reapLocked(pid)
	}
}
