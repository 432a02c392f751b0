package supervisor

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"super/core/config"
	"super/core/process"
)

// halfWorld starts children in two halves, as the Launcher's Start does,
// and records how many starts were under way at once.
type halfWorld struct {
	*fakeWorld
	underWay, most int
	atRequest      int           // starts under way when the request ran; -1 before
	senderReady    chan struct{} // closed when the request is about to be sent
}

func (h *halfWorld) Start(p *process.Process) func() (process.Child, error) {
	h.underWay++
	h.most = max(h.most, h.underWay)
	return func() (process.Child, error) {
		if p.Name() == "p55" { // fifth in priority order
			// Let the request's sender get going before the pass goes on.
			select {
			case <-h.senderReady:
			case <-time.After(5 * time.Second):
			}
		}
		runtime.Gosched()
		h.underWay--
		return h.Spawn(p)
	}
}

// A pass that starts many programs overlaps consecutive starts, at most
// spawnWindow at once, and still logs them in priority order; a request
// arriving meanwhile is served during the pass with no start half done;
// nothing is left under way when the pass ends (the reaper comes next).
func TestPassOverlapsStarts(t *testing.T) {
	const n = 60
	var progs []*config.ProcessConfig
	for i := range n {
		// Priorities against name order: the log must follow priority.
		progs = append(progs, prog(fmt.Sprintf("p%02d", i), "x", priority(1000-i)))
	}
	h := &halfWorld{atRequest: -1, senderReady: make(chan struct{})}
	w := newFakeWorldWith(t, cfgOf(progs...), func(w *fakeWorld) process.Spawner {
		h.fakeWorld = w
		return h
	})
	served := make(chan struct{})
	go func() {
		close(h.senderReady)
		w.s.reqs <- func() {
			h.atRequest = h.underWay
			close(served)
		}
	}()
	w.pass()
	select {
	case <-served:
	default:
		t.Fatal("the request waited for the whole pass")
	}
	if h.atRequest != 0 {
		t.Errorf("the request ran with %d starts under way", h.atRequest)
	}
	if h.underWay != 0 {
		t.Errorf("%d starts under way after the pass", h.underWay)
	}
	if h.most != spawnWindow {
		t.Errorf("at most %d starts under way at once, want %d", h.most, spawnWindow)
	}
	var spawned []string
	for _, l := range w.log.snapshot() {
		if strings.HasPrefix(l, "INFO spawned: ") {
			spawned = append(spawned, l)
		}
	}
	if len(spawned) != n {
		t.Fatalf("%d spawned lines, want %d", len(spawned), n)
	}
	for i, l := range spawned {
		want := fmt.Sprintf("INFO spawned: 'p%02d' with pid %d", n-1-i, 1001+i)
		if l != want {
			t.Fatalf("spawned line %d is %q, want %q", i, l, want)
		}
	}
	for _, p := range progs {
		if q := w.proc(p.Name); q.State() != process.Starting || w.s.pids[q.Pid()] != q {
			t.Errorf("%s: %s, pid %d tracked %v", p.Name, q.State(), q.Pid(), w.s.pids[q.Pid()] == q)
		}
	}
}

// Groups run in priority order, those of equal priority in the order they
// were added (config order, then groups added later), as a stable sort of
// all of them would put them.
func TestGroupOrderIsStable(t *testing.T) {
	var progs []*config.ProcessConfig
	for i, prio := range []int{5, 1, 5, 3, 1, 999, 3} {
		progs = append(progs, prog(fmt.Sprintf("g%d", i), "x", priority(prio)))
	}
	w := newFakeWorld(t, cfgOf(progs...))
	w.s.addGroup(&config.GroupConfig{Name: "late", Priority: 3, Processes: []*config.ProcessConfig{prog("late", "x", priority(3))}})
	w.s.addGroup(&config.GroupConfig{Name: "first", Priority: 0, Processes: []*config.ProcessConfig{prog("first", "x", priority(0))}})
	var got []string
	for _, g := range w.s.order {
		got = append(got, g.cfg.Name)
	}
	if want := "first g1 g4 g3 g6 late g0 g2 g5"; strings.Join(got, " ") != want {
		t.Errorf("order %q, want %q", strings.Join(got, " "), want)
	}
}

// A process that depends on one whose start is under way is looked at
// once that start is finished: the log says "spawned" before "waiting
// for", as when starts were made one after the other.
func TestPassFinishesStartsBeforeDependents(t *testing.T) {
	db := prog("db", "x", priority(10))
	web := prog("web", "x", priority(20), dependsOn("db"))
	h := &halfWorld{atRequest: -1, senderReady: make(chan struct{})}
	close(h.senderReady)
	w := newFakeWorldWith(t, cfgOf(db, web), func(w *fakeWorld) process.Spawner {
		h.fakeWorld = w
		return h
	})
	w.pass()
	spawned := w.log.index("INFO spawned: 'db' with pid 1001")
	waiting := w.log.index("INFO waiting for db to be ready before starting web")
	if spawned < 0 || waiting < 0 || spawned > waiting {
		t.Errorf("log lines at %d (spawned) and %d (waiting):\n%s", spawned, waiting, strings.Join(w.log.snapshot(), "\n"))
	}
}
