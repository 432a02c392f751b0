package stress

import (
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"super/core/testbin"
)

// As PID 1 of a PID namespace the daemon reaps every orphan its children
// leave, even from a crash loop producing them continuously: no zombies
// pile up and RPC still answers.
func TestOrphanStormAsPID1(t *testing.T) {
	needRoot(t, "a PID namespace (unshare --pid) makes the daemon PID 1")
	if _, err := exec.LookPath("unshare"); err != nil {
		t.Skip("unshare (util-linux) is not installed")
	}
	t.Parallel()
	dir := t.TempDir()
	// Each run leaves three orphans (the subshells exit at once, their
	// sleeps outlive them), then exits.
	conf := testbin.BaseConf(dir) + `[program:orphaner]
command=sh -c 'for i in 1 2 3; do (sleep 0.05 &); done; exit 0'
startsecs=0
autorestart=true
stdout_logfile=NONE
stderr_logfile=NONE
`
	d := startWrapped(t, dir, conf, []string{"unshare", "--pid", "--fork", "--mount-proc"}, "")
	var init int
	if err := testbin.Poll(5*time.Second, func() bool {
		for _, p := range testbin.Descendants(d.pid()) {
			if p.PPid == d.pid() && strings.HasPrefix(p.Comm, "super") {
				init = p.Pid
				return true
			}
		}
		return false
	}); err != nil {
		t.Fatalf("no supervisord under unshare: %+v", testbin.Descendants(d.pid()))
	}
	// unshare does not pass SIGTERM on: stop the daemon itself first.
	t.Cleanup(func() { syscall.Kill(init, syscall.SIGTERM); testbin.Poll(10*time.Second, d.exited) })
	window := pick(3*time.Second, 30*time.Second)
	url := "unix://" + d.sock
	maxZombies := 0
	for start := time.Now(); time.Since(start) < window; {
		zombies := 0
		for _, p := range testbin.Descendants(init) {
			if p.Zombie() {
				zombies++
			}
		}
		maxZombies = max(maxZombies, zombies)
		call(t, url, "supervisor.getState")
		time.Sleep(50 * time.Millisecond) // sampling period
	}
	reaped := countLines(d.log(), "reaped unknown pid ")
	t.Logf("figure: orphan storm as PID 1 for %v: %d orphans reaped (%.0f/s), at most %d zombies seen at once", window, reaped, float64(reaped)/window.Seconds(), maxZombies)
	if reaped < 30 {
		t.Errorf("only %d orphans reaped in %v", reaped, window)
	}
	call(t, url, "supervisor.stopProcess", "orphaner")
	// Once the orphaner stops, its last orphans finish and are reaped.
	if err := testbin.Poll(5*time.Second, func() bool {
		for _, p := range testbin.Descendants(init) {
			if p.Zombie() {
				return false
			}
		}
		return true
	}); err != nil {
		t.Errorf("zombies left in the namespace: %+v", testbin.Descendants(init))
	}
	// Orphans live and die without the daemon noticing: the zombies seen
	// while the loop ran are each reaped within a moment (a few per run).
	if maxZombies > 50 {
		t.Errorf("%d zombies at once: orphans are not reaped promptly", maxZombies)
	}
}
