package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"super/core/testbin"
)

// A one-shot migration runs to its end before the web server it holds
// starts; it is never restarted, counts as ready once done, and a start
// by hand runs it again without touching web.
func TestOneshotMigrationThenWeb(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	runs := filepath.Join(dir, "migrations")
	d := testbin.StartConf(t, false, dir, testbin.BaseConf(dir)+fmt.Sprintf(`
[program:migrate]
command=sh -c 'sleep 1.5; echo ran >> %s'
oneshot=true
autorestart=true
startsecs=1

[program:web]
command=sleep 300
startsecs=0
depends_on=migrate
`, runs))
	d.WaitState(t, "web", "RUNNING", 20*time.Second)
	log := parseLog(d.Log())
	done := find(log, `^exited: migrate \(exit status 0; expected\)$`)
	web := find(log, `^spawned: 'web'`)
	if len(done) != 1 || len(web) != 1 || web[0].At.Before(done[0].At) {
		t.Fatalf("web must start once, after migrate's success:\n%s", d.Log())
	}
	if len(find(log, `^waiting for migrate to be ready before starting web$`)) != 1 {
		t.Errorf("web's wait for migrate is not logged:\n%s", d.Log())
	}
	// A run of 1.5 s with startsecs=1 never went RUNNING, and nothing
	// restarts it (autorestart=true is ignored).
	if n := len(find(log, `^success: migrate`)); n != 0 {
		t.Errorf("migrate went RUNNING:\n%s", d.Log())
	}
	if st := d.StateOf(t, "migrate"); st != "EXITED" {
		t.Errorf("migrate is %s, want EXITED", st)
	}
	c := unixClient(d.Sock)
	if code, body, _ := fetch(t, c, "http://localhost/readyz", false); code != 200 {
		t.Errorf("/readyz with migrate done and web up: %d %q", code, body)
	}

	webPid := pidOf(t, d, "web")
	if out := ctl(t, d, "start", "migrate"); out != "migrate: started\n" {
		t.Errorf("start migrate: %q", out)
	}
	waitFor(t, 10*time.Second, "the second migration", func() bool { return len(lines(runs)) == 2 })
	d.WaitState(t, "migrate", "EXITED", 10*time.Second)
	if pid := pidOf(t, d, "web"); pid != webPid {
		t.Errorf("web was restarted (pid %d, was %d)", pid, webPid)
	}
	if n := len(find(parseLog(d.Log()), `^spawned: 'migrate'`)); n != 2 {
		t.Errorf("migrate spawned %d times, want 2:\n%s", n, d.Log())
	}
}

// A failing one-shot is retried as startretries says, goes FATAL, and
// keeps web from starting; both are logged.
func TestOneshotFailureHoldsWeb(t *testing.T) {
	t.Parallel()
	d := testbin.Start(t, false, `
[program:migrate]
command=sh -c 'exit 3'
oneshot=true
startretries=1
restart_delay=0.2

[program:web]
command=sleep 300
startsecs=0
depends_on=migrate
`)
	d.WaitState(t, "migrate", "FATAL", 10*time.Second)
	waitLog(t, d, `^not starting web: its dependency migrate is FATAL$`, 1, 5*time.Second)
	log := parseLog(d.Log())
	if n := len(find(log, `^exited: migrate \(exit status 3; not expected\)$`)); n != 2 {
		t.Errorf("%d failed runs, want 2 (1 + startretries):\n%s", n, d.Log())
	}
	if len(find(log, `^gave up: migrate entered FATAL state, too many failed runs \(oneshot\)$`)) != 1 {
		t.Errorf("no gave up line:\n%s", d.Log())
	}
	if len(find(log, `^spawned: 'web'`)) != 0 || d.StateOf(t, "web") != "STOPPED" {
		t.Errorf("web started after a failed migration:\n%s", d.Log())
	}
	info := infoOf(t, d, "migrate")
	if info["description"] != "Exited unexpectedly (exit status 3)" {
		t.Errorf("description %q", info["description"])
	}
	if code, _, _ := fetch(t, unixClient(d.Sock), "http://localhost/readyz", false); code != 503 {
		t.Errorf("/readyz with migrate FATAL: %d", code)
	}
}

// critical=true: a one-shot's success does not end the daemon, its
// failure (FATAL) does, with the run's exit status.
func TestOneshotCritical(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	fail := filepath.Join(dir, "fail-now")
	d := testbin.StartConf(t, false, dir, testbin.BaseConf(dir)+fmt.Sprintf(`
[program:init]
command=sh -c 'exit 0'
oneshot=true
critical=true

[program:migrate]
command=sh -c 'while [ ! -e %s ]; do sleep 0.05; done; exit 4'
oneshot=true
critical=true
startretries=0
depends_on=init

[program:web]
command=sleep 300
startsecs=0
depends_on=migrate
`, fail))
	// init succeeded and migrate runs: the daemon is still up.
	d.WaitState(t, "migrate", "STARTING", 10*time.Second)
	if st := d.StateOf(t, "init"); st != "EXITED" {
		t.Fatalf("init is %s, want EXITED", st)
	}
	if err := os.WriteFile(fail, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	st, err := d.Wait(20 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if st != 4 {
		t.Errorf("supervisord exited %d, want migrate's 4\n%s", st, d.Log())
	}
	log := parseLog(d.Log())
	if len(find(log, `^critical process init`)) != 0 {
		t.Errorf("init's success was taken for an end:\n%s", d.Log())
	}
	if len(find(log, `^spawned: 'migrate'`)) != 1 || len(find(log, `^spawned: 'web'`)) != 0 {
		t.Errorf("want migrate run once after init, web never:\n%s", d.Log())
	}
	if len(find(log, `^critical process migrate entered FATAL state: shutting down with exit status 4$`)) != 1 {
		t.Errorf("no CRIT line for migrate:\n%s", d.Log())
	}
}
