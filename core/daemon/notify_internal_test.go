package daemon

import (
	"context"
	"sync"
	"testing"
	"time"

	"super/core/process"
	"super/core/supervisor"
	"super/core/testbin"
)

// hangableEngine answers Alive at once, except while hung: then Alive
// waits for its deadline, as the real engine's does when its loop is stuck
// (supervisor's TestAliveFailsWhileTheLoopIsStuck).
type hangableEngine struct {
	mu   sync.Mutex
	hung bool
}

func (e *hangableEngine) Subscribe(func(supervisor.Event)) func() { return func() {} }

func (e *hangableEngine) StateCounts(context.Context) (map[process.State]int, error) {
	return map[process.State]int{process.Running: 1}, nil
}

func (e *hangableEngine) Alive(ctx context.Context) error {
	e.mu.Lock()
	hung := e.hung
	e.mu.Unlock()
	if hung {
		<-ctx.Done()
		return ctx.Err()
	}
	return nil
}

func (e *hangableEngine) setHung(h bool) {
	e.mu.Lock()
	e.hung = h
	e.mu.Unlock()
}

// The watchdog pings only while the engine answers: a stuck engine gets
// no WATCHDOG=1 (so the service manager restarts the daemon), and the
// pings resume when it answers again.
func TestWatchdogStopsWhileTheEngineHangs(t *testing.T) {
	sock := testbin.ListenNotify(t, t.TempDir())
	t.Setenv("NOTIFY_SOCKET", sock.Path)
	t.Setenv("WATCHDOG_USEC", "40000") // a ping every 20 ms
	n := startNotifier(func(f string, a ...any) { t.Errorf("warning: "+f, a...) })
	if n == nil {
		t.Fatal("no notifier with NOTIFY_SOCKET set")
	}
	defer n.close()
	engine := &hangableEngine{}
	detach := n.attach(engine)
	defer detach()

	ping := func(m testbin.NotifyMsg) bool { return m.Text == "WATCHDOG=1" }
	for range 3 {
		sock.WaitFor(t, "WATCHDOG=1", 10*time.Second, ping)
	}
	engine.setHung(true)
	// One ping may be on its way: its Alive answered before the hang.
	// After it, none for ten intervals (five times the service manager's
	// timeout would have killed the daemon).
	pings := 0
	deadline := time.Now().Add(200 * time.Millisecond)
	for left := time.Until(deadline); left > 0; left = time.Until(deadline) {
		if m, ok := sock.Next(left); ok && ping(m) {
			pings++
		}
	}
	if pings > 1 {
		t.Errorf("%d WATCHDOG=1 while the engine was stuck", pings)
	}
	engine.setHung(false)
	sock.WaitFor(t, "WATCHDOG=1 once the engine answers again", 10*time.Second, ping)
}

// WATCHDOG_PID naming another process means the watchdog is not ours
// (sd_watchdog_enabled): no pings.
func TestWatchdogForAnotherPid(t *testing.T) {
	sock := testbin.ListenNotify(t, t.TempDir())
	t.Setenv("NOTIFY_SOCKET", sock.Path)
	t.Setenv("WATCHDOG_USEC", "40000")
	t.Setenv("WATCHDOG_PID", "1")
	n := startNotifier(func(f string, a ...any) { t.Errorf("warning: "+f, a...) })
	if n == nil {
		t.Fatal("no notifier with NOTIFY_SOCKET set")
	}
	if every := n.n.WatchdogInterval(); every != 0 {
		t.Errorf("watchdog every %v for WATCHDOG_PID=1", every)
	}
	n.close()
	// close announces the end.
	m, ok := sock.Next(10 * time.Second)
	if !ok || m.Fields()["STOPPING"] != "1" {
		t.Errorf("got %q, want STOPPING=1", m.Text)
	}
}

func TestFormatStatus(t *testing.T) {
	for _, c := range []struct {
		counts map[process.State]int
		want   string
	}{
		{map[process.State]int{}, "no programs"},
		{map[process.State]int{process.Fatal: 1, process.Running: 12}, "12 running, 1 fatal"},
		{map[process.State]int{process.Stopped: 2, process.Starting: 1, process.Backoff: 1, process.Exited: 3},
			"1 starting, 1 backoff, 3 exited, 2 stopped"},
	} {
		if got := formatStatus(c.counts); got != c.want {
			t.Errorf("formatStatus(%v) = %q, want %q", c.counts, got, c.want)
		}
	}
}
