package stress

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"super/core/testbin"
)

// With few file descriptors (a low hard limit, minfds under it) spawns
// fail with a clear error instead of taking the daemon down, and RPC still
// answers, so the operator can stop things.
func TestFewFileDescriptors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString(strings.Replace(testbin.BaseConf(dir), "[supervisord]\n", "[supervisord]\nminfds=32\n", 1))
	const n = 30
	for i := range n {
		fmt.Fprintf(&b, "[program:p%02d]\ncommand=sleep 1000\nstartsecs=0\nstartretries=1\n\n", i)
	}
	d := startWrapped(t, dir, b.String(), nil, "ulimit -n 64")
	url := "unix://" + d.sock
	var s map[string]int
	if err := testbin.Poll(30*time.Second, func() bool {
		s = states(t, url)
		return s["RUNNING"]+s["FATAL"] == n
	}); err != nil {
		t.Fatalf("states never settled: %v\n%s", s, d.log())
	}
	u, _ := readUsage(d.pid())
	if s["FATAL"] == 0 {
		t.Fatalf("every program started with 64 fds: the limit did not apply (%v)", s)
	}
	if !strings.Contains(d.log(), "spawnerr: too many open files to spawn") {
		t.Errorf("no spawn error names the cause:\n%s", d.log())
	}
	// Stopping frees descriptors: the failed ones can then be started.
	call(t, url, "supervisor.stopAllProcesses")
	call(t, url, "supervisor.startProcess", "p00", true)
	got := states(t, url)["RUNNING"]
	if got != 1 {
		t.Errorf("%d running after stopAll + start p00", got)
	}
	t.Logf("figure: %d programs under ulimit -n 64: %d RUNNING, %d FATAL, %d spawn errors naming the cause, daemon held %d fds; after stopAllProcesses %d started again",
		n, s["RUNNING"], s["FATAL"], countLines(d.log(), "spawnerr: too many open files"), u.fds, got)
}
