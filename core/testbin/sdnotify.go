package testbin

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"super/core/notify"
)

// NotifySocket is a fake service manager's notification socket (what
// systemd passes as NOTIFY_SOCKET to a Type=notify service): core/notify's
// socket, which keeps each message with the pid the kernel vouches for as
// its sender (SO_PASSCRED), as systemd checks it, and drops malformed
// datagrams (counted; a failing WaitFor says how many).
type NotifySocket struct {
	Path string // the value for NOTIFY_SOCKET
	sock *notify.Socket
	msgs chan NotifyMsg
}

// NotifyMsg is one datagram received.
type NotifyMsg struct {
	Text string // "READY=1\nSTATUS=..."
	Pid  int    // the sender's pid
}

// Fields is the message's assignments by name ("READY" → "1"), those
// core/notify does not act on (MONOTONIC_USEC, …) too.
func (m NotifyMsg) Fields() map[string]string {
	f := map[string]string{}
	notify.Each(m.Text, func(k, v string) { f[k] = v })
	return f
}

// ListenNotify opens a NotifySocket in dir (a short path: a unix socket
// address holds at most 107 bytes), closed when the test ends.
func ListenNotify(t testing.TB, dir string) *NotifySocket {
	t.Helper()
	path := filepath.Join(dir, "notify")
	os.Remove(path)
	sock, err := notify.ListenAt(path)
	if err != nil {
		t.Fatal(err)
	}
	n := &NotifySocket{Path: path, sock: sock, msgs: make(chan NotifyMsg, 1024)}
	go func() {
		defer close(n.msgs)
		sock.Serve(func(m notify.Message) { n.msgs <- NotifyMsg{Text: m.Text, Pid: m.Pid} })
	}()
	t.Cleanup(func() { sock.Close() })
	return n
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
			t.Fatalf("no notification %s within %v; got %s (malformed, dropped: %d)", what, timeout, summary(skipped), n.sock.Stats().Malformed)
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
