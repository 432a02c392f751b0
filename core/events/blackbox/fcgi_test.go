package blackbox

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"super/core/testbin"
)

// fcgiWorker accepts one connection on fd 0 (the socket supervisord
// passes), answers with its process name and stays up.
const fcgiWorker = `import os, socket, time
s = socket.socket(fileno=0)
c, _ = s.accept()
c.sendall(os.environ["SUPERVISOR_PROCESS_NAME"].encode() + b"\n")
c.close()
time.sleep(100)
`

func ask(network, addr string) (string, error) {
	c, err := net.DialTimeout(network, addr, 2*time.Second)
	if err != nil {
		return "", err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	line, err := bufio.NewReader(c).ReadString('\n')
	return strings.TrimSpace(line), err
}

// fcgiResult is what a user sees of an fcgi pool's socket over its life.
type fcgiResult struct {
	answers     []string // one per connection, sorted
	mode        fs.FileMode
	uid, gid    int
	afterStop   bool // the socket still accepts after stopProcessGroup
	afterRemove bool // ... after removeProcessGroup
	fileLeft    bool // the unix socket file is still there after removeProcessGroup
	log         []string
}

// runFCGI runs a [fcgi-program:fc] pool of 3 on the socket at url
// (network/addr to dial it), asks each process once, then stops and
// removes the group over XML-RPC.
func runFCGI(t *testing.T, oracle bool, url, network, addr, extra string) fcgiResult {
	dir := t.TempDir()
	worker := filepath.Join(dir, "worker.py")
	if err := os.WriteFile(worker, []byte(fcgiWorker), 0o644); err != nil {
		t.Fatal(err)
	}
	d := start(t, oracle, fmt.Sprintf(`[fcgi-program:fc]
command=%s %s
socket=%s
%s
process_name=%%(program_name)s_%%(process_num)d
numprocs=3
startsecs=0
`, testbin.Python, worker, url, extra))
	for i := range 3 {
		d.WaitState(t, fmt.Sprintf("fc:fc_%d", i), "RUNNING", wait)
	}
	var r fcgiResult
	if network == "unix" {
		var st syscall.Stat_t
		if err := syscall.Stat(addr, &st); err != nil {
			t.Fatal(err)
		}
		r.mode, r.uid, r.gid = fs.FileMode(st.Mode&0o7777), int(st.Uid), int(st.Gid)
		if st.Mode&syscall.S_IFMT != syscall.S_IFSOCK {
			t.Errorf("%s: %s is not a socket", d.Name, addr)
		}
	}
	for range 3 {
		a, err := ask(network, addr)
		if err != nil {
			t.Fatalf("%s: %v", d.Name, err)
		}
		r.answers = append(r.answers, a)
	}
	sort.Strings(r.answers)
	d.Call(t, "supervisor.stopProcessGroup", "fc")
	_, err := ask(network, addr)
	r.afterStop = err == nil
	d.Call(t, "supervisor.removeProcessGroup", "fc")
	_, err = ask(network, addr)
	r.afterRemove = err == nil
	if network == "unix" {
		_, err := os.Lstat(addr)
		r.fileLeft = !errors.Is(err, fs.ErrNotExist)
	}
	for _, l := range logLines(d, " socket ") {
		r.log = append(r.log, strings.ReplaceAll(l, url, "URL"))
	}
	return r
}

func freePort(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func checkFCGI(t *testing.T, want, got fcgiResult, hasOracle bool) {
	t.Helper()
	if strings.Join(got.answers, " ") != "fc_0 fc_1 fc_2" {
		t.Errorf("answers %v: each of the 3 processes should accept once on fd 0", got.answers)
	}
	if got.afterStop || got.afterRemove {
		t.Errorf("the socket still accepts connections (after stopProcessGroup: %v, after removeProcessGroup: %v)",
			got.afterStop, got.afterRemove)
	}
	if hasOracle && fmt.Sprint(want) != fmt.Sprint(got) {
		t.Errorf("differs from 4.2:\n4.2:   %+v\nsuper: %+v", want, got)
	}
}

// The pool's processes share one TCP socket, each accepting on fd 0; it is
// closed once the group is stopped.
func TestFCGISocketTCP(t *testing.T) {
	testbin.ListenerScript(t)
	want, got, hasOracle := both(t, func(t *testing.T, oracle bool) fcgiResult {
		addr := freePort(t)
		return runFCGI(t, oracle, "tcp://"+addr, "tcp", addr, "")
	})
	checkFCGI(t, want, got, hasOracle)
}

// A unix socket gets socket_mode and socket_owner, and its file goes away
// with the group.
func TestFCGISocketUnix(t *testing.T) {
	testbin.ListenerScript(t)
	extra := "socket_mode=0660"
	wantUID, wantGID := os.Getuid(), os.Getgid()
	if os.Getuid() == 0 {
		if u, err := user.Lookup("nobody"); err == nil {
			extra += "\nsocket_owner=nobody"
			// No group given: the group is left alone, as 4.2 does.
			wantUID, _ = strconv.Atoi(u.Uid)
		}
	}
	want, got, hasOracle := both(t, func(t *testing.T, oracle bool) fcgiResult {
		path := filepath.Join(t.TempDir(), "fc.sock")
		return runFCGI(t, oracle, "unix://"+path, "unix", path, extra)
	})
	if got.mode != 0o660 || got.uid != wantUID || got.gid != wantGID {
		t.Errorf("socket file mode %v owner %d:%d, want 0660 %d:%d", got.mode, got.uid, got.gid, wantUID, wantGID)
	}
	// 4.2 leaves the socket file behind; super removes it with the group.
	if got.fileLeft {
		t.Error("the socket file is still there after removeProcessGroup")
	}
	want.fileLeft = false
	checkFCGI(t, want, got, hasOracle)
}
