package supervisor

import (
	"fmt"
	"sync"
	"syscall"
	"time"

	"super/core/notify"
	"super/core/process"
)

// The engine's side of sd_notify (notify=true, watchdog_secs; issue 22).
//
// The socket (core/notify) is made at the first spawn that needs it and
// kept until Run returns. Its reader goroutine queues each datagram and
// wakes the loop with one request for the whole queue; the loop alone
// looks the sender up and acts: READY=1 makes a STARTING notify=true
// process RUNNING (core/process/notify.go), STATUS= is kept for status,
// the web UI and super.*, STOPPING=1, RELOADING=1, ERRNO= and a MAINPID=
// other than the pid super started are logged, WATCHDOG=1 feeds the
// watchdog. Before reaping, the loop takes what is queued, so a READY=1
// sent just before the program exited counts.
//
// A datagram belongs to the process whose pid is the sender's or the
// nearest of its ancestors' among the pids super started; when that
// process has neither notify nor watchdog_secs, or there is none, the
// sender is a stranger: dropped, counted, and logged at debug level.
//
// The watchdog runs while a process is RUNNING: one time.AfterFunc per
// process, set for the deadline; a WATCHDOG=1 only moves the deadline,
// and the timer, when it fires early, is set again for what is left. A
// deadline passed is logged and the process restarted as an unhealthy
// one is (restartUnhealthy). WATCHDOG=trigger is a timeout at once;
// WATCHDOG_USEC= changes the timeout until the next spawn.

// notifyQueueMax bounds the datagrams waiting for the loop; more are
// dropped (counted as overflow) rather than held.
const notifyQueueMax = 1024

// notifyHub is the socket and what came through it.
type notifyHub struct {
	sock   *notify.Socket
	closed chan struct{} // closed before the socket closes: the reader stops waking the loop
	served chan struct{} // closed when the reader is done

	mu       sync.Mutex
	queue    []notify.Message // waiting for the loop
	woken    bool             // a drain request is on its way to the loop
	overflow uint64

	strangers uint64 // loop-owned: no notify process in the sender's ancestry
	accepted  uint64 // loop-owned: attributed to a process
}

// notifyState is one process's notify and watchdog state; loop-owned.
type notifyState struct {
	status   string // the last STATUS= since the spawn
	gen      uint64 // changes whenever the process enters or leaves RUNNING
	timeout  time.Duration
	last     time.Time // the last WATCHDOG=1, or entering RUNNING
	timer    *time.Timer
	timeouts int // watchdog timeouts since the daemon started
}

// NotifyStats are the notify socket's counters: datagrams read, and those
// dropped by reason.
type NotifyStats struct {
	Open      bool // the socket exists (some process needed it)
	Received  uint64
	Accepted  uint64
	Oversized uint64
	Malformed uint64
	Strangers uint64
	Overflow  uint64
}

// notifySocket is the Launcher's NotifySocket: the socket's address,
// made at the first call. It runs on the loop (a spawn's prepare).
func (s *Supervisor) notifySocket() (string, error) {
	if s.notif != nil {
		return s.notif.sock.Addr(), nil
	}
	sock, err := notify.Listen()
	if err != nil {
		return "", err
	}
	h := &notifyHub{sock: sock, closed: make(chan struct{}), served: make(chan struct{})}
	s.notif = h
	go func() {
		defer close(h.served)
		sock.Serve(func(m notify.Message) { s.queueNotify(h, m) })
	}()
	return sock.Addr(), nil
}

// queueNotify runs on the socket's reader: it queues m and makes sure a
// drain request is on its way to the loop.
func (s *Supervisor) queueNotify(h *notifyHub, m notify.Message) {
	h.mu.Lock()
	if len(h.queue) >= notifyQueueMax {
		h.overflow++
		h.mu.Unlock()
		return
	}
	h.queue = append(h.queue, m)
	wake := !h.woken
	h.woken = true
	h.mu.Unlock()
	if wake {
		select {
		case s.reqs <- s.drainNotify:
		case <-h.closed:
		case <-s.done:
		}
	}
}

// closeNotify removes the socket when Run ends.
func (s *Supervisor) closeNotify() {
	h := s.notif
	if h == nil {
		return
	}
	close(h.closed)
	h.sock.Close()
	<-h.served
}

// drainNotify handles every queued datagram, on the loop.
func (s *Supervisor) drainNotify() {
	h := s.notif
	if h == nil {
		return
	}
	h.mu.Lock()
	q := h.queue
	h.queue, h.woken = nil, false
	h.mu.Unlock()
	for i := range q {
		s.onNotify(&q[i])
	}
}

// notifySender is the process a datagram belongs to, nil for a stranger.
func (s *Supervisor) notifySender(m *notify.Message) *proc {
	for _, pid := range m.Ancestry {
		if p := s.pids[pid]; p != nil {
			if p.Config.Notify || p.Config.WatchdogSecs > 0 {
				return p
			}
			return nil
		}
	}
	return nil
}

func (s *Supervisor) onNotify(m *notify.Message) {
	h := s.notif
	p := s.notifySender(m)
	if p == nil {
		h.strangers++
		s.log.Debug("dropped a notify message from pid %d (uid %d): not from a notify or watchdog program of this supervisord", m.Pid, m.UID)
		return
	}
	h.accepted++
	st := p.notifyState()
	name := p.Name()
	if m.HasStatus {
		st.status = m.Status
		s.log.Debug("%s status: %s", name, m.Status)
	}
	if m.MainPID != 0 && m.MainPID != p.Pid() {
		s.log.Info("%s sent MAINPID=%d; super follows pid %d, the process it started", name, m.MainPID, p.Pid())
	}
	if m.Errno != 0 {
		s.log.Info("%s reported errno %d (%s)", name, m.Errno, process.ErrnoName(syscall.Errno(m.Errno)))
	}
	if m.Reloading {
		s.log.Info("%s is reloading (RELOADING=1)", name)
	}
	if m.Stopping {
		s.log.Info("%s is stopping (STOPPING=1)", name)
	}
	if m.Ready && p.Config.Notify && !p.Ready() {
		s.log.Debug("%s sent READY=1 while %s", name, p.State())
	}
	if p.Config.WatchdogSecs > 0 && p.State() == process.Running {
		if m.Watchdog {
			st.last = time.Now()
		}
		if m.WatchdogUsec > 0 {
			st.timeout = time.Duration(m.WatchdogUsec) * time.Microsecond
			s.armWatchdog(p, time.Until(st.last.Add(st.timeout)))
		}
		if m.Trigger {
			s.watchdogExpired(p, "WATCHDOG=trigger")
		}
	}
}

func (p *proc) notifyState() *notifyState {
	if p.nt == nil {
		p.nt = &notifyState{}
	}
	return p.nt
}

// notifyChange follows a process's transitions (from onChange): a spawn
// clears its status, RUNNING starts the watchdog and leaving it stops it.
func (s *Supervisor) notifyChange(c process.Change) {
	cfg := c.Process.Config
	if !cfg.Notify && cfg.WatchdogSecs == 0 {
		return
	}
	p := s.procOf(c.Process)
	if p == nil {
		return
	}
	st := p.notifyState()
	switch {
	case c.To == process.Starting:
		st.status = ""
	case c.To == process.Running && cfg.WatchdogSecs > 0:
		st.gen++
		st.timeout = time.Duration(cfg.WatchdogSecs) * time.Second
		st.last = time.Now()
		s.armWatchdog(p, st.timeout)
	case c.From == process.Running:
		st.gen++
		if st.timer != nil {
			st.timer.Stop()
		}
	}
}

// armWatchdog looks at p's watchdog d from now, for this RUNNING period.
func (s *Supervisor) armWatchdog(p *proc, d time.Duration) {
	st := p.nt
	if st.timer != nil {
		st.timer.Stop()
	}
	gen := st.gen
	st.timer = time.AfterFunc(max(d, 0), func() {
		select {
		case s.reqs <- func() { s.watchdogDue(p, gen) }:
		case <-s.done:
		}
	})
}

// watchdogDue is p's watchdog timer on the loop: the deadline has passed
// unless a WATCHDOG=1 moved it meanwhile.
func (s *Supervisor) watchdogDue(p *proc, gen uint64) {
	st := p.nt
	if st == nil || st.gen != gen || p.State() != process.Running {
		return
	}
	if left := time.Until(st.last.Add(st.timeout)); left > 0 {
		s.armWatchdog(p, left)
		return
	}
	s.watchdogExpired(p, fmt.Sprintf("no WATCHDOG=1 within %v", st.timeout))
}

// watchdogExpired logs why and restarts p as an unhealthy process is.
func (s *Supervisor) watchdogExpired(p *proc, why string) {
	st := p.nt
	st.gen++
	if st.timer != nil {
		st.timer.Stop()
	}
	st.timeouts++
	s.log.Warn("%s watchdog timeout: %s; restarting it", p.Name(), why)
	s.restartUnhealthy(p)
}

// NotifyStats returns the notify socket's counters.
func (s *Supervisor) NotifyStats() (NotifyStats, error) {
	var out NotifyStats
	err := s.call(func() error {
		h := s.notif
		if h == nil {
			return nil
		}
		st := h.sock.Stats()
		h.mu.Lock()
		overflow := h.overflow
		h.mu.Unlock()
		out = NotifyStats{Open: true, Received: st.Received, Accepted: h.accepted, Oversized: st.Oversized,
			Malformed: st.Malformed, Strangers: h.strangers, Overflow: overflow}
		return nil
	})
	return out, err
}
