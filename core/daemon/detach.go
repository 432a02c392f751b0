package daemon

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"

	"super/core/pyrepr"
)

// readyEnv tells a re-executed supervisord that it is the detached daemon
// and which file descriptor reports its readiness to the waiting parent.
const readyEnv = "SUPER_DAEMON_READY_FD"

// Go cannot fork a running runtime, so supervisord detaches the way a Go
// daemon must: it starts its own command line again in a new session and
// waits. The child does all the work 4.2's forked child does (log, servers)
// with the caller's stderr still attached, so a startup error (a port in
// use, a bad socket path) reaches the terminal and the parent exits with the
// child's status, as with 4.2; once the servers listen the child reports
// ready, lets go of the terminal, and the parent exits 0.

// IsDetachedChild reports whether this process is the daemon re-executed by
// a foreground supervisord to detach: what the foreground process said
// before (warnings about the command line or the config search) is not to
// be said again.
func IsDetachedChild() bool {
	_, ok := os.LookupEnv(readyEnv)
	return ok
}

// detachedChild reports whether this process is the re-executed daemon, and
// if so returns the readiness pipe (removing the marker so programs it
// starts do not inherit it).
func detachedChild() (*os.File, bool) {
	v, ok := os.LookupEnv(readyEnv)
	if !ok {
		return nil, false
	}
	os.Unsetenv(readyEnv)
	fd, err := strconv.Atoi(v)
	if err != nil || fd < 3 {
		return nil, false
	}
	return os.NewFile(uintptr(fd), "ready"), true
}

// detach runs the command line again as a detached daemon and waits until it
// is ready (status 0) or has died (its status).
func detach(stderr io.Writer) int {
	exe, err := os.Executable()
	if err != nil {
		fmt.Fprintf(stderr, "Error: can't daemonize: %v\n", err)
		return 1
	}
	null, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		fmt.Fprintf(stderr, "Error: can't daemonize: %v\n", err)
		return 1
	}
	defer null.Close()
	r, w, err := os.Pipe()
	if err != nil {
		fmt.Fprintf(stderr, "Error: can't daemonize: %v\n", err)
		return 1
	}
	defer r.Close()
	errOut := os.Stderr
	pid, err := syscall.ForkExec(exe, os.Args, &syscall.ProcAttr{
		Env:   append(os.Environ(), readyEnv+"=3"),
		Files: []uintptr{null.Fd(), null.Fd(), errOut.Fd(), w.Fd()},
		Sys:   &syscall.SysProcAttr{Setsid: true},
	})
	w.Close()
	if err != nil {
		fmt.Fprintf(stderr, "Error: can't daemonize: %v\n", err)
		return 1
	}
	var b [1]byte
	if n, _ := r.Read(b[:]); n == 1 {
		return 0 // ready; the daemon lives on in its own session
	}
	var ws syscall.WaitStatus
	for {
		_, err := syscall.Wait4(pid, &ws, 0, nil)
		if err != syscall.EINTR {
			break
		}
	}
	if ws.Exited() {
		return ws.ExitStatus()
	}
	return 1
}

// becomeDaemon finishes detaching at the point 4.2 daemonizes (servers
// open, pidfile not yet written): chdir to [supervisord] directory, apply
// and its umask, let go of the terminal's stderr. The parent is told to
// exit by signalReady.
func becomeDaemon(directory string, umask int, logger interface {
	Info(string, ...any)
	Critical(string, ...any)
}) {
	logger.Info("daemonizing the supervisord process")
	if directory != "" {
		if err := os.Chdir(directory); err != nil {
			logger.Critical("can't chdir into %s: %v", pyrepr.Str(directory), err)
		} else {
			logger.Info("set current directory: %s", pyrepr.Str(directory))
		}
	}
	syscall.Umask(umask)
	if null, err := os.OpenFile(os.DevNull, os.O_RDWR, 0); err == nil {
		unix.Dup2(int(null.Fd()), 2) // unix: arm64 has no dup2 system call, only dup3
		null.Close()
	}
}

// signalReady lets the waiting parent exit 0. It comes after the pidfile
// is written: whoever started the daemon (a script, systemd with
// Type=forking and PIDFile=) reads the pidfile as soon as the command
// returns.
func signalReady(ready *os.File) {
	ready.Write([]byte{1})
	ready.Close()
}
