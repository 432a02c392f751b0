package supervisor

import (
	"io"
	"sync/atomic"
	"time"

	"super/core/config"
	"super/core/events"
	"super/core/logging"
	"super/core/process"
)

// Bus is the supervisor's event bus; listener pools of [eventlistener:x]
// groups are subscribed to it. Callers may Publish their own events.
func (s *Supervisor) Bus() *events.Bus { return s.bus }

// SendRemoteCommEvent is sendRemoteCommEvent: a REMOTE_COMMUNICATION event
// with payload "type:<typ>\n<data>" for the listeners subscribed to it.
// It never fails (4.2 always answers true) and does not wait for the loop.
func (s *Supervisor) SendRemoteCommEvent(typ, data string) error {
	s.bus.Publish(events.RemoteCommunicationMsg(typ, data))
	return nil
}

// publish turns a supervisor Event into the event 4.2 notifies for it.
func (s *Supervisor) publish(e Event) {
	switch e.Type {
	case ProcessState:
		m, ok := events.ProcessState(e.To.String(), events.ProcessStateFields{
			Name: e.Name, Group: e.Group, From: e.From.String(),
			Tries: e.Tries, Expected: e.Expected, Pid: e.Pid,
		})
		if ok {
			s.bus.Publish(m)
		}
	case SupervisorRunning:
		s.bus.Publish(events.SupervisorRunningMsg())
	case SupervisorStopping:
		s.bus.Publish(events.SupervisorStoppingMsg())
	case GroupAdded:
		s.bus.Publish(events.GroupAddedMsg(e.Group))
	case GroupRemoved:
		s.bus.Publish(events.GroupRemovedMsg(e.Group))
	}
}

// newPool subscribes the pool of an [eventlistener:x] group.
func (s *Supervisor) newPool(gc *config.GroupConfig) *events.Pool {
	pc := events.PoolConfig{Name: gc.Name, BufferSize: gc.BufferSize}
	for _, name := range gc.Events {
		if t, ok := events.ParseType(name); ok {
			pc.Events = append(pc.Events, t)
		}
	}
	for _, p := range gc.Processes {
		pc.Listeners = append(pc.Listeners, p.Name)
	}
	return s.bus.AddPool(pc)
}

// eventSinks wraps the sink factory: an event listener's stdout goes to its
// pool's protocol reader as well as to its log.
func (s *Supervisor) eventSinks(base process.SinkFactory) process.SinkFactory {
	return func(c *config.ProcessConfig, stream string) (io.WriteCloser, error) {
		w, err := base(c, stream)
		if err != nil || !c.IsEventListener || stream != "stdout" {
			return w, err
		}
		g := s.groups[c.Group]
		if g == nil || g.pool == nil {
			return w, nil
		}
		l := g.pool.Listener(c.Name)
		if l == nil {
			return w, nil
		}
		return &teeSink{proto: l.Open(), log: w}, nil
	}
}

// teeSink is a listener's stdout: the protocol first, then the log file.
type teeSink struct {
	proto io.WriteCloser
	log   io.WriteCloser
}

func (t *teeSink) Write(p []byte) (int, error) {
	t.proto.Write(p)
	return t.log.Write(p)
}

func (t *teeSink) Close() error {
	t.proto.Close()
	return t.log.Close()
}

func (t *teeSink) Reopen() error {
	if r, ok := t.log.(interface{ Reopen() error }); ok {
		return r.Reopen()
	}
	return nil
}

func (t *teeSink) Rotate() error {
	if r, ok := t.log.(interface{ Rotate() error }); ok {
		return r.Rotate()
	}
	return logging.ErrNoLogFile
}

func (t *teeSink) Remove() error {
	if r, ok := t.log.(interface{ Remove() error }); ok {
		return r.Remove()
	}
	return nil
}

// eventStream is a core/logging stream whose PROCESS_LOG_* and
// PROCESS_COMMUNICATION_* events carry the child's pid, known only after
// the fork (process.PidSink). It holds what its event hooks need itself
// (two closures over the same values took 64 bytes more per stream).
type eventStream struct {
	*logging.Stream
	pid                 atomic.Int64
	sup                 *Supervisor
	name, group, stream string // stream: "stdout" or "stderr"
}

func (e *eventStream) SetPid(pid int) { e.pid.Store(int64(pid)) }

// streamEvents sets the event hooks of a child's output stream.
func (s *Supervisor) streamEvents(c *config.ProcessConfig, stream string, opts *logging.StreamOptions) *eventStream {
	es := &eventStream{}
	if c.IsEventListener && stream == "stdout" {
		return es
	}
	es.sup, es.name, es.group, es.stream = s, c.Name, c.Group, stream
	opts.OnLog = es.onLog
	opts.OnCapture = es.onCapture
	return es
}

func (e *eventStream) onLog(data []byte) {
	t := events.ProcessLogStdout
	if e.stream == "stderr" {
		t = events.ProcessLogStderr
	}
	if e.sup.bus.Subscribed(t) {
		e.sup.bus.Publish(events.ProcessLogMsg(e.stream, e.name, e.group, int(e.pid.Load()), data))
	}
}

func (e *eventStream) onCapture(data []byte) {
	t := events.ProcessCommunicationStdout
	if e.stream == "stderr" {
		t = events.ProcessCommunicationStderr
	}
	if e.sup.bus.Subscribed(t) {
		e.sup.bus.Publish(events.ProcessCommunicationMsg(e.stream, e.name, e.group, int(e.pid.Load()), data))
	}
}

// tick publishes TICK_5, TICK_60 and TICK_3600 when a period of the wall
// clock begins (4.2's timeslice), until stop is closed.
func (s *Supervisor) tick(stop <-chan struct{}) {
	t := time.NewTimer(time.Hour)
	defer t.Stop()
	for {
		now := time.Now()
		next := now.Truncate(5 * time.Second).Add(5 * time.Second)
		t.Reset(next.Sub(now))
		select {
		case <-stop:
			return
		case <-t.C:
		}
		when := next.Unix()
		for _, period := range events.TickPeriods {
			if when%int64(period) == 0 {
				s.bus.Publish(events.TickMsg(period, when))
			}
		}
	}
}
