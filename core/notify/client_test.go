package notify_test

import (
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"super/core/notify"
	"super/core/testbin"
)

// (An external test: core/testbin's fake service manager is built on this
// package.)

// systemd-notify, the client Debian's systemd package ships: --ready
// waits until the BARRIER=1 descriptor is closed, and fails otherwise.
func TestSystemdNotifyClient(t *testing.T) {
	bin := testbin.NeedTool(t, "systemd-notify", "systemd")
	s, ch := listen(t)
	c := exec.Command("/bin/sh", "-c", bin+` --ready --status="all set"; echo rc=$?`)
	c.Env = append(os.Environ(), "NOTIFY_SOCKET="+s.Addr())
	out, err := c.CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "rc=0" {
		t.Fatalf("systemd-notify: %v\n%s", err, out)
	}
	var ready notify.Message
	for m := next(t, ch); ; m = next(t, ch) {
		if m.Ready {
			ready = m
			break
		}
	}
	if ready.Status != "all set" {
		t.Errorf("status %q", ready.Status)
	}
	// As root systemd-notify sends as its parent (the shell); otherwise as
	// itself, a child of the shell: either way the shell is in the ancestry.
	if !slices.Contains(ready.Ancestry, c.Process.Pid) {
		t.Errorf("ancestry %v does not hold the shell's pid %d", ready.Ancestry, c.Process.Pid)
	}
}

func listen(t *testing.T) (*notify.Socket, chan notify.Message) {
	t.Helper()
	s, err := notify.Listen()
	if err != nil {
		t.Fatal(err)
	}
	ch := make(chan notify.Message, 16)
	done := make(chan struct{})
	go func() { s.Serve(func(m notify.Message) { ch <- m }); close(done) }()
	t.Cleanup(func() { s.Close(); <-done })
	return s, ch
}

func next(t *testing.T, ch chan notify.Message) notify.Message {
	t.Helper()
	select {
	case m := <-ch:
		return m
	case <-time.After(10 * time.Second):
		t.Fatal("no message")
		return notify.Message{}
	}
}
