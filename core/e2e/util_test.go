package e2e

import (
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"super/core/testbin"
)

// lines returns the non-empty lines of a file ("" when it does not exist).
func lines(path string) []string {
	b, _ := os.ReadFile(path)
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		if l != "" {
			out = append(out, l)
		}
	}
	return out
}

// waitFor polls cond for up to timeout and fails the test with what.
func waitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	if err := testbin.Poll(timeout, cond); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// logTimes parses the activity log into entries with their time.
type logEntry struct {
	At    time.Time
	Level string
	Msg   string
}

var logLineRE = regexp.MustCompile(`^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) (\w+) (.*)$`)

func parseLog(s string) []logEntry {
	var out []logEntry
	for _, l := range strings.Split(s, "\n") {
		m := logLineRE.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		at, err := time.ParseInLocation("2006-01-02 15:04:05,000", m[1], time.Local)
		if err != nil {
			continue
		}
		out = append(out, logEntry{at, m[2], m[3]})
	}
	return out
}

// find returns the entries whose message matches re.
func find(entries []logEntry, re string) []logEntry {
	rx := regexp.MustCompile(re)
	var out []logEntry
	for _, e := range entries {
		if rx.MatchString(e.Msg) {
			out = append(out, e)
		}
	}
	return out
}

// waitLog polls the daemon's activity log until re matches n lines.
func waitLog(t testing.TB, d *testbin.Daemon, re string, n int, timeout time.Duration) []logEntry {
	t.Helper()
	var got []logEntry
	if err := testbin.Poll(timeout, func() bool {
		got = find(parseLog(d.Log()), re)
		return len(got) >= n
	}); err != nil {
		t.Fatalf("%s: want %d log lines matching %q, have %d:\n%s", d.Name, n, re, len(got), d.Log())
	}
	return got
}

// pidOf is the pid the daemon reports for a process.
func pidOf(t testing.TB, d *testbin.Daemon, name string) int {
	t.Helper()
	info, _ := d.Call(t, "supervisor.getProcessInfo", name).(map[string]any)
	pid, _ := info["pid"].(int)
	return pid
}

// infoOf is getProcessInfo as a map.
func infoOf(t testing.TB, d *testbin.Daemon, name string) map[string]any {
	t.Helper()
	info, _ := d.Call(t, "supervisor.getProcessInfo", name).(map[string]any)
	return info
}

// gone waits until pid is neither running nor a zombie of a live parent
// (an exited orphan may linger as this process's zombie until TestMain).
func gone(t testing.TB, pid int, what string) {
	t.Helper()
	waitFor(t, 5*time.Second, fmt.Sprintf("%s (pid %d) still alive", what, pid), func() bool {
		return !testbin.Alive(pid)
	})
}

// stopDaemon sends SIGTERM and expects exit status 0 within timeout.
func stopDaemon(t testing.TB, d *testbin.Daemon, timeout time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	if err := d.Signal(15); err != nil {
		t.Fatal(err)
	}
	code, err := d.Wait(timeout)
	if err != nil {
		t.Fatal(err)
	}
	if code != 0 {
		t.Fatalf("%s supervisord exited %d, want 0\n%s", d.Name, code, d.Out)
	}
	return time.Since(start)
}
