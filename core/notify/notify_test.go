package notify

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"reflect"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func TestParse(t *testing.T) {
	m, err := Parse([]byte("READY=1\nSTATUS=Serving 3 clients = ok\nMAINPID=42\nERRNO=2\nWATCHDOG=1\nWATCHDOG_USEC=5000000\nBARRIER=1\nX_UNKNOWN=whatever\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := Message{Ready: true, HasStatus: true, Status: "Serving 3 clients = ok", MainPID: 42, Errno: 2,
		Watchdog: true, WatchdogUsec: 5000000, Barrier: true}
	if !equal(m, want) {
		t.Errorf("got %+v\nwant %+v", m, want)
	}
	for in, want := range map[string]Message{
		"STOPPING=1":                   {Stopping: true},
		"RELOADING=1":                  {Reloading: true},
		"WATCHDOG=trigger":             {Trigger: true},
		"STATUS=":                      {HasStatus: true},
		"READY=0\nSTATUS=a\nSTATUS=b":  {HasStatus: true, Status: "b"},
		"MAINPID=x\nERRNO=-1\nREADY=1": {Ready: true}, // unreadable values are ignored, the rest applies
		"\n\nREADY=1\n\n":              {Ready: true},
	} {
		got, err := Parse([]byte(in))
		if err != nil || !equal(got, want) || got.Text != in {
			t.Errorf("Parse(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "hello", "READY=1\nno equals", "ready=1", "=1", "READY=1\x00", "STATUS=\xff\xfe", "A B=1"} {
		if _, err := Parse([]byte(in)); err == nil {
			t.Errorf("Parse(%q) accepted a malformed datagram", in)
		}
	}
}

// equal compares what Parse read (not Text, not the sender).
func equal(a, b Message) bool {
	a.Ancestry, b.Ancestry = nil, nil
	a.Text, b.Text = "", ""
	return reflect.DeepEqual(a, b)
}

// Each hands over every assignment in order, the unknown ones too (what a
// test playing the service manager reads, e.g. MONOTONIC_USEC=), and none
// of a malformed datagram.
func TestEach(t *testing.T) {
	var got []string
	err := Each("READY=1\nMONOTONIC_USEC=12\n\nSTATUS=a=b\n", func(k, v string) { got = append(got, k+"|"+v) })
	if want := []string{"READY|1", "MONOTONIC_USEC|12", "STATUS|a=b"}; err != nil || !slices.Equal(got, want) {
		t.Errorf("Each = %q, %v; want %q", got, err, want)
	}
	got = nil
	if err := Each("READY=1\nnot an assignment", func(k, v string) { got = append(got, k) }); err == nil || got != nil {
		t.Errorf("malformed: err %v, fn called with %q", err, got)
	}
}

// FuzzParse: no datagram crashes the parser; what it accepts is UTF-8
// without NUL, and a STATUS it keeps is a line of the datagram.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"READY=1", "READY=1\nSTATUS=x\n", "MAINPID=12\nERRNO=5", "WATCHDOG=trigger", "WATCHDOG_USEC=99999999999999999999", "=", "\n\n", "A=\xff"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Parse(b)
		if err != nil {
			return
		}
		if bytes.IndexByte(b, 0) >= 0 || len(b) == 0 {
			t.Fatalf("accepted %q", b)
		}
		if m.HasStatus && !strings.Contains("\n"+string(b)+"\n", "\nSTATUS="+m.Status+"\n") {
			t.Fatalf("STATUS %q is not a line of %q", m.Status, b)
		}
		if m.MainPID < 0 || m.Errno < 0 {
			t.Fatalf("negative MAINPID or ERRNO from %q", b)
		}
	})
}

// listen returns a socket whose messages arrive on the channel.
func listen(t *testing.T) (*Socket, chan Message) {
	t.Helper()
	s, err := Listen()
	if err != nil {
		t.Fatal(err)
	}
	ch := make(chan Message, 16)
	done := make(chan struct{})
	go func() { s.Serve(func(m Message) { ch <- m }); close(done) }()
	t.Cleanup(func() {
		s.Close()
		<-done
		if s.dir != "" {
			if _, err := os.Stat(s.dir); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("socket directory %s left after Close: %v", s.dir, err)
			}
		}
	})
	return s, ch
}

func send(t *testing.T, s *Socket, data []byte, oob []byte) {
	t.Helper()
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	addr := s.Addr()
	if strings.HasPrefix(addr, "@") {
		addr = "\x00" + addr[1:]
	}
	if err := unix.Sendmsg(fd, data, oob, &unix.SockaddrUnix{Name: addr}, 0); err != nil {
		t.Fatal(err)
	}
}

func next(t *testing.T, ch chan Message) Message {
	t.Helper()
	select {
	case m := <-ch:
		return m
	case <-time.After(10 * time.Second):
		t.Fatal("no message")
		return Message{}
	}
}

// Datagrams arrive with the sender's credentials and ancestry; oversized
// and malformed ones are counted and dropped without stopping the socket.
func TestSocket(t *testing.T) {
	s, ch := listen(t)
	if st, err := os.Stat(s.Addr()); err != nil || st.Mode().Perm() != 0o666 || st.Mode()&os.ModeSocket == 0 {
		t.Errorf("socket %s: %v %v, want a socket with mode 0666", s.Addr(), st.Mode(), err)
	}
	send(t, s, []byte("READY=1\nSTATUS=up"), nil)
	m := next(t, ch)
	if !m.Ready || m.Status != "up" || m.Pid != os.Getpid() || m.UID != os.Getuid() {
		t.Errorf("got %+v, want READY and STATUS from pid %d", m, os.Getpid())
	}
	if len(m.Ancestry) < 2 || m.Ancestry[0] != os.Getpid() || m.Ancestry[1] != os.Getppid() {
		t.Errorf("ancestry %v, want [%d %d …]", m.Ancestry, os.Getpid(), os.Getppid())
	}
	send(t, s, bytes.Repeat([]byte("A"), MaxDatagram+1), nil)
	send(t, s, []byte("garbage"), nil)
	send(t, s, []byte("STOPPING=1"), nil)
	if m := next(t, ch); !m.Stopping {
		t.Errorf("after the dropped ones: %+v, want STOPPING", m)
	}
	if st := s.Stats(); st != (Stats{Received: 4, Oversized: 1, Malformed: 1}) {
		t.Errorf("stats %+v", st)
	}
}

// A descriptor passed along (systemd-notify's BARRIER=1) is closed by the
// receiver: the sender's pipe then reads end of file.
func TestPassedDescriptorsAreClosed(t *testing.T) {
	s, ch := listen(t)
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	defer unix.Close(p[0])
	send(t, s, []byte("BARRIER=1"), unix.UnixRights(p[1]))
	unix.Close(p[1])
	if m := next(t, ch); !m.Barrier {
		t.Errorf("got %+v", m)
	}
	unix.SetNonblock(p[0], false)
	done := make(chan error, 1)
	go func() {
		var b [1]byte
		n, err := unix.Read(p[0], b[:])
		if n != 0 || err != nil {
			err = errors.Join(err, errors.New("read data instead of end of file"))
		}
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Error(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the passed descriptor was not closed: the barrier pipe never reached end of file")
	}
}

func TestAncestry(t *testing.T) {
	c := exec.Command("/bin/sh", "-c", "sleep 30 & echo $!; wait")
	out, err := c.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { c.Process.Signal(syscall.SIGKILL); c.Wait() }()
	b := make([]byte, 32)
	n, _ := out.Read(b)
	var pid int
	for _, ch := range strings.TrimSpace(string(b[:n])) {
		pid = pid*10 + int(ch-'0')
	}
	defer syscall.Kill(pid, syscall.SIGKILL)
	chain := Ancestry(pid)
	if len(chain) < 3 || chain[0] != pid || chain[1] != c.Process.Pid || chain[2] != os.Getpid() {
		t.Errorf("Ancestry(%d) = %v, want [%d %d %d …]", pid, chain, pid, c.Process.Pid, os.Getpid())
	}
	if got := Ancestry(1 << 30); !slices.Equal(got, []int{1 << 30}) {
		t.Errorf("Ancestry of no process = %v", got)
	}
}
