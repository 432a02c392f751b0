package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"super/core/testbin"
)

// indexOf is the position of the first log entry matching re, -1 if none.
func indexOf(entries []logEntry, re string) int {
	rx := regexp.MustCompile(re)
	for i, e := range entries {
		if rx.MatchString(e.Msg) {
			return i
		}
	}
	return -1
}

// web depends on db, which is slow to start (startsecs=1), and web's
// priority alone would start it first: web is spawned only once db is
// RUNNING. At shutdown web is stopped before db gets its stop signal,
// though reverse priority order alone would stop db first.
func TestDependsOnStartAndStopOrder(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	conf := strings.Replace(testbin.BaseConf(dir), "[supervisord]\n", "[supervisord]\nloglevel=debug\n", 1) + `
[program:web]
; takes a moment to exit after SIGTERM: were db signalled with it, db
; would stop first
command=sh -c 'trap "sleep 0.3; exit 0" TERM; while :; do sleep 0.05; done'
priority=10
startsecs=1
depends_on=db

[program:db]
command=sleep 300
priority=20
startsecs=1
`
	d := testbin.StartConf(t, false, dir, conf)
	d.WaitState(t, "web", "RUNNING", 15*time.Second)

	log := parseLog(d.Log())
	waiting := indexOf(log, `^waiting for db to be ready before starting web$`)
	dbRunning := indexOf(log, `^success: db entered RUNNING state`)
	webSpawned := indexOf(log, `^spawned: 'web' with pid \d+$`)
	if waiting < 0 || dbRunning < 0 || webSpawned < 0 || !(waiting < dbRunning && dbRunning < webSpawned) {
		t.Fatalf("want the waiting line, db RUNNING, then web spawned:\n%s", d.Log())
	}
	db, web := infoOf(t, d, "db"), infoOf(t, d, "web")
	dbStart, _ := db["start"].(int)
	webStart, _ := web["start"].(int)
	if dbStart == 0 || webStart < dbStart+1 {
		t.Errorf("web started at %d, db at %d: want web at least startsecs=1 later", webStart, dbStart)
	}
	webPid, dbPid := pidOf(t, d, "web"), pidOf(t, d, "db")

	if err := d.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if st, err := d.Wait(20 * time.Second); err != nil || st != 0 {
		t.Fatalf("supervisord exited %d (%v) after SIGTERM, want 0", st, err)
	}
	log = parseLog(d.Log())
	webStopped := indexOf(log, `^stopped: web \(`)
	dbSignalled := indexOf(log, fmt.Sprintf(`^killing db \(pid %d\) with signal SIGTERM$`, dbPid))
	dbStopped := indexOf(log, `^stopped: db \(`)
	if webStopped < 0 || dbSignalled < 0 || dbStopped < 0 || !(webStopped < dbSignalled && dbSignalled < dbStopped) {
		t.Fatalf("want web stopped before db is signalled:\n%s", d.Log())
	}
	for _, pid := range []int{webPid, dbPid} {
		gone(t, pid, "child")
	}
}

// A dependency that goes FATAL: the dependent stays STOPPED, the daemon
// runs on, the log says why; a start asked for by hand is not held.
func TestDependsOnFatalDependency(t *testing.T) {
	t.Parallel()
	d := testbin.Start(t, false, `
[program:db]
command=sh -c 'exit 1'
startsecs=1
startretries=0

[program:web]
command=sleep 300
startsecs=1
depends_on=db
`)
	d.WaitState(t, "db", "FATAL", 10*time.Second)
	waitLog(t, d, `^not starting web: its dependency db is FATAL$`, 1, 5*time.Second)
	if st := d.StateOf(t, "web"); st != "STOPPED" {
		t.Errorf("web is %s with db FATAL, want STOPPED", st)
	}
	if len(find(parseLog(d.Log()), `^spawned: 'web'`)) != 0 {
		t.Errorf("web was spawned:\n%s", d.Log())
	}
	state, _ := d.Call(t, "supervisor.getState").(map[string]any)
	if state["statename"] != "RUNNING" || d.Exited() {
		t.Fatalf("supervisord state %v (exited %v), want RUNNING", state, d.Exited())
	}

	// A user's start is not held: it starts at once and reaches RUNNING.
	if ok, _ := d.Call(t, "supervisor.startProcess", "web", true).(bool); !ok {
		t.Fatal("startProcess web did not return true")
	}
	if st := d.StateOf(t, "web"); st != "RUNNING" {
		t.Errorf("web is %s after startProcess, want RUNNING", st)
	}
}

// supervisorctl start of a process held by its dependency starts it at
// once.
func TestDependsOnCtlStartIsNotHeld(t *testing.T) {
	t.Parallel()
	d := testbin.Start(t, false, `
[program:db]
command=sleep 300
autostart=false

[program:web]
command=sleep 300
startsecs=0
depends_on=db
`)
	waitLog(t, d, `^waiting for db to be ready before starting web$`, 1, 5*time.Second)
	out, err := exec.Command(testbin.Path(t, "supervisorctl"), "-c", d.Conf, "start", "web").CombinedOutput()
	if err != nil || string(out) != "web: started\n" {
		t.Fatalf("supervisorctl start web: %v %q", err, out)
	}
	if st := d.StateOf(t, "web"); st != "RUNNING" {
		t.Errorf("web is %s, want RUNNING", st)
	}
	if st := d.StateOf(t, "db"); st != "STOPPED" {
		t.Errorf("db is %s: a manual start must not start what it depends on", st)
	}
}

// A depends_on cycle is a config error: supervisord exits 2 and says so
// on stderr, as it reports a bad value.
func TestDependsOnCycleIsAConfigError(t *testing.T) {
	t.Parallel()
	run := func(programs string) (int, string) {
		dir := t.TempDir()
		conf := filepath.Join(dir, "supervisord.conf")
		if err := os.WriteFile(conf, []byte(testbin.BaseConf(dir)+programs), 0o644); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(testbin.Path(t, "supervisord"), "-n", "-c", conf)
		var stderr strings.Builder
		cmd.Stderr = &stderr
		done := make(chan error, 1)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
			t.Fatalf("supervisord ran on a bad config")
		}
		return cmd.ProcessState.ExitCode(), strings.ReplaceAll(stderr.String(), conf, "CONF")
	}
	status, stderr := run(`
[program:a]
command=sleep 300
depends_on=b

[program:b]
command=sleep 300
depends_on=a
`)
	want := regexp.MustCompile(`^Error: depends_on cycle: (a -> b -> a in section 'program:a'|b -> a -> b in section 'program:b') \(file: 'CONF', line \d+\)\nFor help, use \S*supervisord -h\n$`)
	if status != 2 || !want.MatchString(stderr) {
		t.Errorf("exit %d, stderr %q; want 2 and the cycle", status, stderr)
	}
	// The same shape as any bad value.
	status, stderr = run(`
[program:a]
command=sleep 300
startsecs=soon
`)
	shape := regexp.MustCompile(`^Error: .* in section 'program:a' \(file: 'CONF', line \d+\)\nFor help, use \S*supervisord -h\n$`)
	if status != 2 || !shape.MatchString(stderr) {
		t.Errorf("bad value: exit %d, stderr %q", status, stderr)
	}
}

// A dependency with a healthcheck is ready only once healthy: web waits
// while db runs but fails its check, and starts when db passes it.
func TestDependsOnWaitsForHealthy(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	marker := filepath.Join(dir, "db-ready")
	d := testbin.StartConf(t, false, dir, testbin.BaseConf(dir)+fmt.Sprintf(`
[program:db]
command=sleep 300
startsecs=0
healthcheck=test -f %s
healthcheck_interval=0.1
healthcheck_retries=1

[program:web]
command=sleep 300
startsecs=0
depends_on=db
`, marker))
	d.WaitState(t, "db", "RUNNING", 10*time.Second)
	// Some probes fail while web is looked at.
	waitLog(t, d, `^db is unhealthy: `, 1, 10*time.Second)
	if st := d.StateOf(t, "web"); st != "STOPPED" {
		t.Fatalf("web is %s while db is unhealthy, want STOPPED", st)
	}
	if err := os.WriteFile(marker, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	d.WaitState(t, "web", "RUNNING", 10*time.Second)
}
