package events

import (
	"io"
	"strconv"
	"sync"
	"unicode/utf8"
)

// Logger is the activity log as the event system needs it; core/logging's
// *Logger satisfies it.
type Logger interface {
	Error(format string, args ...any)
	Warn(format string, args ...any)
	Info(format string, args ...any)
	Debug(format string, args ...any)
}

// StdinWriter is a listener process's stdin (core/process's *Launched).
// WriteStdin may block until the listener reads; it is only called on a
// goroutine of its own.
type StdinWriter interface {
	WriteStdin(data []byte) error
}

// Bus hands published events to the listener pools subscribed to them.
// All its methods are safe for concurrent use and never block on a
// listener: Publish may be called from the supervisor loop.
type Bus struct {
	mu     sync.Mutex
	ident  string // the server: header field ([supervisord] identifier)
	log    Logger
	serial int64 // last global serial handed out (4.2's GlobalSerial)
	pools  []*Pool
}

// NewBus returns a bus; identifier is the "server:" of every header
// ("supervisor" unless [supervisord] identifier says otherwise).
func NewBus(identifier string, log Logger) *Bus {
	if identifier == "" {
		identifier = "supervisor"
	}
	return &Bus{ident: identifier, log: log, serial: -1}
}

// event is a published event as the pools see it: the serial is given when
// the first pool accepts it, and kept when a pool re-queues it.
type event struct {
	msg    Msg
	serial int64 // -1 until a pool accepts it
}

// Publish gives m to every pool subscribed to its type. Events no pool
// wants are dropped without using up a serial, as in 4.2.
func (b *Bus) Publish(m Msg) {
	b.mu.Lock()
	defer b.mu.Unlock()
	var ev *event
	for _, p := range b.pools {
		if !p.wants(m.Type) {
			continue
		}
		if ev == nil {
			ev = &event{msg: m, serial: -1}
		}
		p.accept(queued{ev: ev, poolSerial: -1}, false)
		p.dispatch()
	}
}

// Subscribed reports whether some pool would take an event of type t;
// producers of costly payloads (process output) check it first.
func (b *Bus) Subscribed(t Type) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, p := range b.pools {
		if p.wants(t) {
			return true
		}
	}
	return false
}

// PoolConfig describes an [eventlistener:x] pool.
type PoolConfig struct {
	Name       string
	Events     []Type
	BufferSize int      // events kept while no listener is ready (4.2 default 10)
	Listeners  []string // process names, in the pool's order
}

// Pool is one [eventlistener:x] group: a buffer of events and the listener
// processes they are dispatched to.
type Pool struct {
	bus       *Bus
	cfg       PoolConfig
	serial    int64
	buf       []queued
	listeners []*Listener
	byName    map[string]*Listener
}

type queued struct {
	ev         *event
	poolSerial int64
}

// AddPool subscribes a new pool to its events.
func (b *Bus) AddPool(cfg PoolConfig) *Pool {
	p := &Pool{bus: b, cfg: cfg, serial: -1, byName: map[string]*Listener{}}
	for _, name := range cfg.Listeners {
		l := &Listener{pool: p, name: name}
		p.listeners = append(p.listeners, l)
		p.byName[name] = l
	}
	b.mu.Lock()
	b.pools = append(b.pools, p)
	b.mu.Unlock()
	return p
}

// Remove unsubscribes the pool; its buffered events are dropped.
func (p *Pool) Remove() {
	b := p.bus
	b.mu.Lock()
	defer b.mu.Unlock()
	for i, x := range b.pools {
		if x == p {
			b.pools = append(b.pools[:i:i], b.pools[i+1:]...)
			break
		}
	}
	p.buf = nil
}

// Name is the pool's name.
func (p *Pool) Name() string { return p.cfg.Name }

// Buffered is the number of events waiting for a listener.
func (p *Pool) Buffered() int {
	p.bus.mu.Lock()
	defer p.bus.mu.Unlock()
	return len(p.buf)
}

// Listener returns the pool's listener process called name (nil if none).
func (p *Pool) Listener(name string) *Listener { return p.byName[name] }

func (p *Pool) wants(t Type) bool {
	for _, s := range p.cfg.Events {
		if t.Is(s) {
			return true
		}
	}
	return false
}

// accept is 4.2's _acceptEvent: number the event, then buffer it at the
// tail (or, re-queued, at the head), dropping the oldest when full.
func (p *Pool) accept(q queued, head bool) {
	b := p.bus
	if q.ev.serial < 0 {
		b.serial++
		q.ev.serial = b.serial
	}
	if q.poolSerial < 0 {
		p.serial++
		q.poolSerial = p.serial
	} else {
		b.log.Debug("rebuffering event %d for pool %s (buf size=%d, max=%d)",
			q.ev.serial, p.cfg.Name, len(p.buf), p.cfg.BufferSize)
	}
	if len(p.buf) >= p.cfg.BufferSize && len(p.buf) > 0 {
		dropped := p.buf[0]
		p.buf[0] = queued{}
		p.buf = p.buf[1:]
		b.log.Error("pool %s event buffer overflowed, discarding event %d", p.cfg.Name, dropped.ev.serial)
	}
	if head {
		p.buf = append(p.buf, queued{})
		copy(p.buf[1:], p.buf)
		p.buf[0] = q
	} else {
		p.buf = append(p.buf, q)
	}
}

// dispatch sends buffered events, oldest first, to listeners that are
// RUNNING and READY, in the pool's order.
func (p *Pool) dispatch() {
	for len(p.buf) > 0 {
		var inst *instance
		for _, l := range p.listeners {
			if l.running && l.inst != nil && l.inst.ready() {
				inst = l.inst
				break
			}
		}
		if inst == nil {
			return
		}
		q := p.buf[0]
		p.buf[0] = queued{}
		p.buf = p.buf[1:]
		inst.send(q)
		if len(p.buf) > 0 {
			// 4.2 takes the next event out and puts it back when no
			// listener is free; keep its debug line.
			free := false
			for _, l := range p.listeners {
				if l.running && l.inst != nil && l.inst.ready() {
					free = true
				}
			}
			if !free {
				p.bus.log.Debug("rebuffering event %d for pool %s (buf size=%d, max=%d)",
					p.buf[0].ev.serial, p.cfg.Name, len(p.buf)-1, p.cfg.BufferSize)
			}
		}
	}
}

// Envelope is the header line and payload a listener receives:
//
//	ver:3.0 server:supervisor serial:21 pool:listener poolserial:10 eventname:PROCESS_COMMUNICATION_STDOUT len:54\n<payload>
//
// len counts characters (4.2 measures the payload as a Python str), which is
// what a listener reading its stdin as text expects.
func Envelope(server string, serial int64, pool string, poolSerial int64, m Msg) []byte {
	b := make([]byte, 0, 96+len(pool)+len(server)+len(m.Payload))
	b = append(b, "ver:3.0 server:"...)
	b = append(b, server...)
	b = append(b, " serial:"...)
	b = strconv.AppendInt(b, serial, 10)
	b = append(b, " pool:"...)
	b = append(b, pool...)
	b = append(b, " poolserial:"...)
	b = strconv.AppendInt(b, poolSerial, 10)
	b = append(b, " eventname:"...)
	b = append(b, m.Type.String()...)
	b = append(b, " len:"...)
	b = strconv.AppendInt(b, int64(utf8.RuneCountInString(m.Payload)), 10)
	b = append(b, '\n')
	return append(b, m.Payload...)
}

// Listener is one process of a pool. Its methods may be called from any
// goroutine.
type Listener struct {
	pool    *Pool
	name    string
	running bool      // the process is RUNNING
	inst    *instance // the current child, nil before the first spawn
}

// instance is one child of a listener process: from spawn to the end of
// its stdout.
type instance struct {
	l       *Listener
	proto   *Protocol
	stdin   StdinWriter
	current *queued // the event being processed (BUSY)
	broken  bool    // writing to stdin failed: the child is going away
	closed  bool
}

func (i *instance) ready() bool {
	return !i.closed && !i.broken && i.stdin != nil && i.current == nil && i.proto.State() == Ready
}

func (i *instance) send(q queued) {
	p := i.l.pool
	b := p.bus
	env := Envelope(b.ident, q.ev.serial, p.cfg.Name, q.poolSerial, q.ev.msg)
	i.proto.Sent()
	i.current = &q
	b.log.Debug("event %d sent to listener %s", q.ev.serial, i.l.name)
	cur := i.current
	go func() {
		if err := i.stdin.WriteStdin(env); err != nil {
			b.mu.Lock()
			defer b.mu.Unlock()
			b.log.Debug("epipe occurred while sending event %d to listener %s, listener state unchanged",
				q.ev.serial, i.l.name)
			i.broken = true
			if i.current == cur {
				i.current = nil
				if p.attached() {
					p.accept(q, true)
					p.dispatch()
				}
			}
		}
	}()
}

// attached reports whether the pool is still subscribed (not removed).
func (p *Pool) attached() bool {
	for _, x := range p.bus.pools {
		if x == p {
			return true
		}
	}
	return false
}

// Open starts a new child of the listener (called when its process is
// spawned, before the child runs): it returns the writer its stdout goes
// to, which parses the protocol. Closing it (end of the child's stdout)
// re-queues an event the child did not answer.
func (l *Listener) Open() io.WriteCloser {
	b := l.pool.bus
	b.mu.Lock()
	defer b.mu.Unlock()
	inst := &instance{l: l, proto: NewProtocol()}
	l.inst = inst
	return inst
}

// SetStdin gives the current child's stdin, once it is started.
func (l *Listener) SetStdin(w StdinWriter) {
	b := l.pool.bus
	b.mu.Lock()
	defer b.mu.Unlock()
	if l.inst != nil {
		l.inst.stdin = w
	}
	l.pool.dispatch()
}

// SetRunning records whether the listener's process is RUNNING; only then
// is it sent events.
func (l *Listener) SetRunning(running bool) {
	b := l.pool.bus
	b.mu.Lock()
	defer b.mu.Unlock()
	l.running = running
	if running {
		l.pool.dispatch()
	}
}

// State is the current child's listener state (ACKNOWLEDGED before any).
func (l *Listener) State() ListenerState {
	b := l.pool.bus
	b.mu.Lock()
	defer b.mu.Unlock()
	if l.inst == nil {
		return Acknowledged
	}
	return l.inst.proto.State()
}

// Write feeds the child's stdout to the protocol.
func (i *instance) Write(data []byte) (int, error) {
	l := i.l
	p := l.pool
	b := p.bus
	b.mu.Lock()
	defer b.mu.Unlock()
	if i.closed {
		return len(data), nil
	}
	var rejected *queued
	i.proto.Feed(data, func(o Outcome) {
		switch o.Kind {
		case Changed:
			b.log.Debug("%s: %s -> %s", l.name, o.From, o.To)
			if o.To == Unknown {
				b.log.Warn("%s: has entered the UNKNOWN state and will no longer receive events, "+
					"this usually indicates the process violated the eventlistener protocol", l.name)
				if i.current != nil && rejected == nil {
					rejected = i.current
				}
				i.current = nil
			}
			if rejected != nil && p.attached() {
				p.accept(*rejected, true)
				rejected = nil
			}
		case Result:
			// The default result handler
			// (supervisor.dispatchers:default_handler): OK or rejected.
			if string(o.Data) == "OK" {
				b.log.Debug("%s: event was processed", l.name)
			} else {
				b.log.Warn("%s: event was rejected", l.name)
				rejected = i.current
			}
			i.current = nil
		case BadResult:
			b.log.Warn("%s: bad result line: '%s'", l.name, decoded(o.Data))
		}
	})
	p.dispatch()
	return len(data), nil
}

// Close ends the child: an event it was processing goes back to the head
// of the buffer (4.2 re-queues it when the process finishes).
func (i *instance) Close() error {
	p := i.l.pool
	b := p.bus
	b.mu.Lock()
	defer b.mu.Unlock()
	if i.closed {
		return nil
	}
	i.closed = true
	if i.current != nil {
		q := *i.current
		i.current = nil
		if p.attached() {
			p.accept(q, true)
			p.dispatch()
		}
	}
	return nil
}

// SetIdentifier changes the server: field of later headers (a restart
// may change [supervisord] identifier).
func (b *Bus) SetIdentifier(identifier string) {
	if identifier == "" {
		identifier = "supervisor"
	}
	b.mu.Lock()
	b.ident = identifier
	b.mu.Unlock()
}
