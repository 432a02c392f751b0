package supervisor

import (
	"context"

	"super/core/process"
)

// What a service manager asks of the engine while it runs (systemd's
// watchdog and status line, core/daemon/notify.go). These calls go through
// the loop like any request but are not work: they leave the releaser
// alone, so a watchdog ping every few seconds does not make the daemon
// collect and hand back its heap every few seconds.

// quietCall runs fn on the loop and returns its result, or gives up when
// ctx ends first (the loop is hung, or busy for longer than the caller can
// wait; fn may still run later, its result then goes nowhere).
func quietCall[T any](ctx context.Context, s *Supervisor, fn func() T) (T, error) {
	var zero T
	res := make(chan T, 1)
	select {
	case s.reqs <- func() { res <- fn() }:
	case <-s.done:
		return zero, fault(ShutdownState)
	case <-ctx.Done():
		return zero, ctx.Err()
	}
	select {
	case v := <-res:
		return v, nil
	case <-ctx.Done():
		return zero, ctx.Err()
	}
}

// Alive returns nil once the loop has taken and run an empty request: it
// is going round, not stuck in a transition, a reap or a request. It
// fails with SHUTDOWN_STATE when Run has returned and with ctx's error
// when the loop did not answer in time.
func (s *Supervisor) Alive(ctx context.Context) error {
	_, err := quietCall(ctx, s, func() struct{} { return struct{}{} })
	return err
}

// StateCounts returns how many processes are in each state.
func (s *Supervisor) StateCounts(ctx context.Context) (map[process.State]int, error) {
	return quietCall(ctx, s, func() map[process.State]int {
		counts := map[process.State]int{}
		for _, g := range s.order {
			for _, p := range g.procs {
				counts[p.State()]++
			}
		}
		return counts
	})
}
