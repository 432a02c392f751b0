package stress

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
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
	full := time.Now()
	if err := testbin.Poll(10*time.Second, func() bool { return counter() > c0+5000 }); err != nil {
		t.Fatalf("chatty stopped making progress on a full disk (counter %d → %d): the daemon blocks on its pipe", c0, counter())
	}
	drained, fullFor := counter()-c0, time.Since(full)
	url := "unix://" + d.sock
	st := states(t, url)
	if st["RUNNING"] != 2 {
		t.Errorf("states with a full log disk: %v", st)
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
	t.Logf("figure: child log on a full 64 KiB tmpfs: the child went on writing (%d lines drained in %v), %d of 2 programs RUNNING and answering RPC; after clearProcessLogs %d whole lines checked in order",
		drained, fullFor.Round(time.Millisecond), st["RUNNING"], max(len(lines)-2, 0))
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// A child log that reaches the daemon's file size limit (RLIMIT_FSIZE, as
// `ulimit -f` sets it; no root needed): each write past the limit fails
// with EFBIG and raises SIGXFSZ, which must not kill the daemon (Go's
// runtime ignores it). The daemon reports the failure once in the activity
// log, keeps draining the child, keeps answering RPC and writing other
// logs, and what did land in the log is whole lines in order up to the
// cut.
func TestLogFileSizeLimit(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	count := filepath.Join(dir, "count")
	chatty := filepath.Join(dir, "chatty.log")
	// Lines of about 100 bytes, so that the pipe's content (the daemon
	// grows a flooded pipe to 1 MiB) is some 10000 lines.
	pad := strings.Repeat("x", 84)
	conf := testbin.BaseConf(dir) + fmt.Sprintf(`[program:chatty]
command=sh -c 'i=0; while :; do i=$((i+1)); echo "chatty line $i %[4]s"; if [ $((i %%%% 500)) = 0 ]; then echo $i >> %[2]s; fi; done'
startsecs=0
stdout_logfile=%[1]s
stdout_logfile_maxbytes=0

[program:quiet]
command=sh -c 'echo quiet says hello; exec sleep 1000'
startsecs=0
stdout_logfile=%[3]s/quiet.log
`, chatty, count, dir, pad)
	// sh counts ulimit -f in blocks of 512 bytes (1024 in bash): the
	// limit in bytes is read back from /proc below.
	d := startWrapped(t, dir, conf, nil, fmt.Sprintf("ulimit -f %d", pick(128, 8192)))
	limit := fileSizeLimit(t, d.pid())
	size := func() int64 {
		fi, err := os.Stat(chatty)
		if err != nil {
			return -1
		}
		return fi.Size()
	}
	if err := testbin.Poll(pick(10*time.Second, 60*time.Second), func() bool { return size() >= limit || d.exited() }); err != nil || d.exited() {
		t.Fatalf("chatty.log never reached the limit: %d of %d bytes (daemon exited: %v)\n%s\n%s", size(), limit, d.exited(), d.log(), d.out)
	}
	// One report per failure episode, not one per write.
	report := fmt.Sprintf("'chatty' stdout log: write %s: file too large", chatty)
	if err := testbin.Poll(10*time.Second, func() bool { return strings.Contains(d.log(), report) }); err != nil {
		t.Fatalf("no %q in the activity log:\n%s", report, d.log())
	}
	// The child appends its line count to a side file every 500 lines
	// (well below the limit); the last whole line is the latest.
	counter := func() int {
		b, _ := os.ReadFile(count)
		f := strings.Split(string(b), "\n")
		if len(f) < 2 {
			return 0
		}
		n, _ := strconv.Atoi(f[len(f)-2])
		return n
	}
	// The child goes on writing: the daemon drains its pipe although the
	// bytes cannot be stored. 30000 lines are more than twice what its
	// pipe can hold.
	c0 := counter()
	if err := testbin.Poll(pick(10*time.Second, 60*time.Second), func() bool { return counter() > c0+pick(30000, 300000) || d.exited() }); err != nil {
		t.Fatalf("chatty stopped making progress at the size limit (counter %d → %d): the daemon blocks on its pipe", c0, counter())
	}
	if d.exited() {
		t.Fatalf("the daemon died at the file size limit (SIGXFSZ not ignored?):\n%s\n%s", d.log(), d.out)
	}
	url := "unix://" + d.sock
	if s := states(t, url); s["RUNNING"] != 2 {
		t.Errorf("states at the file size limit: %v", s)
	}
	// Other logs are still written: quiet starts again and says hello
	// again, and the activity log records it.
	call(t, url, "supervisor.stopProcess", "quiet")
	call(t, url, "supervisor.startProcess", "quiet")
	quiet := filepath.Join(dir, "quiet.log")
	if err := testbin.Poll(10*time.Second, func() bool {
		b, _ := os.ReadFile(quiet)
		return string(b) == "quiet says hello\nquiet says hello\n"
	}); err != nil {
		b, _ := os.ReadFile(quiet)
		t.Errorf("quiet.log = %q after a restart of quiet", b)
	}
	act := d.log()
	if n := countLines(act, "spawned: 'quiet'"); n != 2 {
		t.Errorf("%d spawns of quiet in the activity log, want 2:\n%s", n, act)
	}
	if n := strings.Count(act, report); n != 1 {
		t.Errorf("the write failure is reported %d times, want once:\n%s", n, tail(act, 10))
	}
	// What landed is lines 1, 2, 3 … whole and in order; only the last may
	// be cut short by the limit.
	b, err := os.ReadFile(chatty)
	if err != nil {
		t.Fatal(err)
	}
	if int64(len(b)) != limit {
		t.Errorf("chatty.log holds %d bytes, want the limit %d", len(b), limit)
	}
	lines := strings.Split(string(b), "\n")
	last := lines[len(lines)-1]
	lines = lines[:len(lines)-1]
	for i, l := range lines {
		if want := fmt.Sprintf("chatty line %d %s", i+1, pad); l != want {
			t.Fatalf("line %d of chatty.log is %q, want %q", i+1, l, want)
		}
	}
	if want := fmt.Sprintf("chatty line %d %s\n", len(lines)+1, pad); !strings.HasPrefix(want, last) {
		t.Errorf("chatty.log ends in %q, not a beginning of %q", last, want)
	}
	written := counter()
	// The daemon still shuts down cleanly.
	d.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-d.waited:
	case <-time.After(30 * time.Second):
		t.Fatalf("the daemon did not exit on SIGTERM:\n%s", d.log())
	}
	code := d.cmd.ProcessState.ExitCode()
	if code != 0 {
		t.Errorf("exit status %d after SIGTERM, want 0\n%s", code, d.log())
	}
	t.Logf("figure: child log at the file size limit (%d bytes): %d whole lines checked in order, the child went on to line %d and more, write failure reported %d time(s), daemon survived SIGXFSZ and exited %d on SIGTERM",
		limit, len(lines), written, strings.Count(act, report), code)
}

// fileSizeLimit reads pid's soft RLIMIT_FSIZE in bytes from /proc.
func fileSizeLimit(t *testing.T, pid int) int64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/limits", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "Max file size"); ok {
			f := strings.Fields(rest)
			if n, err := strconv.ParseInt(f[0], 10, 64); err == nil && len(f) == 3 && f[2] == "bytes" {
				return n
			}
			t.Fatalf("no file size limit in effect: %q", line)
		}
	}
	t.Fatalf("no Max file size in /proc/%d/limits", pid)
	return 0
}
