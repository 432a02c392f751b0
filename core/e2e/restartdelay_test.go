package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"super/core/testbin"
)

// ctl runs supervisorctl on d's config and returns its output.
func ctl(t *testing.T, d *testbin.Daemon, args ...string) string {
	t.Helper()
	out, _ := exec.Command(testbin.Path(t, "supervisorctl"), append([]string{"-c", d.Conf}, args...)...).CombinedOutput()
	return string(out)
}

// waitsBetween pairs each exit of name with the spawn that follows it and
// returns the time between them, read from the activity log.
func waitsBetween(entries []logEntry, name string) []time.Duration {
	var gaps []time.Duration
	var exited time.Time
	for _, e := range entries {
		switch {
		case strings.HasPrefix(e.Msg, "exited: "+name+" "):
			exited = e.At
		case strings.HasPrefix(e.Msg, "spawned: '"+name+"'") && !exited.IsZero():
			gaps = append(gaps, e.At.Sub(exited))
			exited = time.Time{}
		}
	}
	return gaps
}

// The waits before automatic restarts, as the activity log's timestamps
// show them: restart_delay doubling up to restart_delay_max after exits
// with autorestart, and a fixed restart_delay instead of 4.2's 1, 2 s
// before BACKOFF retries. Bounds, not exact times: each wait is at least
// its delay (less a millisecond of the log's rounding) and well short of
// the next doubling.
func TestRestartDelayTimings(t *testing.T) {
	t.Parallel()
	d := testbin.Start(t, false, `
[program:crash]
command=sh -c 'exit 1'
startsecs=0
autorestart=true
restart_delay=0.3
restart_delay_max=1.2

[program:badstart]
command=sh -c 'exit 1'
startsecs=5
startretries=2
restart_delay=0.4
`)
	waitLog(t, d, `^gave up: badstart entered FATAL state`, 1, 20*time.Second)
	waitLog(t, d, `^spawned: 'crash'`, 5, 20*time.Second)
	log := parseLog(d.Log())

	check := func(name string, want []time.Duration, slack time.Duration) {
		t.Helper()
		gaps := waitsBetween(log, name)
		if len(gaps) < len(want) {
			t.Fatalf("%s: %d restarts in the log, want %d:\n%s", name, len(gaps), len(want), d.Log())
		}
		for i, w := range want {
			if gaps[i] < w-time.Millisecond || gaps[i] > w+slack {
				t.Errorf("%s: wait %d was %v, want %v (at most %v more)", name, i+1, gaps[i], w, slack)
			}
		}
	}
	ms := time.Millisecond
	check("crash", []time.Duration{300 * ms, 600 * ms, 1200 * ms, 1200 * ms}, 900*ms)
	check("badstart", []time.Duration{400 * ms, 400 * ms}, 900*ms)

	// Each wait is announced once, right after the exit that starts it.
	for _, w := range []string{"0.3", "0.6"} {
		if n := len(find(log, `^waiting `+regexp.QuoteMeta(w)+` s before restarting crash$`)); n != 1 {
			t.Errorf("%d lines 'waiting %s s before restarting crash', want 1:\n%s", n, w, d.Log())
		}
	}
	if n := len(find(log, `^waiting 0\.4 s before restarting badstart$`)); n != 2 {
		t.Errorf("%d lines 'waiting 0.4 s before restarting badstart', want 2:\n%s", n, d.Log())
	}
	for i, e := range log {
		if strings.HasPrefix(e.Msg, "waiting ") && !strings.HasPrefix(log[i-1].Msg, "exited: ") {
			t.Errorf("%q follows %q, not the exit", e.Msg, log[i-1].Msg)
		}
	}
}

// startretries=infinite: a program that needs something not there yet
// fails past the point where 4.2 gives up (4 failed starts with the
// default startretries=3) and runs once that something appears.
func TestStartretriesInfiniteRecovers(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ready := filepath.Join(dir, "db-is-up")
	d := testbin.StartConf(t, false, dir, testbin.BaseConf(dir)+fmt.Sprintf(`
[program:app]
command=sh -c 'if [ -e %s ]; then exec sleep 300; fi; exit 1'
startretries=infinite
restart_delay=0.1
restart_delay_max=0.2
`, ready))
	waitLog(t, d, `^exited: app \(exit status 1; not expected\)$`, 6, 20*time.Second)
	if st := d.StateOf(t, "app"); st != "BACKOFF" && st != "STARTING" {
		t.Fatalf("app is %s after 6 failed starts, want it still trying\n%s", st, d.Log())
	}
	if err := os.WriteFile(ready, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	d.WaitState(t, "app", "RUNNING", 10*time.Second)
	log := parseLog(d.Log())
	if n := len(find(log, `^gave up: `)); n != 0 {
		t.Errorf("app gave up:\n%s", d.Log())
	}
	if n := len(find(log, `^success: app entered RUNNING state`)); n != 1 {
		t.Errorf("%d success lines, want 1:\n%s", n, d.Log())
	}
}

// A pending restart shows in status, super.getAllProcessStats, /metrics,
// the web UI and /readyz; a start ends the wait by starting the program,
// a stop by stopping it.
func TestRestartDelayPendingIsVisibleAndEndsOnRequest(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	runs := filepath.Join(dir, "runs")
	d := testbin.StartConf(t, false, dir, testbin.BaseConf(dir)+fmt.Sprintf(`
[program:job]
command=sh -c 'echo run >> %s'
startsecs=0
autorestart=true
restart_delay=30
restart_delay_max=120

[program:flap]
command=sh -c 'exit 1'
startsecs=5
restart_delay=30
`, runs))
	waitLog(t, d, `^waiting 30 s before restarting job$`, 1, 10*time.Second)
	waitLog(t, d, `^waiting 30 s before restarting flap$`, 1, 10*time.Second)

	status := ctl(t, d, "status")
	if !regexp.MustCompile(`(?m)^job +EXITED +.*, restarting in (29|30) s$`).MatchString(status) ||
		!regexp.MustCompile(`(?m)^flap +BACKOFF +Exited too quickly \(process log may have details\), restarting in (29|30) s$`).MatchString(status) {
		t.Errorf("status does not show the pending restarts:\n%s", status)
	}
	now := time.Now().Unix()
	for _, s := range d.Call(t, "super.getAllProcessStats").([]any) {
		m := s.(map[string]any)
		at, _ := m["restart_at"].(int)
		if int64(at) < now+25 || int64(at) > now+31 {
			t.Errorf("%s: restart_at %d, want about %d", m["name"], at, now+30)
		}
	}
	c := unixClient(d.Sock)
	code, body, _ := fetch(t, c, "http://localhost/metrics", false)
	sc := parseScrape(t, body)
	if v, ok := sc.get("super_process_restart_time_seconds", "job"); code != 200 || !ok || int64(v) < now+25 || int64(v) > now+31 {
		t.Errorf("/metrics: %d, restart time %v (%v), want about %d\n%s", code, v, ok, now+30, body)
	}
	var api struct {
		RestartAt *int64 `json:"restart_at"`
	}
	if _, body, _ := fetch(t, c, "http://localhost/api/v1/processes/job", false); json.Unmarshal([]byte(body), &api) != nil ||
		api.RestartAt == nil || *api.RestartAt < now+25 || *api.RestartAt > now+31 {
		t.Errorf("/api/v1/processes/job: restart_at not about %d: %s", now+30, body)
	}
	if code, body, _ := fetch(t, c, "http://localhost/readyz", false); code != 503 {
		t.Errorf("/readyz with restarts pending: %d %q", code, body)
	}
	if _, body, _ := fetch(t, c, "http://localhost/", false); !strings.Contains(body, "restarting in") {
		t.Errorf("the web UI does not show the pending restart:\n%s", body)
	}

	// start: at once, from EXITED and from BACKOFF (4.2 would say
	// "already started" there).
	if out := ctl(t, d, "start", "job"); out != "job: started\n" {
		t.Errorf("start job: %q", out)
	}
	waitFor(t, 10*time.Second, "job's second run", func() bool { return len(lines(runs)) == 2 })
	ctl(t, d, "start", "flap")
	if n := len(find(parseLog(d.Log()), `^spawned: 'flap'`)); n != 2 {
		t.Errorf("flap spawned %d times, want 2: the start did not end the wait\n%s", n, d.Log())
	}
	// The start began the delay again: 30 s, not 60.
	waitLog(t, d, `^waiting 30 s before restarting job$`, 2, 10*time.Second)

	// stop (by name, and stop all): the wait ends, nothing restarts.
	if out := ctl(t, d, "stop", "flap"); out != "flap: stopped\n" {
		t.Errorf("stop flap: %q", out)
	}
	if out := ctl(t, d, "stop", "all"); out != "job: stopped\n" {
		t.Errorf("stop all: %q", out)
	}
	for _, name := range []string{"job", "flap"} {
		if st := d.StateOf(t, name); st != "STOPPED" {
			t.Errorf("%s is %s after stop, want STOPPED", name, st)
		}
	}
	waitLog(t, d, `^stopped: job \(restart cancelled\)$`, 1, time.Second)
	if status := ctl(t, d, "status"); strings.Contains(status, "restarting") {
		t.Errorf("status still shows a restart:\n%s", status)
	}
	if code, body, _ := fetch(t, c, "http://localhost/readyz", false); code != 200 {
		t.Errorf("/readyz with everything stopped: %d %q", code, body)
	}
}
