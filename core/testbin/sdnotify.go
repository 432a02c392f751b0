package testbin

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// NotifySocket is a fake service manager's notification socket (what
// systemd passes as NOTIFY_SOCKET to a Type=notify service): a unix
// datagram socket that keeps each message with the pid the kernel
// vouches for as its sender (SO_PASSCRED), as systemd checks it.
type NotifySocket struct {
	Path string // the value for NOTIFY_SOCKET
	conn *net.UnixConn
	msgs chan NotifyMsg
}

// NotifyMsg is one datagram received.
type NotifyMsg struct {
	Text string // "READY=1\nSTATUS=..."
	Pid  int    // the sender's pid; 0 if the kernel passed none
}

// Fields is the message's assignments by name ("READY" → "1").
func (m NotifyMsg) Fields() map[string]string {
	f := map[string]string{}
	for _, line := range strings.Split(m.Text, "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			f[k] = v
		}
	}
	return f
}

// ListenNotify opens a NotifySocket in dir (a short path: a unix socket
// address holds at most 107 bytes), closed when the test ends.
func ListenNotify(t testing.TB, dir string) *NotifySocket {
	t.Helper()
	path := filepath.Join(dir, "notify")
	os.Remove(path)
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	raw, err := conn.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var serr error
	raw.Control(func(fd uintptr) { serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_PASSCRED, 1) })
	if serr != nil {
		t.Fatal(serr)
	}
	n := &NotifySocket{Path: path, conn: conn, msgs: make(chan NotifyMsg, 1024)}
	go n.read()
	t.Cleanup(func() { conn.Close() })
	return n
}

func (n *NotifySocket) read() {
	defer close(n.msgs)
	buf := make([]byte, 64<<10)
	oob := make([]byte, unix.CmsgSpace(unix.SizeofUcred))
	for {
		k, oobn, _, _, err := n.conn.ReadMsgUnix(buf, oob)
		if err != nil {
			return
		}
		m := NotifyMsg{Text: string(buf[:k])}
		if cmsgs, err := unix.ParseSocketControlMessage(oob[:oobn]); err == nil {
			for _, c := range cmsgs {
				if cred, err := unix.ParseUnixCredentials(&c); err == nil {
					m.Pid = int(cred.Pid)
				}
			}
		}
		n.msgs <- m
	}
}

// Next returns the next message, or ok=false when none came within
// timeout.
func (n *NotifySocket) Next(timeout time.Duration) (m NotifyMsg, ok bool) {
	select {
	case m, ok = <-n.msgs:
		return m, ok
	case <-time.After(timeout):
		return NotifyMsg{}, false
	}
}

// WaitFor returns the first message (skipping others, which it returns
// too, in order) for which match is true; it fails the test when none
// came within timeout.
func (n *NotifySocket) WaitFor(t testing.TB, what string, timeout time.Duration, match func(NotifyMsg) bool) (m NotifyMsg, skipped []NotifyMsg) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		left := time.Until(deadline)
		var ok bool
		if left > 0 {
			m, ok = n.Next(left)
		}
		if !ok {
			t.Fatalf("no notification %s within %v; got %s", what, timeout, summary(skipped))
		}
		if match(m) {
			return m, skipped
		}
		skipped = append(skipped, m)
	}
}

// summary lists messages for a failure, each once with its count.
func summary(msgs []NotifyMsg) string {
	var out []string
	counts := map[string]int{}
	for _, m := range msgs {
		if counts[m.Text]++; counts[m.Text] == 1 {
			out = append(out, m.Text)
		}
	}
	for i, text := range out {
		out[i] = fmt.Sprintf("%q x%d", text, counts[text])
	}
	return "[" + strings.Join(out, ", ") + "]"
}
