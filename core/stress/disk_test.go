package stress

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"super/core/testbin"
)

// A child log on a full file system: the daemon keeps draining the child
// (it never blocks on its pipe), keeps answering RPC and logging other
// programs, and writes again once there is room.
func TestFullLogDisk(t *testing.T) {
	needRoot(t, "a small tmpfs is mounted in a private mount namespace (unshare --mount)")
	if _, err := exec.LookPath("unshare"); err != nil {
		t.Skip("unshare (util-linux) is not installed")
	}
	t.Parallel()
	dir := t.TempDir()
	logs := filepath.Join(dir, "logs")
	if err := os.Mkdir(logs, 0o755); err != nil {
		t.Fatal(err)
	}
	count := filepath.Join(dir, "count")
	conf := testbin.BaseConf(dir) + fmt.Sprintf(`[program:chatty]
command=sh -c 'i=0; while :; do i=$((i+1)); echo "chatty line $i"; if [ $((i %%%% 500)) = 0 ]; then echo $i > %[2]s; fi; done'
startsecs=0
stdout_logfile=%[1]s/chatty.log
stdout_logfile_maxbytes=0

[program:quiet]
command=sh -c 'echo quiet says hello; exec sleep 1000'
startsecs=0
stdout_logfile=%[3]s/quiet.log
`, logs, count, dir)
	d := startWrapped(t, dir, conf, []string{"unshare", "--mount", "--propagation", "private"},
		"mount -t tmpfs -o size=64k tmpfs "+logs)
	// The tmpfs is only visible in the daemon's mount namespace.
	inNS := filepath.Join("/proc", strconv.Itoa(d.pid()), "root", logs, "chatty.log")
	size := func() int64 {
		fi, err := os.Stat(inNS)
		if err != nil {
			return -1
		}
		return fi.Size()
	}
	if err := testbin.Poll(10*time.Second, func() bool { return size() >= 60<<10 }); err != nil {
		t.Fatalf("chatty.log never filled the 64k tmpfs: %d bytes\n%s", size(), d.log())
	}
	counter := func() int {
		b, _ := os.ReadFile(count)
		n, _ := strconv.Atoi(strings.TrimSpace(string(b)))
		return n
	}
	// The child goes on writing: the daemon drains its pipe although the
	// bytes cannot be stored.
	c0 := counter()
	if err := testbin.Poll(10*time.Second, func() bool { return counter() > c0+5000 }); err != nil {
		t.Fatalf("chatty stopped making progress on a full disk (counter %d → %d): the daemon blocks on its pipe", c0, counter())
	}
	url := "unix://" + d.sock
	if s := states(t, url); s["RUNNING"] != 2 {
		t.Errorf("states with a full log disk: %v", s)
	}
	q, _ := os.ReadFile(filepath.Join(dir, "quiet.log"))
	if string(q) != "quiet says hello\n" {
		t.Errorf("quiet.log = %q", q)
	}
	// Room again: clearing the log truncates it and writing resumes.
	call(t, url, "supervisor.clearProcessLogs", "chatty")
	if err := testbin.Poll(10*time.Second, func() bool {
		b, _ := os.ReadFile(inNS)
		return bytes.Count(b, []byte("\n")) > 100
	}); err != nil {
		t.Fatalf("chatty.log not written after clearProcessLogs: %d bytes\n%s", size(), d.log())
	}
	// What was written after the gap is whole lines in order.
	b, _ := os.ReadFile(inNS)
	lines := strings.Split(string(b), "\n")
	prev := -1
	for _, l := range lines[1 : len(lines)-1] { // the first may be cut at the truncation
		n, err := strconv.Atoi(strings.TrimPrefix(l, "chatty line "))
		if err != nil {
			t.Fatalf("bad line %q in chatty.log after recovery", l)
		}
		if prev >= 0 && n != prev+1 && size() < 60<<10 {
			t.Fatalf("chatty.log skips from %d to %d with room on the disk", prev, n)
		}
		prev = n
	}
	t.Logf("activity log:\n%s", tail(d.log(), 5))
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
