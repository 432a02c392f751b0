package e2e

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"super/core/testbin"
)

// STARTING → RUNNING only once the child has stayed up startsecs; the child
// is ours, in its own process group.
func TestStartsecsThenRunning(t *testing.T) {
	t.Parallel()
	d := testbin.Start(t, false, "[program:up]\ncommand=sleep 60\nstartsecs=1\n")
	spawned := waitLog(t, d, `^spawned: 'up' with pid \d+$`, 1, 5*time.Second)[0]
	if s := d.StateOf(t, "up"); s != "STARTING" && time.Since(spawned.At) < 900*time.Millisecond {
		t.Errorf("state %s within startsecs, want STARTING", s)
	}
	d.WaitState(t, "up", "RUNNING", 5*time.Second)
	success := waitLog(t, d, `^success: up entered RUNNING state, process has stayed up for > than 1 seconds \(startsecs\)$`, 1, time.Second)[0]
	// startsecs counts from just before the fork, the spawned line comes
	// after it (a fork on a loaded machine can take a while); the loop may
	// run late on a loaded machine, by less than a second.
	if dt := success.At.Sub(spawned.At); dt < 500*time.Millisecond || dt >= 1900*time.Millisecond {
		t.Errorf("RUNNING %v after the spawn, want just over startsecs=1", dt)
	}
	pid := pidOf(t, d, "up")
	p, ok := testbin.ReadProc(pid)
	if !ok || p.Zombie() || p.PPid != d.Pid() || p.Pgid != pid || p.Comm != "sleep" {
		t.Errorf("child %d: %+v (alive %v); want sleep, a child of %d leading its own process group", pid, p, ok, d.Pid())
	}
}

// A child that exits before startsecs goes to BACKOFF, is retried after 1,
// 2 … seconds, and is FATAL after startretries retries.
func TestBackoffThenFatal(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	marker := filepath.Join(dir, "runs")
	d := testbin.Start(t, false, fmt.Sprintf(`[program:flaky]
command=sh -c 'echo run >> %s; exit 3'
startsecs=1
startretries=2
`, marker))
	d.WaitState(t, "flaky", "FATAL", 20*time.Second)
	if n := len(lines(marker)); n != 3 {
		t.Errorf("ran %d times, want 1 + startretries=2", n)
	}
	log := parseLog(d.Log())
	spawns := find(log, `^spawned: 'flaky' with pid \d+$`)
	exits := find(log, `^exited: flaky \(exit status 3; not expected\)$`)
	gaveUp := find(log, `^gave up: flaky entered FATAL state, too many start retries too quickly$`)
	if len(spawns) != 3 || len(exits) != 3 || len(gaveUp) != 1 {
		t.Fatalf("want 3 spawned, 3 exited, 1 gave up lines:\n%s", d.Log())
	}
	// Retry n comes n seconds after the exit: never sooner (the delay
	// counts from the exit, the spawn is logged after the fork), and late
	// only by how long a loaded machine takes to run the loop and fork,
	// which must stay under a second so that 1 s and 2 s (and 2 s and a
	// third step's 3 s) still tell apart.
	for i, want := range []time.Duration{time.Second, 2 * time.Second} {
		if dt := spawns[i+1].At.Sub(exits[i].At); dt < want-50*time.Millisecond || dt >= want+900*time.Millisecond {
			t.Errorf("retry %d came %v after the exit, want %v (and less than a second more)", i+1, dt, want)
		}
	}
	// FATAL at once, on the next pass, not after a third delay (3 s).
	if dt := gaveUp[0].At.Sub(exits[2].At); dt < 0 || dt >= 2*time.Second {
		t.Errorf("FATAL %v after the last exit, want it at once (not after a delay of 3 s)", dt)
	}
	info := infoOf(t, d, "flaky")
	if info["spawnerr"] != "Exited too quickly (process log may have details)" {
		t.Errorf("spawnerr %q", info["spawnerr"])
	}
	if info["description"] != "Exited too quickly (process log may have details)" {
		t.Errorf("description %q", info["description"])
	}
}

// exitcodes decide expected/unexpected; autorestart=unexpected restarts only
// unexpected exits, true always, false never.
func TestExitcodesAndAutorestart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	// Each program exits with code until it has run three times, then
	// sleeps: a restart loop that ends by itself.
	prog := func(name string, code int, extra string) string {
		m := filepath.Join(dir, name)
		return fmt.Sprintf(`[program:%[1]s]
command=sh -c 'echo run >> %[2]s; [ $(wc -l < %[2]s) -ge 3 ] && exec sleep 60; exit %[3]d'
startsecs=0
%[4]s
`, name, m, code, extra)
	}
	d := testbin.Start(t, false,
		prog("unexpected", 3, "autorestart=unexpected\nexitcodes=0,2")+
			prog("expected", 2, "autorestart=unexpected\nexitcodes=0,2")+
			prog("always", 0, "autorestart=true")+
			prog("never", 3, "autorestart=false"))

	d.WaitState(t, "unexpected", "RUNNING", 10*time.Second)
	d.WaitState(t, "always", "RUNNING", 10*time.Second)
	waitFor(t, 5*time.Second, "unexpected ran 3 times", func() bool { return len(lines(filepath.Join(dir, "unexpected"))) == 3 })
	waitFor(t, 5*time.Second, "always ran 3 times", func() bool { return len(lines(filepath.Join(dir, "always"))) == 3 })
	d.WaitState(t, "expected", "EXITED", 5*time.Second)
	d.WaitState(t, "never", "EXITED", 5*time.Second)
	// The restart loops above took several passes of the engine; the
	// programs not to be restarted ran once in the meantime.
	for _, name := range []string{"expected", "never"} {
		if n := len(lines(filepath.Join(dir, name))); n != 1 {
			t.Errorf("%s ran %d times, want once", name, n)
		}
	}
	log := parseLog(d.Log())
	for re, n := range map[string]int{
		`^exited: unexpected \(exit status 3; not expected\)$`: 2,
		`^exited: expected \(exit status 2; expected\)$`:       1,
		`^exited: always \(exit status 0; expected\)$`:         2,
		`^exited: never \(exit status 3; not expected\)$`:      1,
	} {
		if got := len(find(log, re)); got != n {
			t.Errorf("%d lines matching %s, want %d", got, re, n)
		}
	}
	if got := infoOf(t, d, "never")["exitstatus"]; got != 3 {
		t.Errorf("never: exitstatus %v, want 3", got)
	}
	if got := infoOf(t, d, "never")["spawnerr"]; got != "Bad exit code 3" {
		t.Errorf("never: spawnerr %q", got)
	}
}

// A process with autostart=false stays STOPPED until started; a spawn
// error (missing command) is a failed start that ends FATAL.
func TestAutostartAndSpawnError(t *testing.T) {
	t.Parallel()
	d := testbin.Start(t, false, `[program:manual]
command=sleep 60
autostart=false
startsecs=0

[program:missing]
command=/nonexistent/program
startretries=1
`)
	d.WaitState(t, "missing", "FATAL", 5*time.Second)
	if s := d.StateOf(t, "manual"); s != "STOPPED" {
		t.Errorf("autostart=false: %s, want STOPPED", s)
	}
	log := parseLog(d.Log())
	if n := len(find(log, `^spawnerr: can't find command '/nonexistent/program'$`)); n != 2 {
		t.Errorf("%d spawnerr lines, want 1 + startretries=1:\n%s", n, d.Log())
	}
	d.Call(t, "supervisor.startProcess", "manual", true)
	if s := d.StateOf(t, "manual"); s != "RUNNING" {
		t.Errorf("after startProcess: %s", s)
	}
}
