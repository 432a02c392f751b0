package sdnotify

import (
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestFromEnvUnset(t *testing.T) {
	t.Setenv(EnvSocket, "")
	os.Unsetenv(EnvSocket)
	n, err := FromEnv()
	if n != nil || err != nil {
		t.Fatalf("FromEnv without NOTIFY_SOCKET = %v, %v; want nil, nil", n, err)
	}
}

// The variables are for this process only: FromEnv removes them so the
// programs it starts do not inherit them.
func TestFromEnvConsumesTheVariables(t *testing.T) {
	t.Setenv(EnvSocket, "/run/systemd/notify")
	t.Setenv(EnvWatchdogUS, "30000000")
	t.Setenv(EnvWatchdogPID, strconv.Itoa(os.Getpid()))
	n, err := FromEnv()
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	for _, k := range []string{EnvSocket, EnvWatchdogUS, EnvWatchdogPID} {
		if v, ok := os.LookupEnv(k); ok {
			t.Errorf("%s=%s still set", k, v)
		}
	}
	if got := n.WatchdogInterval(); got != 15*time.Second {
		t.Errorf("WatchdogInterval = %v, want half of 30 s", got)
	}
}

func TestFromEnvRejects(t *testing.T) {
	for _, c := range []struct{ socket, usec string }{
		{"relative/notify", ""},
		{"vsock:2:1234", ""},
		{"/" + strings.Repeat("x", 120), ""},
		{"/run/systemd/notify", "soon"},
		{"/run/systemd/notify", "0"},
	} {
		t.Setenv(EnvSocket, c.socket)
		t.Setenv(EnvWatchdogUS, c.usec)
		if n, err := FromEnv(); err == nil {
			n.Close()
			t.Errorf("FromEnv accepted NOTIFY_SOCKET=%q WATCHDOG_USEC=%q", c.socket, c.usec)
		}
	}
}

// Send reaches a socket in the abstract namespace ("@name"), one
// datagram per call.
func TestSendAbstract(t *testing.T) {
	name := fmt.Sprintf("@super-sdnotify-test-%d", os.Getpid())
	l, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: name, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	n, err := New(name)
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	if err := n.Send("READY=1", "STATUS=2 running"); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 512)
	l.SetReadDeadline(time.Now().Add(10 * time.Second))
	k, err := l.Read(buf)
	if err != nil || string(buf[:k]) != "READY=1\nSTATUS=2 running" {
		t.Fatalf("received %q, %v", buf[:k], err)
	}
	if err := n.Send(); err == nil {
		t.Errorf("an empty notification was sent")
	}
}
