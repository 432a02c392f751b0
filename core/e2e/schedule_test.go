package e2e

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"super/core/testbin"
)

// schedule=@every 1s: a short job runs at each tick and is never
// restarted in between (autorestart=true, startsecs=1 notwithstanding); a
// job that outlasts a tick has that tick skipped and logged, and never
// runs twice at once. The next run shows in status, super.* and /metrics;
// stop disables the schedule until start.
func TestScheduleEverySecond(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	tickRuns := filepath.Join(dir, "tick.runs")
	slowRuns := filepath.Join(dir, "slow.runs")
	d := testbin.StartConf(t, false, dir, testbin.BaseConf(dir)+fmt.Sprintf(`
[program:tick]
command=sh -c 'echo run >> %s'
schedule=@every 1s
autorestart=true

[program:slow]
command=sh -c 'echo run >> %s; sleep 2.5'
schedule=@every 1s
`, tickRuns, slowRuns))
	waitFor(t, 15*time.Second, "three runs of tick", func() bool { return len(lines(tickRuns)) >= 3 })
	waitLog(t, d, `^skipped scheduled run of slow: still (STARTING|RUNNING)$`, 2, 15*time.Second)
	log := parseLog(d.Log())

	// tick: no run follows an exit before the next tick (an autorestart
	// would, by milliseconds; the next tick is most of a second later),
	// each exit expected, no failed start.
	for i, gap := range waitsBetween(log, "tick") {
		if gap < 400*time.Millisecond {
			t.Errorf("tick ran again %v after exit %d: restarted between ticks\n%s", gap, i+1, d.Log())
		}
	}
	if n := len(find(log, `^exited: tick \(exit status 0; expected\)$`)); n < 2 {
		t.Errorf("%d expected exits of tick:\n%s", n, d.Log())
	}
	if n := len(find(log, `^(gave up|exited: tick .*not expected)`)); n != 0 {
		t.Errorf("tick's runs taken for failed starts:\n%s", d.Log())
	}
	// slow: a run ends before the next begins.
	var started time.Time
	for _, e := range log {
		switch {
		case strings.HasPrefix(e.Msg, "spawned: 'slow'"):
			if !started.IsZero() {
				t.Errorf("slow spawned at %v while its run from %v had not exited", e.At, started)
			}
			started = e.At
		case strings.HasPrefix(e.Msg, "exited: slow "):
			started = time.Time{}
		}
	}

	// The next run, everywhere it is shown.
	status := ctl(t, d, "status", "tick")
	if !regexp.MustCompile(`, next run at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\n$`).MatchString(status) {
		t.Errorf("status does not show the next run: %q", status)
	}
	now := time.Now().Unix()
	for _, s := range d.Call(t, "super.getAllProcessStats").([]any) {
		m := s.(map[string]any)
		if next, _ := m["next_run"].(int); int64(next) < now-1 || int64(next) > now+2 {
			t.Errorf("%s: next_run %d, want within a second or two of %d", m["name"], next, now)
		}
	}
	c := unixClient(d.Sock)
	_, body, _ := fetch(t, c, "http://localhost/metrics", false)
	if v, ok := parseScrape(t, body).get("super_process_next_run_time_seconds", "tick"); !ok || int64(v) < now-1 || int64(v) > now+2 {
		t.Errorf("/metrics next run of tick: %v (%v), want about %d", v, ok, now)
	}
	var p struct {
		NextStart *int64 `json:"next_start"`
	}
	if _, body, _ := fetch(t, c, "http://localhost/api/v1/processes/tick", false); json.Unmarshal([]byte(body), &p) != nil ||
		p.NextStart == nil || *p.NextStart < now-1 || *p.NextStart > now+2 {
		t.Errorf("/api/v1/processes/tick: next_start not about %d: %s", now, body)
	}

	// stop: no more runs until start. Two more ticks of slow's schedule
	// are the proof that time passed.
	if out := ctl(t, d, "stop", "tick"); out != "tick: stopped\n" {
		t.Errorf("stop tick: %q", out)
	}
	d.WaitState(t, "tick", "STOPPED", 5*time.Second)
	runs := len(lines(tickRuns))
	ticks := func() int {
		l := parseLog(d.Log())
		return len(find(l, `^spawned: 'slow'`)) + len(find(l, `^skipped scheduled run of slow`))
	}
	seen := ticks()
	waitFor(t, 10*time.Second, "two more ticks of slow", func() bool { return ticks() >= seen+2 })
	if n := len(lines(tickRuns)); n != runs {
		t.Errorf("tick ran %d times after stop", n-runs)
	}
	if status := ctl(t, d, "status", "tick"); strings.Contains(status, "next run") {
		t.Errorf("status shows a next run after stop: %q", status)
	}
	waitLog(t, d, `^schedule of tick stopped until it is started$`, 1, time.Second)

	// start: at once, and the schedule goes on.
	if out := ctl(t, d, "start", "tick"); out != "tick: started\n" {
		t.Errorf("start tick: %q", out)
	}
	waitFor(t, 10*time.Second, "tick's runs after start", func() bool { return len(lines(tickRuns)) >= runs+3 })
}
