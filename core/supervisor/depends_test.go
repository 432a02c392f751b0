package supervisor

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"super/core/config"
	"super/core/process"
)

// fakeWorld drives a Supervisor's decisions without children or a loop:
// the test goroutine plays the loop, processes spawn fake children on a
// fake clock, and stop signals are recorded instead of sent.
type fakeWorld struct {
	s     *Supervisor
	log   *memLog
	now   time.Time
	pid   int
	fail  bool     // spawns fail
	kills []string // "name SIGNAL", in order
	names map[int]string
}

type fakeKid struct{ pid int }

func (k fakeKid) Pid() int  { return k.pid }
func (k fakeKid) Finished() {}

func (w *fakeWorld) Spawn(p *process.Process) (process.Child, error) {
	if w.fail {
		return nil, errors.New("no such file")
	}
	w.pid++
	w.names[w.pid] = p.Name()
	return fakeKid{w.pid}, nil
}

// newFakeWorld builds cfg's groups with fake processes; nothing runs.
func newFakeWorld(t testing.TB, cfg *config.Config) *fakeWorld {
	return newFakeWorldWith(t, cfg, nil)
}

// newFakeWorldWith is newFakeWorld with the processes' Spawner made by
// spawner from the world (nil: the world itself).
func newFakeWorldWith(t testing.TB, cfg *config.Config, spawner func(*fakeWorld) process.Spawner) *fakeWorld {
	t.Helper()
	w := &fakeWorld{log: &memLog{}, now: time.Unix(100000, 0), pid: 1000, names: map[int]string{}}
	var sp process.Spawner = w
	if spawner != nil {
		sp = spawner(w)
	}
	s := New(cfg, Deps{Logger: w.log})
	s.setup()
	t.Cleanup(s.autoLogs.stop)
	for _, g := range s.order {
		for _, p := range g.procs {
			p.Process = process.New(p.Config, process.Options{
				Now:     func() time.Time { return w.now },
				Log:     w.log,
				Spawner: sp,
				Kill: func(pid int, sig syscall.Signal) error {
					w.kills = append(w.kills, w.names[pid]+" "+process.SignalName(sig))
					return nil
				},
				Notify: s.onChange,
			})
		}
	}
	w.s = s
	return w
}

func (w *fakeWorld) proc(name string) *proc {
	g, n := SplitNamespec(name)
	return w.s.groups[g].proc(n)
}

// pass is one transition pass, as the loop makes them.
func (w *fakeWorld) pass() { w.s.transition() }

// elapse moves the clock on.
func (w *fakeWorld) elapse(d time.Duration) { w.now = w.now.Add(d) }

// exit reaps name's child with exit code code (or killed by sig when
// sig != 0), as the reaper does.
func (w *fakeWorld) exit(name string, code int, sig syscall.Signal) {
	p := w.proc(name)
	ws := syscall.WaitStatus(code << 8)
	if sig != 0 {
		ws = syscall.WaitStatus(sig)
	}
	delete(w.s.pids, p.Pid())
	p.countExit(ws)
	p.Finish(ws)
}

// running brings name to RUNNING: spawn, then startsecs pass.
func (w *fakeWorld) running(name string) {
	p := w.proc(name)
	w.s.spawn(p)
	w.elapse(time.Duration(p.Config.Startsecs)*time.Second + time.Millisecond)
	p.Transition(w.s.mood)
	if p.State() != process.Running {
		panic(name + " is " + p.State().String())
	}
}

func (w *fakeWorld) lines(level string) []string {
	var out []string
	for _, l := range w.log.snapshot() {
		if strings.HasPrefix(l, level+" ") {
			out = append(out, strings.TrimPrefix(l, level+" "))
		}
	}
	return out
}

func dependsOn(deps ...string) func(*config.ProcessConfig) {
	return func(c *config.ProcessConfig) {
		for _, d := range deps {
			g, p, _ := strings.Cut(d, ":")
			c.DependsOn = append(c.DependsOn, config.Dependency{Group: g, Process: p})
		}
	}
}

func priority(n int) func(*config.ProcessConfig) {
	return func(c *config.ProcessConfig) { c.Priority = n }
}

// The gate: web depends on db and comes first in priority order; what db's
// state makes of web's automatic start, and what the log says about it.
func TestDependencyGate(t *testing.T) {
	withHealth := func(c *config.ProcessConfig) { c.Healthcheck = &config.HealthCheck{Kind: config.HealthTCP} }
	for _, tc := range []struct {
		name    string
		dbMod   func(*config.ProcessConfig)
		webMod  func(*config.ProcessConfig)
		prep    func(w *fakeWorld)
		started bool   // web spawned by the pass
		warn    string // the WARN line saying the wait is in vain ("" none)
	}{
		{name: "db not started yet", prep: func(w *fakeWorld) {}},
		{name: "db starting", prep: func(w *fakeWorld) { w.s.spawn(w.proc("db")) }},
		{name: "db running", prep: func(w *fakeWorld) { w.running("db") }, started: true},
		{name: "db running, health starting", dbMod: withHealth,
			prep: func(w *fakeWorld) { w.running("db") }},
		{name: "db running and healthy", dbMod: withHealth,
			prep: func(w *fakeWorld) { w.running("db"); w.proc("db").health = HealthHealthy }, started: true},
		{name: "db running, unhealthy", dbMod: withHealth,
			prep: func(w *fakeWorld) { w.running("db"); w.proc("db").health = HealthUnhealthy }},
		{name: "db backoff", prep: func(w *fakeWorld) {
			w.fail = true
			w.s.spawn(w.proc("db"))
			w.fail = false
		}},
		{name: "db fatal", prep: func(w *fakeWorld) {
			w.fail = true
			w.s.spawn(w.proc("db"))
			w.proc("db").GiveUp()
		}, warn: "not starting web: its dependency db is FATAL"},
		{name: "db exited for good", dbMod: func(c *config.ProcessConfig) { c.Autorestart = config.RestartNever },
			prep: func(w *fakeWorld) { w.running("db"); w.exit("db", 0, 0) },
			warn: "not starting web: its dependency db is EXITED"},
		{name: "db not autostarted", dbMod: func(c *config.ProcessConfig) { c.Autostart = false },
			prep: func(w *fakeWorld) {}, warn: "not starting web: its dependency db is STOPPED"},
		{name: "db stopped by a user", prep: func(w *fakeWorld) {
			w.running("db")
			w.proc("db").Stop()
			w.exit("db", 0, syscall.SIGTERM)
		}, warn: "not starting web: its dependency db is STOPPED"},
		{name: "web started before (only the first automatic start waits)",
			prep: func(w *fakeWorld) {
				web := w.proc("web")
				w.s.spawn(web)
				web.Stop()
				w.exit("web", 0, syscall.SIGTERM)
				// STOPPED again with a start behind it: 4.2 never starts
				// it on its own, so there is nothing to hold.
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := prog("db", "db", priority(20))
			if tc.dbMod != nil {
				tc.dbMod(db)
			}
			web := prog("web", "web", priority(10), dependsOn("db"))
			w := newFakeWorld(t, cfgOf(db, web))
			w.s.resolveDeps()
			tc.prep(w)
			webProc := w.proc("web")
			startsBefore := webProc.starts
			w.pass()
			if got := webProc.starts > startsBefore; got != tc.started {
				t.Fatalf("web started: %v, want %v (state %s); log:\n%s", got, tc.started, webProc.State(),
					strings.Join(w.log.snapshot(), "\n"))
			}
			held := !tc.started && tc.name != "web started before (only the first automatic start waits)"
			waiting := slices.Contains(w.lines("INFO"), "waiting for db to be ready before starting web")
			if waiting != held {
				t.Errorf("waiting line logged: %v, want %v; log:\n%s", waiting, held, strings.Join(w.log.snapshot(), "\n"))
			}
			var warns []string
			for _, l := range w.lines("WARN") {
				if strings.HasPrefix(l, "not starting web") {
					warns = append(warns, l)
				}
			}
			switch {
			case tc.warn == "" && len(warns) > 0:
				t.Errorf("unexpected %q", warns)
			case tc.warn != "" && !slices.Equal(warns, []string{tc.warn}):
				t.Errorf("warnings %q, want %q", warns, tc.warn)
			}
			// More passes say nothing more: one line per wait, not per pass.
			n := len(w.log.snapshot())
			w.pass()
			w.pass()
			if tc.started {
				return
			}
			if extra := w.log.snapshot()[n:]; len(extra) > 0 {
				t.Errorf("later passes logged %q", extra)
			}
			// A held start is no deadline: the loop sleeps until an event.
			if d := w.s.nextDeadline(); held && !d.IsZero() && !d.After(w.now) {
				t.Errorf("next deadline %v with web held: the loop would spin", d)
			}
		})
	}
}

// The wait ends with the dependencies' readiness: every one of them, a
// whole group meaning each of its processes.
func TestDependencyGateWaitsForAll(t *testing.T) {
	cache := prog("cache", "cache", priority(30))
	db := prog("db", "db", priority(30))
	pool := &config.GroupConfig{Name: "pool", Priority: 40, Processes: []*config.ProcessConfig{
		prog("p1", "p1", func(c *config.ProcessConfig) { c.Group = "pool" }),
		prog("p2", "p2", func(c *config.ProcessConfig) { c.Group = "pool"; c.Startsecs = 5 }),
	}}
	web := prog("web", "web", priority(1), dependsOn("db", "cache", "pool"))
	cfg := cfgOf(cache, db, web)
	cfg.Groups = append(cfg.Groups, pool)
	w := newFakeWorld(t, cfg)
	w.pass() // everything but web starts
	for _, n := range []string{"cache", "db", "pool:p1", "pool:p2"} {
		if st := w.proc(n).State(); st != process.Starting {
			t.Fatalf("%s is %s after the first pass", n, st)
		}
	}
	w.elapse(2 * time.Second)
	w.pass()
	w.pass()
	if st := w.proc("pool:p2").State(); st != process.Starting {
		t.Fatalf("pool:p2 is %s", st)
	}
	if st := w.proc("web").State(); st != process.Stopped {
		t.Fatalf("web is %s while pool:p2 is STARTING", st)
	}
	w.elapse(4 * time.Second)
	w.pass()
	w.pass()
	if st := w.proc("web").State(); st != process.Starting {
		t.Fatalf("web is %s once all it depends on runs", st)
	}
}

// A dependency that becomes ready during a pass, after its dependent was
// looked at, makes the next pass due at once (no wait for another event).
func TestDependencyReadyLateInPassWantsAnotherPass(t *testing.T) {
	db := prog("db", "db", priority(20))
	web := prog("web", "web", priority(10), dependsOn("db"))
	w := newFakeWorld(t, cfgOf(db, web))
	w.pass() // db STARTING, web held
	w.elapse(2 * time.Second)
	w.pass() // db RUNNING after web was looked at
	if st := w.proc("db").State(); st != process.Running {
		t.Fatalf("db is %s", st)
	}
	if st := w.proc("web").State(); st != process.Stopped {
		t.Fatalf("web is %s: the pass looked at web after db", st)
	}
	if d := w.s.nextDeadline(); d.IsZero() || d.After(w.now) {
		t.Fatalf("next deadline %v, want now (%v): web may start", d, w.now)
	}
	w.pass()
	if st := w.proc("web").State(); st != process.Starting {
		t.Fatalf("web is %s after the next pass", st)
	}
}

// A manual start is never held.
func TestManualStartIsNotGated(t *testing.T) {
	db := prog("db", "db", priority(20), func(c *config.ProcessConfig) { c.Autostart = false })
	web := prog("web", "sleep 1", priority(10), dependsOn("db"))
	w := newFakeWorld(t, cfgOf(db, web))
	w.pass()
	if st := w.proc("web").State(); st != process.Stopped {
		t.Fatalf("web is %s", st)
	}
	if _, err := w.s.startOne("web", w.proc("web"), false); err != nil {
		t.Fatal(err)
	}
	if st := w.proc("web").State(); st != process.Starting {
		t.Fatalf("web is %s after a start request", st)
	}
}

// Shutdown order: a process is signalled only once those depending on it
// have stopped, whatever their priorities; without depends_on, 4.2's
// reverse priority order, one group after the other.
func TestShutdownStopOrder(t *testing.T) {
	for _, tc := range []struct {
		name  string
		procs []*config.ProcessConfig
		want  [][]string // stop signals sent in each round; a round ends when those stopped
	}{
		{
			name: "no dependencies: reverse priority",
			procs: []*config.ProcessConfig{
				prog("web", "web", priority(10)),
				prog("db", "db", priority(20)),
			},
			want: [][]string{{"db SIGTERM"}, {"web SIGTERM"}},
		},
		{
			name: "dependent has the lower priority",
			procs: []*config.ProcessConfig{
				prog("web", "web", priority(10), dependsOn("db")),
				prog("db", "db", priority(20)),
			},
			want: [][]string{{"web SIGTERM"}, {"db SIGTERM"}},
		},
		{
			name: "chain against priority",
			procs: []*config.ProcessConfig{
				prog("a", "a", priority(1), dependsOn("b")),
				prog("b", "b", priority(2), dependsOn("c")),
				prog("c", "c", priority(3)),
			},
			want: [][]string{{"a SIGTERM"}, {"b SIGTERM"}, {"c SIGTERM"}},
		},
		{
			name: "two dependents",
			procs: []*config.ProcessConfig{
				prog("api", "api", priority(1), dependsOn("db")),
				prog("worker", "worker", priority(2), dependsOn("db")),
				prog("db", "db", priority(3)),
				prog("other", "other", priority(4)),
			},
			want: [][]string{{"other SIGTERM"}, {"api SIGTERM", "worker SIGTERM"}, {"db SIGTERM"}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newFakeWorld(t, cfgOf(tc.procs...))
			for range 8 {
				w.pass()
				w.elapse(2 * time.Second)
			}
			for _, pc := range tc.procs {
				if st := w.proc(pc.Name).State(); st != process.Running {
					t.Fatalf("%s is %s", pc.Name, st)
				}
			}
			w.s.mood = process.MoodShutdown
			var rounds [][]string
			for range 10 {
				w.kills = nil
				done := w.s.shutdownStep()
				if done {
					break
				}
				if len(w.kills) == 0 {
					t.Fatalf("shutdown stalled after %v", rounds)
				}
				rounds = append(rounds, w.kills)
				for _, k := range w.kills {
					name, _, _ := strings.Cut(k, " ")
					w.exit(name, 0, syscall.SIGTERM)
				}
			}
			if fmt.Sprint(rounds) != fmt.Sprint(tc.want) {
				t.Errorf("stop rounds %v, want %v", rounds, tc.want)
			}
		})
	}
}

// stopAllProcesses sends a process's stop signal once the processes
// depending on it have stopped (real children, the real loop), whether
// the request waits for the stops or not.
func TestStopAllWaitsForDependents(t *testing.T) {
	for _, wait := range []bool{true, false} {
		t.Run(fmt.Sprintf("wait=%v", wait), func(t *testing.T) {
			// web takes a moment to exit after SIGTERM: were db signalled
			// with it, db would stop first.
			web := prog("web", `sh -c 'trap "sleep 0.3; exit 0" TERM; while :; do sleep 0.05; done'`,
				priority(10), dependsOn("db"), func(c *config.ProcessConfig) { c.Startsecs = 0 })
			db := prog("db", "sleep 300", priority(20), func(c *config.ProcessConfig) { c.Startsecs = 0 })
			s, log := start(t, cfgOf(web, db))
			waitState(t, s, "web", process.Running, 10*time.Second)
			res, err := s.StopAll(context.Background(), wait)
			if err != nil {
				t.Fatal(err)
			}
			if len(res) != 2 {
				t.Errorf("results %+v", res)
			}
			for _, r := range res {
				if r.Status != Success {
					t.Errorf("%+v", r)
				}
			}
			if !wait {
				waitState(t, s, "db", process.Stopped, 10*time.Second)
			}
			webStopped, dbKilled := -1, -1
			for i, l := range log.snapshot() {
				switch {
				case strings.HasPrefix(l, "DEBG killing db "):
					dbKilled = i
				case strings.HasPrefix(l, "INFO stopped: web "), strings.HasPrefix(l, "WARN stopped: web "):
					webStopped = i
				}
			}
			if webStopped < 0 || dbKilled < 0 || dbKilled < webStopped {
				t.Fatalf("want web stopped before db signalled; log:\n%s", strings.Join(log.snapshot(), "\n"))
			}
			if st := state(t, s, "db"); st != process.Stopped {
				t.Errorf("db is %s after stopAllProcesses", st)
			}
		})
	}
}

// The relations follow the groups: a group added later (update) is held
// by a dependency already there, and one whose dependency was removed
// waits, saying so.
func TestDependencyResolvedOnGroupChange(t *testing.T) {
	db := prog("db", "db", priority(20))
	w := newFakeWorld(t, cfgOf(db))
	w.running("db")
	web := prog("web", "web", priority(10), dependsOn("db"))
	add := func(pc *config.ProcessConfig) *proc {
		w.s.addGroup(&config.GroupConfig{Name: pc.Group, Priority: pc.Priority, Processes: []*config.ProcessConfig{pc}})
		p := w.proc(pc.Name)
		p.Process = process.New(pc, process.Options{Now: func() time.Time { return w.now }, Log: w.log, Spawner: w,
			Kill: func(int, syscall.Signal) error { return nil }, Notify: w.s.onChange})
		return p
	}
	add(web)
	w.pass()
	if st := w.proc("web").State(); st != process.Starting {
		t.Fatalf("web added with db RUNNING is %s", st)
	}
	// db goes; a new dependent of it waits and says why.
	w.proc("db").Stop()
	w.exit("db", 0, syscall.SIGTERM)
	if !w.s.removeGroup("db") {
		t.Fatal("db not removed")
	}
	api := add(prog("api", "api", priority(5), dependsOn("db")))
	w.pass()
	if st := api.State(); st != process.Stopped {
		t.Fatalf("api is %s with db gone", st)
	}
	if w.log.count("WARN not starting api: its dependency db is not configured") != 1 {
		t.Errorf("log:\n%s", strings.Join(w.log.snapshot(), "\n"))
	}
	if d := w.s.nextDeadline(); !d.IsZero() && !d.After(w.now) {
		t.Errorf("next deadline %v with api held: the loop would spin", d)
	}
}

// One transition pass and deadline over 500 RUNNING programs, without
// depends_on (4.2 configs) and with every program depending on the one
// before it.
func BenchmarkPassWithDependencies(b *testing.B) {
	for _, chained := range []bool{false, true} {
		b.Run(fmt.Sprintf("chained=%v", chained), func(b *testing.B) {
			var procs []*config.ProcessConfig
			for i := range 500 {
				pc := prog(fmt.Sprintf("p%03d", i), "x", priority(i))
				if chained && i > 0 {
					dependsOn(fmt.Sprintf("p%03d", i-1))(pc)
				}
				procs = append(procs, pc)
			}
			w := newFakeWorld(b, cfgOf(procs...))
			for range 1000 {
				w.pass()
				w.elapse(2 * time.Second)
			}
			for _, pc := range procs {
				if st := w.proc(pc.Name).State(); st != process.Running {
					b.Fatalf("%s is %s", pc.Name, st)
				}
			}
			b.ResetTimer()
			for range b.N {
				w.pass()
				w.s.nextDeadline()
			}
		})
	}
}

// A dependent started again while stopAllProcesses holds its dependency's
// stop signal: the request does not wait for it forever but stops the
// dependency, as 4.2 would, and says why.
func TestStopAllDependentStartedAgain(t *testing.T) {
	web := prog("web", "web", priority(10), dependsOn("db"))
	db := prog("db", "db", priority(20))
	w := newFakeWorld(t, cfgOf(web, db))
	w.s.mood = process.MoodRunning
	w.running("db")
	w.running("web")
	w.s.resolveDeps()
	stop := w.s.depStopper(false)
	for _, name := range []string{"db", "web"} { // 4.2's reverse priority order
		if _, err := stop(name, w.proc(name)); err != nil {
			t.Fatal(err)
		}
	}
	w.s.checkWaiters()
	if !reflect.DeepEqual(w.kills, []string{"web SIGTERM"}) {
		t.Fatalf("signals %v, want web's only while it runs", w.kills)
	}
	w.elapse(time.Second)
	w.exit("web", 0, syscall.SIGTERM)
	// Before the held stop goes out, another client starts web again.
	w.s.spawn(w.proc("web"))
	w.s.checkWaiters()
	if !reflect.DeepEqual(w.kills, []string{"web SIGTERM", "db SIGTERM"}) {
		t.Fatalf("signals %v: db's stop still held", w.kills)
	}
	if len(w.s.waits) != 0 {
		t.Errorf("%d waiters left", len(w.s.waits))
	}
	if n := w.log.count("INFO stopping db although web, which depends on it, was started again"); n != 1 {
		t.Errorf("log:\n%s", strings.Join(w.log.snapshot(), "\n"))
	}
}
