package supervisor

import (
	"context"
	"errors"
	"testing"
	"time"

	"super/core/config"
	"super/core/process"
)

// Alive answers while the loop goes round and fails while it is stuck (a
// watchdog built on it stops pinging a hung engine); StateCounts counts
// what the loop owns.
func TestAliveFailsWhileTheLoopIsStuck(t *testing.T) {
	cfg := cfgOf(
		prog("idle1", "/bin/sleep 1000", func(c *config.ProcessConfig) { c.Autostart = false }),
		prog("idle2", "/bin/sleep 1000", func(c *config.ProcessConfig) { c.Autostart = false }),
	)
	s, _ := start(t, cfg)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.Alive(ctx); err != nil {
		t.Fatalf("Alive on a running loop: %v", err)
	}
	counts, err := s.StateCounts(ctx)
	if err != nil || counts[process.Stopped] != 2 || len(counts) != 1 {
		t.Fatalf("StateCounts = %v, %v; want 2 STOPPED only", counts, err)
	}

	// A subscriber that blocks holds the loop (subscribers run on it):
	// the loop is stuck until unblock is closed.
	unblock := make(chan struct{})
	stuck := make(chan struct{})
	cancelSub := s.Subscribe(func(e Event) {
		if e.Type == GroupAdded {
			close(stuck)
			<-unblock
		}
	})
	defer cancelSub()
	added := make(chan error, 1)
	go func() {
		added <- s.AddGroup(&config.GroupConfig{Name: "late", Priority: 999, Processes: []*config.ProcessConfig{
			prog("late", "/bin/sleep 1000", func(c *config.ProcessConfig) { c.Autostart = false }),
		}})
	}()
	<-stuck
	short, cancelShort := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancelShort()
	if err := s.Alive(short); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Alive while the loop is stuck = %v, want the deadline's error", err)
	}
	close(unblock)
	if err := <-added; err != nil {
		t.Fatalf("AddGroup: %v", err)
	}
	if err := s.Alive(ctx); err != nil {
		t.Fatalf("Alive once the loop goes on: %v", err)
	}
	if counts, err := s.StateCounts(ctx); err != nil || counts[process.Stopped] != 3 {
		t.Fatalf("StateCounts after adding a group = %v, %v; want 3 STOPPED", counts, err)
	}
}

// Alive after Run has returned is SHUTDOWN_STATE, not a hang.
func TestAliveAfterRunReturned(t *testing.T) {
	s := New(cfgOf(), Deps{})
	errc := make(chan error, 1)
	go func() { errc <- s.Run(context.Background()) }()
	<-s.Ready()
	s.Shutdown()
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	err := s.Alive(context.Background())
	var f *Error
	if !errors.As(err, &f) || f.Fault != ShutdownState {
		t.Fatalf("Alive after Run returned = %v, want SHUTDOWN_STATE", err)
	}
}

// The events a service manager follows: SupervisorStarted after the first
// pass, and SupervisorStopping saying whether it is a restart.
func TestStartedAndStoppingEvents(t *testing.T) {
	evs := make(chan Event, 16)
	s := New(cfgOf(prog("now", "/bin/sleep 1000", func(c *config.ProcessConfig) { c.Startsecs = 0 })), Deps{})
	s.Subscribe(func(e Event) {
		if e.Type == SupervisorStarted || e.Type == SupervisorStopping {
			evs <- e
		}
	})
	errc := make(chan error, 1)
	go func() { errc <- s.Run(context.Background()) }()
	e := <-evs
	if e.Type != SupervisorStarted {
		t.Fatalf("first event %+v, want SupervisorStarted", e)
	}
	// The first pass is done: with startsecs=0 the program is RUNNING.
	if st := state(t, s, "now"); st != process.Running {
		t.Fatalf("at SupervisorStarted the program is %v, want RUNNING", st)
	}
	s.Restart()
	if err := <-errc; !errors.Is(err, ErrRestart) {
		t.Fatalf("Run after Restart = %v, want ErrRestart", err)
	}
	e = <-evs
	if e.Type != SupervisorStopping || !e.Restart {
		t.Fatalf("event after Restart %+v, want SupervisorStopping with Restart", e)
	}

	s2 := New(cfgOf(), Deps{})
	s2.Subscribe(func(e Event) {
		if e.Type == SupervisorStopping {
			evs <- e
		}
	})
	go func() { errc <- s2.Run(context.Background()) }()
	<-s2.Ready()
	s2.Shutdown()
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	if e := <-evs; e.Restart {
		t.Fatalf("SupervisorStopping of a shutdown says Restart")
	}
}
