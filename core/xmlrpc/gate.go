package xmlrpc

import (
	"sync/atomic"
	"time"
)

// fifoGate lets one shared answer be written at a time, to the requests in
// the order they came (a channel's waiting senders are served first come,
// first served). Several clients polling getAllProcessInfo at once each
// wrote the answer at the same time, and which write went on was the
// scheduler's choice, not the order of the requests: with 8 clients the
// latency spread far past its median (p99/p50 4-18 at 100 programs, 2.6-3.1
// at 1,000, on a loaded machine); one at a time, in order, 3.5-4.2 and 2.1.
//
// A client that stops reading holds the gate while its write waits; the
// others then wait at most gateWait each, and none at all once the holder
// has had it that long: they write side by side, as without the gate.
type fifoGate struct {
	ch    chan struct{}
	since atomic.Int64 // when the holder entered, UnixNano
}

// gateWait is far longer than writing any answer takes (5,000 programs'
// 5.5 MB: a few ms) and short against a client's patience.
const gateWait = 50 * time.Millisecond

var answerGate = fifoGate{ch: make(chan struct{}, 1)}

// enter waits for the gate (or not: see fifoGate) and says whether it
// holds it; leave must follow if so.
func (g *fifoGate) enter() bool {
	select {
	case g.ch <- struct{}{}:
		g.since.Store(time.Now().UnixNano())
		return true
	default:
	}
	if time.Since(time.Unix(0, g.since.Load())) > gateWait {
		return false
	}
	t := time.NewTimer(gateWait)
	defer t.Stop()
	select {
	case g.ch <- struct{}{}:
		g.since.Store(time.Now().UnixNano())
		return true
	case <-t.C:
		return false
	}
}

func (g *fifoGate) leave() { <-g.ch }
