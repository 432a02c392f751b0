// Package blackbox tests super's logging through the real supervisord
// binary: what lands in the files on disk, what the XML-RPC log readers
// return, and how the daemon behaves while children flood their pipes.
package blackbox

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"super/core/testbin"
)

// program is a [program:name] section that runs once and is not restarted,
// with extra settings appended.
func program(name, command string, extra ...string) string {
	return fmt.Sprintf("[program:%s]\ncommand=%s\nstartsecs=0\nautorestart=false\n%s\n\n",
		name, command, strings.Join(extra, "\n"))
}

// withSupervisord adds settings to the [supervisord] section of BaseConf.
func withSupervisord(base string, settings ...string) string {
	const anchor = "identifier=testsup\n"
	return strings.Replace(base, anchor, anchor+strings.Join(settings, "\n")+"\n", 1)
}

// rotated returns the concatenation of path.N … path.1 path: every byte the
// stream wrote, oldest first, when nothing was dropped.
func rotated(t *testing.T, path string, backups int) []byte {
	t.Helper()
	var all []byte
	for i := backups; i >= 1; i-- {
		b, err := os.ReadFile(path + "." + strconv.Itoa(i))
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		all = append(all, b...)
	}
	b, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return append(all, b...)
}

// checkNumbered fails unless data is exactly the lines "1\n" … "n\n" with
// prefix before each number.
func checkNumbered(t *testing.T, data []byte, prefix string, n int) {
	t.Helper()
	var want bytes.Buffer
	for i := 1; i <= n; i++ {
		want.WriteString(prefix)
		want.WriteString(strconv.Itoa(i))
		want.WriteByte('\n')
	}
	if bytes.Equal(data, want.Bytes()) {
		return
	}
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	for i, l := range lines {
		if l != prefix+strconv.Itoa(i+1) {
			t.Fatalf("line %d is %q, want %q (%d lines, %d bytes; want %d lines, %d bytes)",
				i+1, l, prefix+strconv.Itoa(i+1), len(lines), len(data), n, want.Len())
		}
	}
	t.Fatalf("got %d lines (%d bytes), want %d lines (%d bytes)", len(lines), len(data), n, want.Len())
}

// waitExited waits until the one-shot program name has exited and its
// output has been drained into the log at path (its size stops changing at
// wantBytes, when known).
func waitExited(t *testing.T, d *testbin.Daemon, name string) {
	t.Helper()
	d.WaitState(t, name, "EXITED", 30*time.Second)
}

// waitFor polls cond with a deadline and fails with msg().
func waitFor(t *testing.T, timeout time.Duration, cond func() bool, msg func() string) {
	t.Helper()
	if err := testbin.Poll(timeout, cond); err != nil {
		t.Fatalf("%v: %s", err, msg())
	}
}
