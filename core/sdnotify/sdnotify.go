// Package sdnotify is the sending side of the service manager's
// notification protocol (sd_notify(3)): a process started by systemd with
// Type=notify finds a unix datagram socket in NOTIFY_SOCKET and sends it
// newline-separated VAR=value assignments — READY=1, RELOADING=1,
// STOPPING=1, STATUS=..., WATCHDOG=1.
//
// It is what supervisord itself says to systemd. (Programs that notify
// supervisord are the other direction and live elsewhere.) Leaf package:
// the standard library and x/sys only.
package sdnotify

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// The environment the service manager sets (systemd.exec(5)).
const (
	EnvSocket      = "NOTIFY_SOCKET"
	EnvWatchdogUS  = "WATCHDOG_USEC"
	EnvWatchdogPID = "WATCHDOG_PID"
)

// sendTimeout bounds one send: a datagram waits only while the receiver's
// queue is full, and a service manager that does not read for this long
// is better told nothing than waited for.
const sendTimeout = 2 * time.Second

// Notifier sends notifications to one socket.
type Notifier struct {
	fd       int
	socket   string
	watchdog time.Duration
}

// FromEnv returns a Notifier for the socket named by NOTIFY_SOCKET, or nil
// (and no error) when it is unset. It removes NOTIFY_SOCKET, WATCHDOG_USEC
// and WATCHDOG_PID from the environment, as sd_notify's unset_environment
// does: they are meant for this process, and the programs it starts must
// not notify the service manager in its name.
//
// The socket is a path or, starting with "@", a name in the abstract
// namespace. The watchdog applies when WATCHDOG_USEC is set and
// WATCHDOG_PID is unset or this process's pid.
func FromEnv() (*Notifier, error) {
	socket, ok := os.LookupEnv(EnvSocket)
	usec := os.Getenv(EnvWatchdogUS)
	wpid := os.Getenv(EnvWatchdogPID)
	for _, k := range []string{EnvSocket, EnvWatchdogUS, EnvWatchdogPID} {
		os.Unsetenv(k)
	}
	if !ok || socket == "" {
		return nil, nil
	}
	n, err := New(socket)
	if err != nil {
		return nil, err
	}
	if usec != "" && (wpid == "" || wpid == strconv.Itoa(os.Getpid())) {
		us, err := strconv.ParseUint(usec, 10, 63)
		if err != nil || us == 0 {
			n.Close()
			return nil, fmt.Errorf("%s=%q is not a positive number of microseconds", EnvWatchdogUS, usec)
		}
		n.watchdog = time.Duration(us) * time.Microsecond
	}
	return n, nil
}

// New returns a Notifier for socket: an absolute path, or "@name" for the
// abstract namespace.
func New(socket string) (*Notifier, error) {
	if !strings.HasPrefix(socket, "/") && !strings.HasPrefix(socket, "@") {
		return nil, fmt.Errorf("%s=%q: not an absolute path or an @abstract socket name", EnvSocket, socket)
	}
	if len(socket) > 107 {
		return nil, fmt.Errorf("%s=%q: longer than a unix socket address can be", EnvSocket, socket)
	}
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", EnvSocket, err)
	}
	tv := unix.NsecToTimeval(sendTimeout.Nanoseconds())
	if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_SNDTIMEO, &tv); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("%s: %w", EnvSocket, err)
	}
	return &Notifier{fd: fd, socket: socket}, nil
}

// Send sends the assignments as one datagram, e.g.
// Send("READY=1", "STATUS=3 running"). Safe for concurrent use.
func (n *Notifier) Send(assignments ...string) error {
	msg := strings.Join(assignments, "\n")
	if msg == "" {
		return errors.New("sdnotify: empty notification")
	}
	// A SockaddrUnix per send: Sendto writes into it. x/sys/unix turns a
	// leading "@" into the abstract namespace's NUL.
	addr := &unix.SockaddrUnix{Name: n.socket}
	for {
		err := unix.Sendto(n.fd, []byte(msg), unix.MSG_NOSIGNAL, addr)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return fmt.Errorf("sdnotify: send to %s: %w", n.socket, err)
		}
		return nil
	}
}

// WatchdogInterval is how often to send WATCHDOG=1: half the service
// manager's timeout, as sd_watchdog_enabled(3) advises; 0 when no
// watchdog is asked for.
func (n *Notifier) WatchdogInterval() time.Duration { return n.watchdog / 2 }

// Close releases the socket.
func (n *Notifier) Close() error { return unix.Close(n.fd) }

// MonotonicUsec is CLOCK_MONOTONIC in microseconds, for the
// MONOTONIC_USEC= that accompanies RELOADING=1 (systemd 253 and later
// want it to tell one reload from the next).
func MonotonicUsec() int64 {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts); err != nil {
		return 0
	}
	return ts.Nano() / 1000
}
