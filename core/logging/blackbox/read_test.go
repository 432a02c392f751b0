package blackbox

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"super/core/testbin"
	"super/core/xmlrpc"
)

// readContent is what the child logs and what the activity log is replaced
// with: lines of varying length, about 1.2 KB, with a two-byte character in
// each. (No read below splits that character: 4.2 then fails the whole
// HTTP request with a 500, which nothing relies on.)
func readContent() string {
	var b strings.Builder
	for i := 1; b.Len() < 1200; i++ {
		fmt.Fprintf(&b, "línea %d %s\n", i, strings.Repeat("abcdefghij", i%7))
	}
	return b.String()
}

// startReader starts one daemon (ours or 4.2) whose program "r" writes
// content to its stdout and stderr logs and exits, and whose activity log
// is then replaced by content.
func startReader(t *testing.T, oracle bool, content string) *testbin.Daemon {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "content.txt"), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	conf := testbin.BaseConf(dir) +
		program("r", "sh -c 'cat "+dir+"/content.txt; cat "+dir+"/content.txt >&2'",
			"stdout_logfile="+dir+"/r.log", "stderr_logfile="+dir+"/r.err") +
		program("none", "true", "autostart=false", "stdout_logfile=NONE", "stderr_logfile=NONE")
	d := testbin.StartConf(t, oracle, dir, conf)
	waitExited(t, d, "r")
	for _, f := range []string{"r.log", "r.err"} {
		p := filepath.Join(dir, f)
		waitFor(t, 10*time.Second, func() bool { b, _ := os.ReadFile(p); return string(b) == content },
			func() string { b, _ := os.ReadFile(p); return fmt.Sprintf("%s: %s has %d bytes", d.Name, f, len(b)) })
	}
	// The daemon is idle now: give its activity log the same bytes as the
	// other daemon's.
	if err := os.WriteFile(filepath.Join(dir, "supervisord.log"), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return d
}

// call returns the value or "fault N" for one XML-RPC call.
func call(t *testing.T, d *testbin.Daemon, method string, params ...any) any {
	t.Helper()
	v, err := d.Client(t).Call(t.Context(), method, params...)
	var f *xmlrpc.Fault
	if errors.As(err, &f) {
		return fmt.Sprintf("fault %d", f.Code)
	}
	if err != nil {
		t.Fatalf("%s: %s%v: %v", d.Name, method, params, err)
	}
	return v
}

// readLog, readProcessStdoutLog/StderrLog and tailProcessStdoutLog/
// StderrLog give what 4.2 gives for the same file content, offsets and
// lengths, including the negative-offset and overflow rules and faults.
func TestReadOffsetsMatchOracle(t *testing.T) {
	testbin.NeedOracle(t)
	content := readContent()
	size := len(content)
	ours, theirs := startReader(t, false, content), startReader(t, true, content)

	// Both hold content: the comparisons below compare real reads.
	if got := call(t, ours, "supervisor.readLog", 10, 20); got != content[10:30] {
		t.Fatalf("readLog(10, 20) = %q, want %q", got, content[10:30])
	}
	if got := call(t, ours, "supervisor.tailProcessStderrLog", "r", 0, 100); fmt.Sprint(got) != fmt.Sprint([]any{content[size-100:], size, true}) {
		t.Fatalf("tailProcessStderrLog(r, 0, 100) = %q", got)
	}

	reads := [][2]int{
		{0, 0}, {0, 1}, {0, 10}, {10, 10}, {size - 5, 100}, {size - 1, 0}, {size, 0}, {size, 10},
		{size + 100, 10}, {-1, 0}, {-10, 0}, {-size, 0}, {-size - 100, 0}, {-10, 5}, {0, -1}, {5, -3},
		{100, 0}, {1 << 30, 1},
	}
	for _, method := range []string{"supervisor.readLog", "supervisor.readProcessStdoutLog", "supervisor.readProcessStderrLog"} {
		for _, r := range reads {
			params := []any{r[0], r[1]}
			if method != "supervisor.readLog" {
				params = append([]any{"r"}, params...)
			}
			got, want := call(t, ours, method, params...), call(t, theirs, method, params...)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s%v = %.60q, 4.2 gives %.60q", method, params, got, want)
			}
		}
	}
	tails := [][2]int{
		{0, 0}, {0, 100}, {0, size}, {0, size + 10}, {size - 100, 100}, {size - 100, 50}, {size, 100},
		{size + 50, 100}, {size - 1, 1}, {100, 100}, {-1, 10}, {-100, 100}, {0, -1}, {10, -5},
	}
	for _, method := range []string{"supervisor.tailProcessStdoutLog", "supervisor.tailProcessStderrLog"} {
		for _, r := range tails {
			params := []any{"r", r[0], r[1]}
			got, want := call(t, ours, method, params...), call(t, theirs, method, params...)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s%v = %.60q, 4.2 gives %.60q", method, params, got, want)
			}
		}
	}
	// No log file; no such process.
	for _, c := range [][]any{
		{"supervisor.readProcessStdoutLog", "none", 0, 10},
		{"supervisor.readProcessStderrLog", "none", -10, 0},
		{"supervisor.tailProcessStdoutLog", "none", 0, 10},
		{"supervisor.readProcessStdoutLog", "nosuch", 0, 10},
		{"supervisor.tailProcessStderrLog", "nosuch", 0, 10},
	} {
		got, want := call(t, ours, c[0].(string), c[1:]...), call(t, theirs, c[0].(string), c[1:]...)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s%v = %.60q, 4.2 gives %.60q", c[0], c[1:], got, want)
		}
	}
}
