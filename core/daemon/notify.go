package daemon

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"super/core/process"
	"super/core/sdnotify"
	"super/core/supervisor"
)

// serviceNotifier tells the service manager (systemd, Type=notify) about
// the daemon's life, when it was started with NOTIFY_SOCKET set:
//
//   - READY=1 once the servers listen and the first start pass is done,
//   - RELOADING=1 when a restart (SIGHUP, supervisor.restart) begins and
//     READY=1 again when the new configuration's first pass is done,
//   - STOPPING=1 when the shutdown begins,
//   - STATUS= a one-line count of the processes by state, kept current
//     ("3 running, 1 fatal"; "Shutting down: 2 stopping, 2 stopped"),
//   - WATCHDOG=1 every half WATCHDOG_USEC, each time only after the engine's
//     loop has answered, so a hung loop stops the pings and the service
//     manager restarts the daemon.
//
// The engine's events arrive on its loop, which must never wait: they are
// queued here and sent by the notifier's own goroutine.
type serviceNotifier struct {
	n       *sdnotify.Notifier
	warn    func(format string, a ...any)
	failing atomic.Bool // the last send failed

	mu     sync.Mutex
	engine notifiedEngine // the running engine; nil between runs
	queue  []phase        // lifecycle notifications not sent yet, in order
	dirty  bool           // the status line may have changed
	ended  bool           // STOPPING=1 is queued or sent
	kick   chan struct{}  // something to send (capacity 1)

	quit chan struct{} // closed by close: flush and end
	done sync.WaitGroup
}

// notifiedEngine is what the notifier asks of the engine
// (*supervisor.Supervisor).
type notifiedEngine interface {
	Subscribe(fn func(supervisor.Event)) (cancel func())
	Alive(ctx context.Context) error
	StateCounts(ctx context.Context) (map[process.State]int, error)
}

// phase is where the daemon is in its life, as the service manager sees it.
type phase int

const (
	phaseReady     phase = iota // READY=1
	phaseReloading              // RELOADING=1
	phaseStopping               // STOPPING=1
)

// prefix leads the status line in that phase.
var prefix = map[phase]string{phaseReady: "", phaseReloading: "Reloading", phaseStopping: "Shutting down"}

// statusEvery bounds how often the status line is recomputed and sent
// while processes change state (hundreds of programs starting at once).
const statusEvery = 100 * time.Millisecond

// startNotifier returns the daemon's notifier, or nil when the daemon does
// not run under a service manager that asks for notifications. warn
// reports what cannot be sent.
func startNotifier(warn func(format string, a ...any)) *serviceNotifier {
	n, err := sdnotify.FromEnv()
	if err != nil {
		warn("not notifying the service manager: %v", err)
		return nil
	}
	if n == nil {
		return nil
	}
	s := &serviceNotifier{n: n, warn: warn, kick: make(chan struct{}, 1), quit: make(chan struct{})}
	s.done.Add(1)
	go s.sender()
	if every := n.WatchdogInterval(); every > 0 {
		s.done.Add(1)
		go s.watchdog(every)
	}
	return s
}

// attach follows engine until the returned function is called (after its
// Run has returned).
func (s *serviceNotifier) attach(engine notifiedEngine) (detach func()) {
	if s == nil {
		return func() {}
	}
	cancel := engine.Subscribe(func(e supervisor.Event) {
		switch e.Type {
		case supervisor.SupervisorStarted:
			s.push(phaseReady)
		case supervisor.SupervisorStopping:
			if e.Restart {
				s.push(phaseReloading)
			} else {
				s.push(phaseStopping)
			}
		case supervisor.ProcessState:
			s.push(-1)
		}
	})
	s.mu.Lock()
	s.engine = engine
	s.mu.Unlock()
	return func() {
		cancel()
		s.mu.Lock()
		s.engine = nil
		s.mu.Unlock()
	}
}

// push queues the notification of entering p (-1: none, only the status
// line may have changed). It never blocks.
func (s *serviceNotifier) push(p phase) {
	s.mu.Lock()
	if p >= 0 {
		s.queue = append(s.queue, p)
		s.ended = s.ended || p == phaseStopping
	}
	s.dirty = true
	s.mu.Unlock()
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// sender sends the queued notifications in order, each with its status
// line, then the status line again when the processes changed (at most
// every statusEvery).
func (s *serviceNotifier) sender() {
	defer s.done.Done()
	current := phaseReady // until told otherwise: starting up
	var last string       // the status line last sent
	var lastAt time.Time  // when it was computed
	for {
		quitting := false
		select {
		case <-s.kick:
		case <-s.quit:
			quitting = true
		}
		s.mu.Lock()
		queue, dirty, engine := s.queue, s.dirty, s.engine
		s.queue, s.dirty = nil, false
		s.mu.Unlock()
		for _, p := range queue {
			current = p
			var msg []string
			switch p {
			case phaseReady:
				msg = []string{"READY=1"}
			case phaseReloading:
				msg = []string{"RELOADING=1", fmt.Sprintf("MONOTONIC_USEC=%d", sdnotify.MonotonicUsec())}
			case phaseStopping:
				msg = []string{"STOPPING=1"}
			}
			if line, _ := s.statusLine(engine, current); line != "" {
				msg = append(msg, "STATUS="+line)
				last = line
			}
			s.send(msg...)
			lastAt = time.Now()
		}
		if quitting {
			return
		}
		if dirty && engine != nil && len(queue) == 0 {
			if wait := statusEvery - time.Since(lastAt); wait > 0 {
				select {
				case <-time.After(wait):
				case <-s.quit:
				}
			}
			// Once the engine no longer answers (it has stopped), the
			// last line stands.
			if line, ok := s.statusLine(engine, current); ok && line != last {
				s.send("STATUS=" + line)
				last = line
			}
			lastAt = time.Now()
		}
	}
}

// statusLine is the status to show in phase p: the processes by state,
// after the phase's name when it has one. Without an engine that answers
// it is the phase's name alone, and ok is false.
func (s *serviceNotifier) statusLine(engine notifiedEngine, p phase) (line string, ok bool) {
	counts := ""
	if engine != nil {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		c, err := engine.StateCounts(ctx)
		cancel()
		counts, ok = formatStatus(c), err == nil
	}
	switch {
	case !ok:
		return prefix[p], false
	case prefix[p] == "":
		return counts, true
	default:
		return prefix[p] + ": " + counts, true
	}
}

// watchdog sends WATCHDOG=1 every interval, each time only once the
// running engine's loop has answered a request within that interval.
// Between two runs of a restart no engine runs and nothing is sent: the
// gap is far shorter than the service manager's timeout.
func (s *serviceNotifier) watchdog(every time.Duration) {
	defer s.done.Done()
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-s.quit:
			return
		case <-tick.C:
		}
		s.mu.Lock()
		engine := s.engine
		s.mu.Unlock()
		if engine == nil {
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), every)
		err := engine.Alive(ctx)
		cancel()
		if err == nil {
			s.send("WATCHDOG=1")
		}
	}
}

// send sends one notification; a failure is reported once, until a send
// succeeds again (the watchdog would repeat it every few seconds).
func (s *serviceNotifier) send(assignments ...string) {
	err := s.n.Send(assignments...)
	if err != nil && !s.failing.Swap(true) {
		s.warn("%v", err)
	} else if err == nil {
		s.failing.Store(false)
	}
}

// close sends what is still queued, and STOPPING=1 when the daemon ends
// without having announced it (a stop signal between two runs, a restart
// whose configuration failed to load), then releases the socket.
func (s *serviceNotifier) close() {
	if s == nil {
		return
	}
	s.mu.Lock()
	if !s.ended {
		s.queue = append(s.queue, phaseStopping)
		s.ended = true
	}
	s.mu.Unlock()
	close(s.quit)
	s.done.Wait()
	s.n.Close()
}

// stateOrder is the order of the states in the status line: what runs,
// what is on its way, then what has ended.
var stateOrder = []process.State{
	process.Running, process.Starting, process.Backoff, process.Stopping,
	process.Exited, process.Fatal, process.Stopped, process.Unknown,
}

// formatStatus is the one-line count of processes by state, "12 running,
// 1 fatal", or "no programs".
func formatStatus(counts map[process.State]int) string {
	var parts []string
	for _, st := range stateOrder {
		if n := counts[st]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, strings.ToLower(st.String())))
		}
	}
	if len(parts) == 0 {
		return "no programs"
	}
	return strings.Join(parts, ", ")
}
