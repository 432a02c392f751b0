// Package notify is the daemon's end of systemd's readiness protocol
// (sd_notify): one unix datagram socket whose address programs find in
// NOTIFY_SOCKET, and the parsing of what they send ("READY=1\nSTATUS=…").
// It is a leaf: what a message means for a process is the engine's
// business (core/supervisor/notify.go).
//
// One socket serves every process. A datagram's sender is known from its
// credentials (SO_PASSCRED: the kernel vouches for the pid, a sender
// cannot claim another's), and the reader adds the sender's ancestry from
// /proc, so the engine attributes a message to the process whose pid is
// the sender or an ancestor of it: a program's own sd_notify call, or
// `systemd-notify` run by its shell script. One socket per process would
// tell processes apart by where a datagram arrives, but costs a
// descriptor and a file per process and still needs the credentials to
// refuse strangers; here one descriptor and one goroutine serve them all.
//
// Strangers (no process of ours in the sender's ancestry), oversized and
// malformed datagrams are dropped and counted. Descriptors passed along
// (systemd-notify's BARRIER=1 sends one and waits until the receiver has
// closed it) are closed at once. Nothing a sender does blocks anything but
// this socket's own reader.
package notify

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"unicode/utf8"

	"golang.org/x/sys/unix"

	"super/core/procstat"
)

// MaxDatagram is the largest message read; a longer one is dropped.
// systemd's own limit (NOTIFY_BUFFER_MAX, PIPE_BUF) is the same, so no
// client sends more.
const MaxDatagram = 4096

// maxAncestry bounds the walk up a sender's parents.
const maxAncestry = 64

// Message is one datagram: who sent it and the assignments super acts on.
// Assignments it does not know (EXTEND_TIMEOUT_USEC=, FDSTORE=1, …) are
// ignored, as are known ones with a value it cannot read.
type Message struct {
	Text string // the datagram as it came

	Pid int // the sender, from its credentials
	UID int
	// Ancestry is Pid, its parent, grandparent, … as /proc showed them
	// when the datagram was read (up to pid 1, at most maxAncestry).
	Ancestry []int

	Ready        bool   // READY=1
	Stopping     bool   // STOPPING=1
	Reloading    bool   // RELOADING=1
	HasStatus    bool   // STATUS= was sent (its text may be empty)
	Status       string // STATUS=…
	Errno        int    // ERRNO=…; 0 when not sent
	MainPID      int    // MAINPID=…; 0 when not sent
	Watchdog     bool   // WATCHDOG=1
	Trigger      bool   // WATCHDOG=trigger
	WatchdogUsec uint64 // WATCHDOG_USEC=…; 0 when not sent
	Barrier      bool   // BARRIER=1 (its descriptor is already closed)
}

// Each calls fn with each NAME=VALUE line of a datagram's text, in
// order. The text is malformed (an error, and fn is not called at all)
// when empty, not UTF-8, holding a NUL, or holding a line that is not
// NAME=VALUE (NAME in [A-Z0-9_]); empty lines are allowed (senders often
// end with "\n").
func Each(s string, fn func(name, value string)) error {
	if len(s) == 0 {
		return errors.New("empty datagram")
	}
	if !utf8.ValidString(s) {
		return errors.New("not UTF-8")
	}
	if strings.IndexByte(s, 0) >= 0 {
		return errors.New("NUL byte")
	}
	for line := range strings.SplitSeq(s, "\n") {
		if line == "" {
			continue
		}
		k, _, ok := strings.Cut(line, "=")
		if !ok || k == "" || strings.ContainsFunc(k, func(r rune) bool { return !('A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '_') }) {
			return fmt.Errorf("not NAME=VALUE: %q", line)
		}
	}
	for line := range strings.SplitSeq(s, "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			fn(k, v)
		}
	}
	return nil
}

// Parse reads a datagram's text (malformed as Each says).
func Parse(b []byte) (Message, error) {
	m := Message{Text: string(b)}
	if err := Each(m.Text, m.assign); err != nil {
		return Message{}, err
	}
	return m, nil
}

// assign records one assignment super acts on.
func (m *Message) assign(k, v string) {
	switch k {
	case "READY":
		m.Ready = m.Ready || v == "1"
	case "STOPPING":
		m.Stopping = m.Stopping || v == "1"
	case "RELOADING":
		m.Reloading = m.Reloading || v == "1"
	case "STATUS":
		m.HasStatus, m.Status = true, v
	case "ERRNO":
		if n, err := strconv.Atoi(v); err == nil && n >= 0 {
			m.Errno = n
		}
	case "MAINPID":
		if n, err := strconv.Atoi(v); err == nil && n > 0 {
			m.MainPID = n
		}
	case "WATCHDOG":
		m.Watchdog = m.Watchdog || v == "1"
		m.Trigger = m.Trigger || v == "trigger"
	case "WATCHDOG_USEC":
		if n, err := strconv.ParseUint(v, 10, 64); err == nil && n > 0 {
			m.WatchdogUsec = n
		}
	case "BARRIER":
		m.Barrier = m.Barrier || v == "1"
	}
}

// Stats counts the datagrams a Socket read.
type Stats struct {
	Received  uint64 // read from the socket, whatever became of them
	Oversized uint64 // longer than MaxDatagram: dropped
	Malformed uint64 // Parse refused them, or they came without credentials: dropped
}

// Socket is the daemon's notify socket.
type Socket struct {
	conn *net.UnixConn
	addr string // NOTIFY_SOCKET's value
	dir  string // the private directory holding the socket; "" for an abstract one

	received, oversized, malformed atomic.Uint64
}

// Listen makes the socket: "notify" in a new directory of the system's
// temporary directory (mode 0711; the socket 0666, so children running as
// any user can send, their credentials telling who they are), or an
// abstract socket when that path would be too long for a unix address.
func Listen() (*Socket, error) {
	dir, err := os.MkdirTemp("", "super-notify-")
	if err != nil {
		return nil, err
	}
	path := filepath.Join(dir, "notify")
	s := &Socket{addr: path, dir: dir}
	if len(path) >= len(unix.RawSockaddrUnix{}.Path) {
		os.Remove(dir)
		s.dir = ""
		s.addr = fmt.Sprintf("@super-notify-%d-%s", os.Getpid(), filepath.Base(dir))
	}
	if err := s.listen(); err != nil {
		s.removeDir()
		return nil, err
	}
	if s.dir != "" {
		err := os.Chmod(dir, 0o711)
		if err == nil {
			err = os.Chmod(path, 0o666)
		}
		if err != nil {
			s.Close()
			return nil, err
		}
	}
	return s, nil
}

// ListenAt makes a socket at path, which the caller owns (Close removes
// nothing): what a test that plays the service manager listens on.
func ListenAt(path string) (*Socket, error) {
	s := &Socket{addr: path}
	if err := s.listen(); err != nil {
		return nil, err
	}
	return s, nil
}

// listen binds s.addr with SO_PASSCRED, so every datagram comes with its
// sender's credentials.
func (s *Socket) listen() error {
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: s.addr, Net: "unixgram"})
	if err != nil {
		return err
	}
	raw, err := conn.SyscallConn()
	if err != nil {
		conn.Close()
		return err
	}
	var serr error
	if err := raw.Control(func(fd uintptr) {
		serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_PASSCRED, 1)
	}); err != nil {
		conn.Close()
		return err
	}
	if serr != nil {
		conn.Close()
		return fmt.Errorf("SO_PASSCRED: %w", serr)
	}
	s.conn = conn
	return nil
}

func (s *Socket) removeDir() {
	if s.dir != "" {
		os.RemoveAll(s.dir)
	}
}

// Addr is the value for NOTIFY_SOCKET ("@name" for an abstract socket).
func (s *Socket) Addr() string { return s.addr }

// Close stops Serve and removes the socket.
func (s *Socket) Close() error {
	err := s.conn.Close()
	s.removeDir()
	return err
}

// Stats returns the counters so far.
func (s *Socket) Stats() Stats {
	return Stats{Received: s.received.Load(), Oversized: s.oversized.Load(), Malformed: s.malformed.Load()}
}

// oobSize holds the credentials and up to 16 passed descriptors; the
// kernel closes any beyond what fits (MSG_CTRUNC).
var oobSize = unix.CmsgSpace(unix.SizeofUcred) + unix.CmsgSpace(16*4)

// Serve reads datagrams until Close, handing each well-formed one with
// credentials to handle, on Serve's goroutine, in the order they came.
// handle must not block for long: the next datagram waits for it.
func (s *Socket) Serve(handle func(Message)) {
	buf := make([]byte, MaxDatagram)
	oob := make([]byte, oobSize)
	for {
		n, oobn, flags, _, err := s.conn.ReadMsgUnix(buf, oob)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue // ECONNREFUSED and the like: the socket goes on
		}
		s.received.Add(1)
		cred := closePassed(oob[:oobn])
		if flags&unix.MSG_TRUNC != 0 {
			s.oversized.Add(1)
			continue
		}
		m, err := Parse(buf[:n])
		if err != nil || cred == nil {
			s.malformed.Add(1)
			continue
		}
		m.Pid, m.UID = int(cred.Pid), int(cred.Uid)
		m.Ancestry = Ancestry(m.Pid)
		handle(m)
	}
}

// closePassed closes every descriptor that came with a datagram and
// returns its credentials (nil when none came).
func closePassed(oob []byte) *unix.Ucred {
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return nil
	}
	var cred *unix.Ucred
	for i := range msgs {
		c := &msgs[i]
		if c.Header.Level != unix.SOL_SOCKET {
			continue
		}
		switch c.Header.Type {
		case unix.SCM_RIGHTS:
			fds, _ := unix.ParseUnixRights(c)
			for _, fd := range fds {
				unix.Close(fd)
			}
		case unix.SCM_CREDENTIALS:
			if uc, err := unix.ParseUnixCredentials(c); err == nil {
				cred = uc
			}
		}
	}
	return cred
}

// Ancestry is pid and its ancestors, read from /proc now: a process whose
// parent cannot be read (it exited) ends the list.
func Ancestry(pid int) []int {
	chain := []int{pid}
	for len(chain) < maxAncestry && pid > 1 {
		ppid, ok := procstat.Parent(pid)
		if !ok || ppid <= 0 {
			break
		}
		chain = append(chain, ppid)
		pid = ppid
	}
	return chain
}
