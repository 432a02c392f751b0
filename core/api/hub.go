package api

import (
	"encoding/json"
	"strconv"
	"strings"
	"sync"
	"time"

	"super/core/process"
	"super/core/supervisor"
)

// The event stream's shared part: one buffer of the latest events, filled
// by the engine and read by every client.
//
// The engine hands each event to the hub on its loop (Subscribe), which
// only appends it to a ring and wakes the readers: nothing there waits for
// a client or formats anything. Each client's handler reads the ring from
// its own position at its own pace and encodes each event once (shared by
// all clients). A client that falls so far behind that the ring has moved
// past its position is dropped; it may come back with Last-Event-ID and
// resumes from there if the ring still holds it, else it is told to start
// over ("reset"). The engine is subscribed only once a first client comes,
// so a daemon nobody watches pays nothing.

// EventOptions tune the event stream; zero values take the defaults.
type EventOptions struct {
	// Buffer is how many events are kept for clients that lag or resume
	// (default 4096).
	Buffer int
	// Heartbeat is how often an idle stream gets a comment line, so
	// proxies and clients see it is alive (default 15 s).
	Heartbeat time.Duration
	// StatsEvery is how often, while some client is connected, the
	// counters and resource figures are read and their changes sent as a
	// "stats" event (default 2 s).
	StatsEvery time.Duration
	// WriteTimeout is how long a write to a client may take before the
	// client is dropped as too slow (default 5 s).
	WriteTimeout time.Duration
	// Linger is how long the hub stays subscribed after the last client
	// left, so a client that lost its connection can resume (default 1
	// min). Then it unsubscribes and forgets: the engine pays nothing
	// again, and a client coming back is told to start over.
	Linger time.Duration
}

func (o *EventOptions) defaults() {
	if o.Buffer <= 0 {
		o.Buffer = 4096
	}
	if o.Heartbeat <= 0 {
		o.Heartbeat = 15 * time.Second
	}
	if o.StatsEvery <= 0 {
		o.StatsEvery = 2 * time.Second
	}
	if o.WriteTimeout <= 0 {
		o.WriteTimeout = 5 * time.Second
	}
	if o.Linger <= 0 {
		o.Linger = time.Minute
	}
}

// source is what the hub needs of the engine (a *supervisor.Supervisor).
type source interface {
	SubscribeDetailed(fn func(supervisor.Event)) (cancel func())
	Stats(opts ...supervisor.StatsOption) ([]supervisor.ProcessStats, error)
	State() supervisor.State
}

type hub struct {
	eng   source
	meter *meter
	opts  EventOptions
	epoch string // tells this daemon run's event ids from another's

	mu      sync.Mutex
	seq     uint64   // id of the newest event; 0 before any
	ring    []*entry // ring[id % Buffer]
	wake    chan struct{}
	clients int
	unsub   func() // the engine subscription, while clients come
	idle    int    // counts the times the last client left (a stale linger timer sees it moved on)
	ticking bool   // the stats reader runs
	prev    map[string]statsRow
	closed  bool
	done    chan struct{} // closed by close
}

// entry is one event as the clients get it.
type entry struct {
	epoch string // the hub's epoch when the event came
	id    uint64
	name  string // the SSE event name
	data  any    // encoded once, by the first client to send it
	once  sync.Once
	frame []byte
}

func newHub(eng source, m *meter, opts EventOptions) *hub {
	opts.defaults()
	return &hub{
		eng:   eng,
		meter: m,
		opts:  opts,
		epoch: newEpoch(),
		ring:  make([]*entry, opts.Buffer),
		wake:  make(chan struct{}),
		done:  make(chan struct{}),
	}
}

func newEpoch() string { return strconv.FormatInt(time.Now().UnixNano(), 36) }

// eventID is an event id as the stream sends it: "<epoch>-<seq>".
func eventID(epoch string, seq uint64) string {
	return epoch + "-" + strconv.FormatUint(seq, 10)
}

// idString is the id of event seq of the current epoch; hb.mu held.
func (hb *hub) idString(seq uint64) string { return eventID(hb.epoch, seq) }

// lastID is the newest event's id (what a list read now is up to date
// with).
func (hb *hub) lastID() string {
	hb.mu.Lock()
	defer hb.mu.Unlock()
	return hb.idString(hb.seq)
}

// parseID reads a Last-Event-ID; ok is false for an id of another daemon
// run or that does not parse.
func (hb *hub) parseID(s string) (uint64, bool) {
	epoch, seq, found := strings.Cut(s, "-")
	if !found || epoch != hb.epoch {
		return 0, false
	}
	n, err := strconv.ParseUint(seq, 10, 64)
	return n, err == nil
}

// append adds an event and wakes the readers; it never blocks on them.
func (hb *hub) append(name string, data any) {
	hb.mu.Lock()
	hb.seq++
	hb.ring[hb.seq%uint64(len(hb.ring))] = &entry{epoch: hb.epoch, id: hb.seq, name: name, data: data}
	close(hb.wake)
	hb.wake = make(chan struct{})
	hb.mu.Unlock()
}

// oldest is the oldest id the ring still holds.
func (hb *hub) oldestLocked() uint64 {
	n := uint64(len(hb.ring))
	if hb.seq < n {
		return 1
	}
	return hb.seq - n + 1
}

// read returns the events after cursor and the channel that is closed at
// the next one; behind is true when the ring no longer holds the event
// after cursor (the client lost events).
func (hb *hub) read(cursor uint64, out []*entry) (_ []*entry, wake <-chan struct{}, behind bool) {
	hb.mu.Lock()
	defer hb.mu.Unlock()
	if cursor+1 < hb.oldestLocked() && cursor < hb.seq {
		return out, hb.wake, true
	}
	for id := cursor + 1; id <= hb.seq; id++ {
		out = append(out, hb.ring[id%uint64(len(hb.ring))])
	}
	return out, hb.wake, false
}

// join registers a client (subscribing to the engine at the first) and
// says where the stream stands (its position and id); resume is the
// client's Last-Event-ID. ok is false when resume cannot be honoured (the
// client must start over).
func (hb *hub) join(resume string) (cursor uint64, id string, ok bool) {
	hb.mu.Lock()
	defer hb.mu.Unlock()
	hb.clients++
	if hb.unsub == nil && !hb.closed {
		hb.unsub = hb.eng.SubscribeDetailed(hb.onEvent)
	}
	if !hb.ticking && !hb.closed {
		hb.ticking = true
		go hb.statsLoop()
	}
	if resume == "" {
		return hb.seq, hb.idString(hb.seq), true
	}
	n, parsed := hb.parseID(resume)
	if !parsed || n > hb.seq || (n < hb.seq && n+1 < hb.oldestLocked()) {
		return hb.seq, hb.idString(hb.seq), false
	}
	return n, hb.idString(n), true
}

func (hb *hub) leave() {
	hb.mu.Lock()
	defer hb.mu.Unlock()
	hb.clients--
	if hb.clients > 0 || hb.closed {
		return
	}
	hb.idle++
	idle := hb.idle
	time.AfterFunc(hb.opts.Linger, func() {
		hb.mu.Lock()
		defer hb.mu.Unlock()
		if hb.clients > 0 || hb.idle != idle || hb.unsub == nil {
			return // someone came back
		}
		hb.unsub()
		hb.unsub = nil
		// The events from now on are not recorded: ids of this epoch
		// can no longer be resumed from.
		hb.epoch = newEpoch()
		hb.seq = 0
		clear(hb.ring)
	})
}

// close ends every stream and the engine subscription.
func (hb *hub) close() {
	hb.mu.Lock()
	defer hb.mu.Unlock()
	if hb.closed {
		return
	}
	hb.closed = true
	close(hb.done)
	if hb.unsub != nil {
		hb.unsub()
	}
}

// frame is the entry as SSE text, encoded at most once.
func (e *entry) encode() []byte {
	e.once.Do(func() {
		data, err := json.Marshal(e.data)
		if err != nil {
			data = []byte(`{}`)
		}
		e.frame = sseFrame(nil, eventID(e.epoch, e.id), e.name, data)
		e.data = nil // the frame is all that is needed from now on
	})
	return e.frame
}

// sseFrame appends one event: its id (if any), its name and its data (JSON
// has no raw newline, so one data line).
func sseFrame(b []byte, id, name string, data []byte) []byte {
	if id != "" {
		b = append(b, "id: "...)
		b = append(b, id...)
		b = append(b, '\n')
	}
	b = append(b, "event: "...)
	b = append(b, name...)
	b = append(b, "\ndata: "...)
	b = append(b, data...)
	return append(b, "\n\n"...)
}

// ProcessEvent is the data of "process" (a state change) and "health" (a
// change of health verdict) events: the process as it is right after the
// change.
type ProcessEvent struct {
	Process
	FromState string `json:"from_state,omitempty"` // process: the state it left
	Expected  *bool  `json:"expected,omitempty"`   // process, EXITED: whether the exit code was expected
	Tries     int    `json:"tries,omitempty"`      // process, STARTING and BACKOFF: failed starts in a row
}

// GroupEvent is the data of a "group" event.
type GroupEvent struct {
	Group  string `json:"group"`
	Change string `json:"change"` // "added" or "removed"
}

// SupervisorEvent is the data of a "supervisor" event.
type SupervisorEvent struct {
	Change string `json:"change"` // "running" or "stopping"
}

// onEvent runs on the engine's loop: it must not block.
func (hb *hub) onEvent(e supervisor.Event) {
	switch e.Type {
	case supervisor.ProcessState, supervisor.HealthChanged:
		if e.Info == nil {
			return
		}
		pe := ProcessEvent{Process: newProcess(e.Info, e.Stats)}
		// The figures of the last reading, while it runs (the event
		// does not read them: that is done off the loop).
		if e.Info.State == process.Running || e.Info.State == process.Stopping {
			pe.CPUSeconds, pe.CPUPercent, pe.MemoryBytes = hb.meter.current(pe.Namespec)
		}
		name := "health"
		if e.Type == supervisor.ProcessState {
			name = "process"
			pe.FromState = e.From.String()
			pe.Tries = e.Tries
			if e.To.String() == "EXITED" {
				x := e.Expected
				pe.Expected = &x
			}
		}
		hb.append(name, pe)
	case supervisor.GroupAdded:
		hb.append("group", GroupEvent{Group: e.Group, Change: "added"})
	case supervisor.GroupRemoved:
		hb.append("group", GroupEvent{Group: e.Group, Change: "removed"})
	case supervisor.SupervisorRunning:
		hb.append("supervisor", SupervisorEvent{Change: "running"})
	case supervisor.SupervisorStopping:
		hb.append("supervisor", SupervisorEvent{Change: "stopping"})
	}
}

// StatsEvent is the data of a "stats" event: the processes whose counters
// or resource figures changed since the last one.
type StatsEvent struct {
	Processes []ProcessStats `json:"processes"`
}

// ProcessStats is one process's entry in a "stats" event (the same
// fields as in Process).
type ProcessStats struct {
	Namespec    string   `json:"namespec"`
	Starts      int      `json:"starts"`
	Restarts    int      `json:"restarts"`
	Exits       int      `json:"exits"`
	CPUSeconds  *float64 `json:"cpu_seconds"`
	CPUPercent  *float64 `json:"cpu_percent"`
	MemoryBytes *int64   `json:"memory_bytes"`
	OOMKills    *int64   `json:"oom_kills"`
}

// statsRow is what a stats event compares between two readings: the
// counters, the CPU percentage (to a tenth) and the memory. CPU seconds
// alone move on without a change worth sending.
type statsRow struct {
	starts, exits int
	pct           float64 // -1: none
	mem, oom      int64   // -1: none
}

// statsLoop reads the counters every StatsEvery while some client is
// connected and publishes what changed. The first reading after it starts
// only sets the baseline: the clients read the rest with the list.
func (hb *hub) statsLoop() {
	t := time.NewTicker(hb.opts.StatsEvery)
	defer t.Stop()
	hb.mu.Lock()
	hb.prev = nil
	hb.mu.Unlock()
	for {
		hb.readStats()
		select {
		case <-hb.done:
			return
		case <-t.C:
		}
		hb.mu.Lock()
		if hb.clients == 0 {
			hb.ticking = false
			hb.mu.Unlock()
			return
		}
		hb.mu.Unlock()
	}
}

func (hb *hub) readStats() {
	all, err := hb.eng.Stats(supervisor.WithUsage)
	if err != nil {
		return
	}
	now := time.Now()
	cur := make(map[string]statsRow, len(all))
	specs := make(map[string]bool, len(all))
	var changed []ProcessStats
	hb.mu.Lock()
	prev := hb.prev
	hb.mu.Unlock()
	for i := range all {
		ps := &all[i]
		spec := supervisor.Namespec(ps.Group, ps.Name)
		specs[spec] = true
		cpu, pct, mem := hb.meter.record(spec, ps.Usage, now)
		var oom *int64
		if ps.Cgroup {
			n := ps.OOMKills
			oom = &n
		}
		row := statsRow{starts: ps.Starts, exits: ps.Exits, pct: -1, mem: -1, oom: -1}
		if pct != nil {
			row.pct = *pct
		}
		if mem != nil {
			row.mem = *mem
		}
		if oom != nil {
			row.oom = *oom
		}
		cur[spec] = row
		if old, ok := prev[spec]; prev != nil && (!ok || old != row) {
			changed = append(changed, ProcessStats{Namespec: spec, Starts: ps.Starts,
				Restarts: ps.Restarts(), Exits: ps.Exits,
				CPUSeconds: cpu, CPUPercent: pct, MemoryBytes: mem, OOMKills: oom})
		}
	}
	hb.meter.keepOnly(specs)
	hb.mu.Lock()
	hb.prev = cur
	hb.mu.Unlock()
	if len(changed) > 0 {
		hb.append("stats", StatsEvent{Processes: changed})
	}
}
