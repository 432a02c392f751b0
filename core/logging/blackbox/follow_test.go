package blackbox

import (
	"bufio"
	"io"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"super/core/testbin"
)

// ctlFollow runs `supervisorctl -c conf args...` (tail -f, maintail -f),
// which stays connected until killed, and returns its output lines as they
// come.
func ctlFollow(t *testing.T, d *testbin.Daemon, args ...string) *lines {
	t.Helper()
	cmd := exec.Command(testbin.Path(t, "supervisorctl"), append([]string{"-c", d.Conf}, args...)...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	l := &lines{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			l.add(sc.Text())
		}
		io.Copy(io.Discard, out)
	}()
	t.Cleanup(func() { cmd.Process.Kill(); <-done; cmd.Wait() })
	return l
}

type lines struct {
	mu  sync.Mutex
	all []string
}

func (l *lines) add(s string) { l.mu.Lock(); l.all = append(l.all, s); l.mu.Unlock() }

func (l *lines) snapshot() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.all...)
}

// `supervisorctl tail -f NAME` follows a child's log through /logtail/NAME,
// across rotations of the file, without losing or repeating a line; and
// `maintail -f` follows the activity log through /mainlogtail.
func TestCtlTailFollow(t *testing.T) {
	dir := t.TempDir()
	conf := testbin.BaseConf(dir) +
		program("tick", `sh -c 'i=0; while :; do i=$((i+1)); echo $i; sleep 0.005; done'`,
			"stdout_logfile="+dir+"/tick.log", "stdout_logfile_maxbytes=400", "stdout_logfile_backups=50") +
		program("other", "sleep 100", "autostart=false")
	d := testbin.StartConf(t, false, dir, conf)
	d.WaitState(t, "tick", "RUNNING", 10*time.Second)

	tail := ctlFollow(t, d, "tail", "-f", "tick")
	main := ctlFollow(t, d, "maintail", "-f")

	// Follow until the file has been rotated several times (a rotation
	// every ~100 lines).
	numbers := func() []int {
		var ns []int
		got := tail.snapshot()
		if len(got) > 0 && got[0] == "==> Press Ctrl-C to exit <==" {
			got = got[1:]
		}
		// The first line may be cut (the tail starts 1600 bytes before
		// the end of the file) and the last may be partial.
		for i := 1; i < len(got)-1; i++ {
			n, err := strconv.Atoi(got[i])
			if err != nil {
				t.Fatalf("tail -f line %q in %q", got[i], got)
			}
			ns = append(ns, n)
		}
		return ns
	}
	waitFor(t, 20*time.Second, func() bool { ns := numbers(); return len(ns) > 0 && ns[len(ns)-1]-ns[0] > 450 },
		func() string { return "tail -f output: " + strings.Join(tail.snapshot(), " ") })
	ns := numbers()
	// A follower that reads each file to its end before switching loses
	// nothing. The only loss it cannot avoid is a whole intermediate file
	// when it falls behind by more than a rotation (a file holds ~100 lines
	// here), which only a badly loaded machine shows; a partial skip is a
	// bug.
	wholeFiles := 0
	for i := 1; i < len(ns); i++ {
		if ns[i] <= ns[i-1] {
			t.Fatalf("tail -f repeated or reordered: %d after %d", ns[i], ns[i-1])
		}
		if skipped := ns[i] - ns[i-1] - 1; skipped > 0 {
			if skipped < 50 {
				t.Errorf("tail -f skipped lines %d..%d across a rotation", ns[i-1]+1, ns[i]-1)
			}
			wholeFiles++
		}
	}
	if wholeFiles > 2 {
		t.Errorf("tail -f fell behind by whole files %d times", wholeFiles)
	}

	d.Call(t, "supervisor.startProcess", "other")
	waitFor(t, 10*time.Second, func() bool {
		return strings.Contains(strings.Join(main.snapshot(), "\n"), "spawned: 'other'")
	}, func() string { return "maintail -f output:\n" + strings.Join(main.snapshot(), "\n") })
}
