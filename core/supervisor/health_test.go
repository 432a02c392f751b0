package supervisor

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"super/core/config"
	"super/core/health"
	"super/core/process"
)

// checked sets a quick healthcheck on a program.
func checked(target string, kind config.HealthKind, mod func(*config.HealthCheck)) func(*config.ProcessConfig) {
	return func(c *config.ProcessConfig) {
		c.Startsecs = 0
		c.Healthcheck = &config.HealthCheck{Kind: kind, Target: target,
			Interval: 200 * time.Millisecond, Timeout: time.Second, Retries: 2, Action: config.HealthRestart}
		if mod != nil {
			mod(c.Healthcheck)
		}
	}
}

func statsOf(t *testing.T, s *Supervisor, name string) ProcessStats {
	t.Helper()
	all, err := s.Stats()
	if err != nil {
		t.Fatal(err)
	}
	for _, ps := range all {
		if ps.Name == name {
			return ps
		}
	}
	t.Fatalf("no stats for %s", name)
	return ProcessStats{}
}

func waitHealth(t *testing.T, s *Supervisor, name string, want Health) ProcessStats {
	t.Helper()
	var ps ProcessStats
	waitFor(t, name+" "+want.String(), 10*time.Second, func() bool {
		ps = statsOf(t, s, name)
		return ps.Health == want
	})
	return ps
}

// healthTrail records every distinct health a process shows (with its
// pid), polling Stats until stopped.
type healthTrail struct {
	mu    sync.Mutex
	seen  []string
	stop  chan struct{}
	ended chan struct{}
}

func trail(s *Supervisor, name string) *healthTrail {
	h := &healthTrail{stop: make(chan struct{}), ended: make(chan struct{})}
	go func() {
		defer close(h.ended)
		last := ""
		for stopped := false; !stopped; {
			// The state the caller saw last is recorded too: one more
			// sample after the stop.
			select {
			case <-h.stop:
				stopped = true
			case <-time.After(2 * time.Millisecond):
			}
			h2, pid, _, err := healthNow(s, name)
			if err != nil {
				continue
			}
			cur := fmt.Sprintf("%s/%d", h2, pid)
			if cur != last {
				h.mu.Lock()
				h.seen = append(h.seen, cur)
				h.mu.Unlock()
				last = cur
			}
		}
	}()
	return h
}

// healthNow reads a process's health, pid and counted failures at one
// moment (on the loop).
func healthNow(s *Supervisor, name string) (h Health, pid, fails int, err error) {
	err = s.call(func() error {
		_, p, err := s.lookup(name)
		if err == nil {
			h, pid, fails = p.health, p.Pid(), p.healthFails
		}
		return err
	})
	return
}

func (h *healthTrail) end() []string {
	close(h.stop)
	<-h.ended
	return h.seen
}

// hasInOrder reports whether want appears in seen in order (other entries
// may come between); each want is a prefix of an entry.
func hasInOrder(seen []string, want ...string) bool {
	i := 0
	for _, s := range seen {
		if i < len(want) && strings.HasPrefix(s, want[i]) {
			i++
		}
	}
	return i == len(want)
}

// A TCP check with action=none: healthy while the port listens,
// unhealthy (reported, logged once) when it no longer does; the process
// keeps running with the same pid.
func TestHealthTCPActionNone(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	s, log := start(t, cfgOf(prog("web", "sleep 100", checked(l.Addr().String(), config.HealthTCP, func(h *config.HealthCheck) {
		h.Action = config.HealthNone
	}))))
	info := waitState(t, s, "web", process.Running, 5*time.Second)
	ps := waitHealth(t, s, "web", HealthHealthy)
	if ps.HealthFailures != 0 || ps.HealthOutput != "" || ps.HealthChecked.IsZero() {
		t.Errorf("healthy: %+v", ps)
	}
	l.Close()
	ps = waitHealth(t, s, "web", HealthUnhealthy)
	if ps.HealthFailures != 2 || !strings.Contains(ps.HealthOutput, "refused") {
		t.Errorf("unhealthy: %+v", ps)
	}
	// More failed probes: still unhealthy, still the same child, one WARN.
	waitFor(t, "more probes", 10*time.Second, func() bool { return statsOf(t, s, "web").HealthFailures >= 4 })
	if now := state(t, s, "web"); now != process.Running {
		t.Errorf("web is %s", now)
	}
	if again, _ := s.ProcessInfo("web"); again.Pid != info.Pid {
		t.Errorf("pid changed %d → %d with action=none", info.Pid, again.Pid)
	}
	if n := log.count("WARN web is unhealthy: "); n != 1 {
		t.Errorf("%d unhealthy lines, want 1:\n%s", n, strings.Join(log.snapshot(), "\n"))
	}
	if log.count("INFO spawned: 'web'") != 1 {
		t.Errorf("restarted with action=none")
	}
}

// An exec check with action=restart: the reaper hands the checks' exit
// statuses to them (no "reaped unknown pid"), and an unhealthy process is
// stopped and started again like supervisorctl restart, the verdict going
// healthy → unhealthy → starting → healthy.
func TestHealthExecRestart(t *testing.T) {
	dir := t.TempDir()
	flag := filepath.Join(dir, "ok")
	if err := os.WriteFile(flag, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	// The program takes a moment to stop, so the unhealthy verdict can be
	// seen before the new spawn starts over.
	cmd := `sh -c 'trap "sleep 0.3; exit 0" TERM; while :; do sleep 0.05; done'`
	s, log := start(t, cfgOf(prog("app", cmd, checked("test -e "+flag, config.HealthExec, nil))))
	first := waitState(t, s, "app", process.Running, 5*time.Second)
	waitHealth(t, s, "app", HealthHealthy)
	tr := trail(s, "app")
	if err := os.Remove(flag); err != nil {
		t.Fatal(err)
	}
	log.waitLine(t, "WARN app is unhealthy: exit status 1", 10*time.Second)
	var second ProcessInfo
	// Once the new child's first probe has failed too, it is starting
	// (for at least an interval); then the check can pass again.
	waitFor(t, "a new pid failing its first probe", 10*time.Second, func() bool {
		_, pid, fails, err := healthNow(s, "app")
		second, _ = s.ProcessInfo("app")
		return err == nil && pid != 0 && pid != first.Pid && fails >= 1 && second.Pid == pid
	})
	if err := os.WriteFile(flag, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "healthy again", 10*time.Second, func() bool {
		ps := statsOf(t, s, "app")
		info, _ := s.ProcessInfo("app")
		return ps.Health == HealthHealthy && info.Pid == second.Pid
	})
	seen := tr.end()
	if !hasInOrder(seen, fmt.Sprintf("healthy/%d", first.Pid), fmt.Sprintf("unhealthy/%d", first.Pid),
		fmt.Sprintf("starting/%d", second.Pid), fmt.Sprintf("healthy/%d", second.Pid)) {
		t.Errorf("health went %v", seen)
	}
	// 4.2's restart lines, in order, after the verdict.
	lines := log.snapshot()
	warn := log.index("WARN app is unhealthy: exit status 1")
	stopped := log.index("INFO stopped: app (exit status 0)")
	spawned := log.index(fmt.Sprintf("INFO spawned: 'app' with pid %d", second.Pid))
	if !(warn >= 0 && warn < stopped && stopped < spawned) {
		t.Errorf("restart lines out of order (%d %d %d):\n%s", warn, stopped, spawned, strings.Join(lines, "\n"))
	}
	if n := log.count("INFO reaped unknown pid"); n != 0 {
		t.Errorf("the reaper took %d health check children:\n%s", n, strings.Join(lines, "\n"))
	}
	if ps := statsOf(t, s, "app"); ps.Starts != 2 {
		t.Errorf("starts %d, want 2", ps.Starts)
	}
}

// Failures within start_period do not count: the process stays starting
// however many probes fail, and their output is still shown.
func TestHealthStartPeriod(t *testing.T) {
	s, log := start(t, cfgOf(prog("slow", "sleep 100", checked("false", config.HealthExec, func(h *config.HealthCheck) {
		h.Retries = 1
		h.StartPeriod = time.Minute
	}))))
	info := waitState(t, s, "slow", process.Running, 5*time.Second)
	waitFor(t, "three failed probes", 10*time.Second, func() bool {
		return log.count("DEBG slow failed a health check (0 of 1): exit status 1") >= 3
	})
	ps := statsOf(t, s, "slow")
	if ps.Health != HealthStarting || ps.HealthFailures != 0 || ps.HealthOutput != "exit status 1" {
		t.Errorf("%+v", ps)
	}
	if log.count("WARN slow is unhealthy") != 0 {
		t.Errorf("unhealthy within the start period")
	}
	if again, _ := s.ProcessInfo("slow"); again.Pid != info.Pid {
		t.Errorf("restarted within the start period")
	}
}

// A result for an earlier RUNNING period is dropped.
func TestHealthStaleResultDropped(t *testing.T) {
	s, _ := start(t, cfgOf(prog("svc", "sleep 100", checked("true", config.HealthExec, func(h *config.HealthCheck) {
		h.Retries = 1
	}))))
	waitState(t, s, "svc", process.Running, 5*time.Second)
	waitHealth(t, s, "svc", HealthHealthy)
	bad := health.Result{Output: "stale"}
	if err := s.call(func() error {
		_, p, _ := s.lookup("svc")
		s.probeDone(p, p.hc.gen-1, p.Pid(), time.Now(), bad) // an earlier period
		s.probeDone(p, p.hc.gen, p.Pid()+1, time.Now(), bad) // another child
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if ps := statsOf(t, s, "svc"); ps.Health != HealthHealthy || ps.HealthOutput != "" {
		t.Errorf("a stale result counted: %+v", ps)
	}
}

// Without a healthcheck nothing is probed and health is none.
func TestHealthNoneWithoutCheck(t *testing.T) {
	s, _ := start(t, cfgOf(prog("plain", "sleep 100", func(c *config.ProcessConfig) { c.Startsecs = 0 })))
	waitState(t, s, "plain", process.Running, 5*time.Second)
	ps := statsOf(t, s, "plain")
	if ps.Health != HealthNone || !ps.HealthChecked.IsZero() {
		t.Errorf("%+v", ps)
	}
	if err := s.call(func() error {
		if _, p, _ := s.lookup("plain"); p.hc != nil {
			return fmt.Errorf("health state for a process without a check")
		}
		return nil
	}); err != nil {
		t.Error(err)
	}
}

// A process waiting (depends_on) for a checked one starts once that one is
// healthy, not merely RUNNING.
func TestHealthGatesDependents(t *testing.T) {
	flag := filepath.Join(t.TempDir(), "ok")
	a := prog("a", "sleep 100", checked("test -e "+flag, config.HealthExec, func(h *config.HealthCheck) {
		h.Retries = 100 // stays starting while the flag is missing
	}))
	b := prog("b", "sleep 100", func(c *config.ProcessConfig) {
		c.Startsecs = 0
		c.DependsOn = []config.Dependency{{Group: "a"}}
	})
	s, log := start(t, cfgOf(a, b))
	waitState(t, s, "a", process.Running, 5*time.Second)
	waitFor(t, "failed probes of a", 10*time.Second, func() bool {
		return log.count("DEBG a failed a health check") >= 2
	})
	if st := state(t, s, "b"); st != process.Stopped {
		t.Fatalf("b is %s while a is not healthy", st)
	}
	if err := os.WriteFile(flag, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	waitState(t, s, "b", process.Running, 5*time.Second)
	if ps := statsOf(t, s, "a"); ps.Health != HealthHealthy {
		t.Errorf("a: %+v", ps)
	}
	healthy := log.index("DEBG a is healthy")
	spawned := log.index("INFO spawned: 'b' with pid " + strconv.Itoa(state2pid(t, s, "b")))
	if healthy < 0 || spawned < healthy {
		t.Errorf("b spawned (line %d) before a was healthy (line %d):\n%s", spawned, healthy, strings.Join(log.snapshot(), "\n"))
	}
}

func state2pid(t *testing.T, s *Supervisor, name string) int {
	t.Helper()
	info, err := s.ProcessInfo(name)
	if err != nil {
		t.Fatal(err)
	}
	return info.Pid
}

// A healthy verdict does not outlive the RUNNING state: a stopped process
// is starting again (no verdict), not healthy.
func TestHealthNotHealthyOnceStopped(t *testing.T) {
	s, _ := start(t, cfgOf(prog("svc", "sleep 100", checked("true", config.HealthExec, nil))))
	waitState(t, s, "svc", process.Running, 5*time.Second)
	waitHealth(t, s, "svc", HealthHealthy)
	if err := s.StopProcess(context.Background(), "svc", true); err != nil {
		t.Fatal(err)
	}
	if ps := statsOf(t, s, "svc"); ps.Health != HealthStarting || ps.State != process.Stopped {
		t.Errorf("stopped: %+v", ps)
	}
}

// A check printing several lines is one WARN line in the activity log
// (tools read the log a line per entry); the health struct keeps it whole.
func TestHealthOutputOneLogLine(t *testing.T) {
	s, log := start(t, cfgOf(prog("app", "sleep 30", checked(`sh -c 'echo first; echo second; exit 1'`, config.HealthExec,
		func(h *config.HealthCheck) { h.Retries, h.Action = 1, config.HealthNone }))))
	waitHealth(t, s, "app", HealthUnhealthy)
	log.waitLine(t, "WARN app is unhealthy: first | second", 10*time.Second)
	for _, l := range log.snapshot() {
		if strings.HasPrefix(l, "second") {
			t.Errorf("a log line starts with the check's second line:\n%s", strings.Join(log.snapshot(), "\n"))
		}
	}
	if ps := statsOf(t, s, "app"); ps.HealthOutput != "first\nsecond" {
		t.Errorf("health output %q, want both lines", ps.HealthOutput)
	}
}
