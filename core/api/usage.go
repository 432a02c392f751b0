package api

import (
	"math"
	"sync"
	"time"

	"super/core/supervisor"
	"super/core/usage"
)

// Resource figures (core/usage, read by Stats(WithUsage) only when asked):
// a process's CPU seconds and memory come with each reading; its CPU use
// in percent needs two readings, so the meter keeps each process's last
// one. The list, a single process and the event stream's stats all read
// through it, so any of them gives the next one its percentage.

// minInterval is the least time between two readings a percentage is
// taken from (closer ones would be mostly noise); a reading sooner than
// that gets the last percentage.
const minInterval = 500 * time.Millisecond

// maxInterval is the most: an older reading says nothing about now.
const maxInterval = time.Minute

type meter struct {
	mu   sync.Mutex
	last map[string]*reading
}

type reading struct {
	cpu float64 // CPU seconds of the tree
	mem int64   // resident bytes of the tree
	at  time.Time
	pct *float64 // the percentage taken with this reading; nil if none
}

func newMeter() *meter { return &meter{last: map[string]*reading{}} }

// record takes one reading of spec (u nil: the process has no figures,
// e.g. it does not run) and returns what the API shows.
func (m *meter) record(spec string, u *usage.Figures, now time.Time) (cpu, pct *float64, mem *int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if u == nil {
		delete(m.last, spec)
		return nil, nil, nil
	}
	prev := m.last[spec]
	r := &reading{cpu: u.CPUSeconds, mem: u.MemoryBytes, at: now}
	switch {
	case prev != nil && now.Sub(prev.at) < minInterval && u.CPUSeconds >= prev.cpu:
		// Too soon: show the figures, keep the older reading for the
		// next percentage.
		c, mm := u.CPUSeconds, u.MemoryBytes
		return &c, prev.pct, &mm
	case prev != nil && now.Sub(prev.at) <= maxInterval && u.CPUSeconds >= prev.cpu:
		p := (u.CPUSeconds - prev.cpu) / now.Sub(prev.at).Seconds() * 100
		p = math.Round(p*10) / 10
		r.pct = &p
	}
	m.last[spec] = r
	c, mm := r.cpu, r.mem
	return &c, r.pct, &mm
}

// current is the last reading of spec (for a process event between two
// readings).
func (m *meter) current(spec string) (cpu, pct *float64, mem *int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r := m.last[spec]
	if r == nil {
		return nil, nil, nil
	}
	c, mm := r.cpu, r.mem
	return &c, r.pct, &mm
}

// forget drops the readings of processes that are gone.
func (m *meter) keepOnly(specs map[string]bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for s := range m.last {
		if !specs[s] {
			delete(m.last, s)
		}
	}
}

// setUsage fills the resource fields from a reading through the meter.
func (p *Process) setUsage(m *meter, st *supervisor.ProcessStats, now time.Time) {
	p.CPUSeconds, p.CPUPercent, p.MemoryBytes = m.record(p.Namespec, st.Usage, now)
}
