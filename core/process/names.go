package process

import (
	"fmt"
	"strconv"
	"strings"
	"syscall"

	"super/core/pyrepr"
)

// signalNames are the names 4.2's signame() gives (Python's signal module on
// Linux; where two names share a number, the one Python keeps: SIGABRT,
// SIGCHLD, SIGPOLL).
var signalNames = map[syscall.Signal]string{
	1: "SIGHUP", 2: "SIGINT", 3: "SIGQUIT", 4: "SIGILL", 5: "SIGTRAP",
	6: "SIGABRT", 7: "SIGBUS", 8: "SIGFPE", 9: "SIGKILL", 10: "SIGUSR1",
	11: "SIGSEGV", 12: "SIGUSR2", 13: "SIGPIPE", 14: "SIGALRM", 15: "SIGTERM",
	16: "SIGSTKFLT", 17: "SIGCHLD", 18: "SIGCONT", 19: "SIGSTOP", 20: "SIGTSTP",
	21: "SIGTTIN", 22: "SIGTTOU", 23: "SIGURG", 24: "SIGXCPU", 25: "SIGXFSZ",
	26: "SIGVTALRM", 27: "SIGPROF", 28: "SIGWINCH", 29: "SIGPOLL", 30: "SIGPWR",
	31: "SIGSYS", 34: "SIGRTMIN", 64: "SIGRTMAX",
}

// SignalName is 4.2's signame(): "SIGTERM", or "signal 32" for a number
// without a name.
func SignalName(sig syscall.Signal) string {
	if n, ok := signalNames[sig]; ok {
		return n
	}
	return "signal " + strconv.Itoa(int(sig))
}

// ParseSignal is 4.2's datatypes.signal_number: a number, or a name with or
// without the SIG prefix, any case ("HUP", "sigterm", "15"). The error text is
// 4.2's ValueError message.
func ParseSignal(s string) (syscall.Signal, error) {
	var sig syscall.Signal
	if n, err := strconv.Atoi(strings.TrimSpace(s)); err == nil {
		sig = syscall.Signal(n)
	} else {
		name := strings.ToUpper(strings.TrimSpace(s))
		if !strings.HasPrefix(name, "SIG") {
			name = "SIG" + name
		}
		switch name { // aliases Python's signal module has besides signame()'s
		case "SIGIOT":
			return syscall.SIGABRT, nil
		case "SIGCLD":
			return syscall.SIGCHLD, nil
		case "SIGIO":
			return syscall.SIGIO, nil
		}
		found := false
		for n, nm := range signalNames {
			if nm == name {
				sig, found = n, true
				break
			}
		}
		if !found {
			return 0, fmt.Errorf("value %s is not a valid signal name", pyrepr.Str(s))
		}
	}
	if _, ok := signalNames[sig]; !ok {
		return 0, fmt.Errorf("value %s is not a valid signal number", pyrepr.Str(s))
	}
	return sig, nil
}

// DecodeWaitStatus is 4.2's decode_wait_status: the exit status (-1 when
// killed by a signal) and the text used in "exited: x (exit status 0; ...)".
func DecodeWaitStatus(ws syscall.WaitStatus) (int, string) {
	switch {
	case ws.Exited():
		es := ws.ExitStatus()
		return es, "exit status " + strconv.Itoa(es)
	case ws.Signaled():
		msg := "terminated by " + SignalName(ws.Signal())
		if ws.CoreDump() {
			msg += " (core dumped)"
		}
		return -1, msg
	default:
		return -1, fmt.Sprintf("unknown termination cause 0x%04x", uint32(ws))
	}
}

// errnoNames maps errno values to the symbolic names 4.2 prints through
// errno.errorcode (e.g. "couldn't chdir to /x: ENOENT").
var errnoNames = map[syscall.Errno]string{
	syscall.EPERM: "EPERM", syscall.ENOENT: "ENOENT", syscall.ESRCH: "ESRCH",
	syscall.EINTR: "EINTR", syscall.EIO: "EIO", syscall.ENXIO: "ENXIO",
	syscall.E2BIG: "E2BIG", syscall.ENOEXEC: "ENOEXEC", syscall.EBADF: "EBADF",
	syscall.ECHILD: "ECHILD", syscall.EAGAIN: "EAGAIN", syscall.ENOMEM: "ENOMEM",
	syscall.EACCES: "EACCES", syscall.EFAULT: "EFAULT", syscall.EBUSY: "EBUSY",
	syscall.EEXIST: "EEXIST", syscall.ENOTDIR: "ENOTDIR", syscall.EISDIR: "EISDIR",
	syscall.EINVAL: "EINVAL", syscall.ENFILE: "ENFILE", syscall.EMFILE: "EMFILE",
	syscall.ETXTBSY: "ETXTBSY", syscall.ENOSPC: "ENOSPC", syscall.EROFS: "EROFS",
	syscall.ELOOP: "ELOOP", syscall.ENAMETOOLONG: "ENAMETOOLONG", syscall.EPIPE: "EPIPE",
	syscall.ELIBBAD: "ELIBBAD", syscall.ENOSYS: "ENOSYS",
}

// ErrnoName is Python's errno.errorcode lookup: "ENOENT", or the number.
func ErrnoName(err error) string {
	if e, ok := err.(syscall.Errno); ok {
		if n, ok := errnoNames[e]; ok {
			return n
		}
		return strconv.Itoa(int(e))
	}
	return err.Error()
}
