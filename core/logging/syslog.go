package logging

import (
	"net"
	"os"
	"sync"
	"time"
)

// Syslog sends messages to the local syslog daemon the way 4.2's
// syslog.syslog(msg) does through glibc: facility user, priority info,
// ident "supervisord", no pid —
//
//	<14>Nov 25 10:00:00 supervisord: <message>
//
// It connects lazily, retries a lost connection at most once per
// retryInterval, and drops messages while no daemon listens (as glibc does
// without LOG_CONS): logging must never stall the daemon. Safe for
// concurrent use.
type Syslog struct {
	paths []string
	ident string

	mu      sync.Mutex
	conn    net.Conn
	retryAt time.Time
	buf     []byte
}

// SyslogSocketEnv names the environment variable that, when set, points
// every syslog message of the daemon (logfile=syslog, stdout_syslog,
// stderr_syslog) at that unix socket instead of the system's. It exists so
// a test, or a container without /dev/log, can receive the messages on a
// socket of its own; unset, nothing changes.
const SyslogSocketEnv = "SUPER_SYSLOG_SOCKET"

// DefaultSyslog talks to $SUPER_SYSLOG_SOCKET when set, else /dev/log (or
// the BSD/macOS socket paths).
var DefaultSyslog = NewSyslog(os.Getenv(SyslogSocketEnv))

// NewSyslog returns a client for the unix socket at path ("" = the system
// default: /dev/log, /var/run/syslog, /var/run/log).
func NewSyslog(path string) *Syslog {
	paths := []string{"/dev/log", "/var/run/syslog", "/var/run/log"}
	if path != "" {
		paths = []string{path}
	}
	return &Syslog{paths: paths, ident: "supervisord"}
}

const syslogUserInfo = "<14>"

// Send sends one message built from prefix and msg (prefix is the process
// name and a space for child output, empty for the activity log).
func (s *Syslog) Send(prefix string, msg []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn == nil && !s.connect() {
		return
	}
	b := append(s.buf[:0], syslogUserInfo...)
	b = time.Now().AppendFormat(b, time.Stamp)
	b = append(b, ' ')
	b = append(b, s.ident...)
	b = append(b, ": "...)
	b = append(b, prefix...)
	b = append(b, msg...)
	s.buf = b
	if _, err := s.conn.Write(b); err != nil {
		// The daemon restarted or the socket went away: reconnect once
		// and resend, then give up on this message.
		s.conn.Close()
		s.conn = nil
		s.retryAt = time.Time{}
		if s.connect() {
			if _, err := s.conn.Write(b); err != nil {
				s.conn.Close()
				s.conn = nil
			}
		}
	}
}

func (s *Syslog) connect() bool {
	now := time.Now()
	if now.Before(s.retryAt) {
		return false
	}
	for _, p := range s.paths {
		for _, network := range []string{"unixgram", "unix"} {
			c, err := net.DialTimeout(network, p, time.Second)
			if err == nil {
				s.conn = c
				return true
			}
		}
	}
	s.retryAt = now.Add(retryInterval)
	return false
}

// Close drops the connection; the next Send reconnects.
func (s *Syslog) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn != nil {
		err := s.conn.Close()
		s.conn = nil
		return err
	}
	return nil
}

// sendLines sends text line by line as 4.2's SyslogHandler does: trailing
// newlines are dropped and every remaining line (including empty ones in
// the middle) is one message.
func (s *Syslog) sendLines(prefix string, text []byte) {
	for len(text) > 0 && text[len(text)-1] == '\n' {
		text = text[:len(text)-1]
	}
	for {
		i := indexByte(text, '\n')
		if i < 0 {
			s.Send(prefix, text)
			return
		}
		s.Send(prefix, text[:i])
		text = text[i+1:]
	}
}

func indexByte(b []byte, c byte) int {
	for i, x := range b {
		if x == c {
			return i
		}
	}
	return -1
}
