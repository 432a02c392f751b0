package rpc

import (
	"context"
	"slices"
	"sync"

	"super/core/supervisor"
	"super/core/xmlrpc"
)

// getAllProcessInfo answers from the last answer while nothing in it
// changed.
//
// Clients poll it (supervisorctl status, dashboards, several at once),
// and between two polls in the same second usually nothing changes: the
// answer is the same bytes. Encoding it again each time cost every call
// 0.12 ms of CPU per 100 processes and an answer buffer, and with
// several clients at once (more answers in flight than buffers kept)
// each call allocated its answer anew: at 100 programs and 8 clients
// 110 KB of garbage per call, a collection every 40 ms, and the calls
// that met one made the tail (see ARCHITECTURE.md, performance). Now
// each call still asks the engine for every process's info (one pass on
// the loop, no garbage), compares it with what the last answer was made
// from, and encodes only when it differs: at most once a second while
// programs run (their uptime and "now" change), once per change
// otherwise. The answer is exactly what encoding would have produced,
// since it is the encoding of equal infos.
func (a *API) getAllProcessInfo(context.Context, []xmlrpc.Value) (xmlrpc.Value, error) {
	buf, _ := infoSlices.Get().(*[]supervisor.ProcessInfo)
	if buf == nil {
		buf = new([]supervisor.ProcessInfo)
	}
	all, err := a.opts.Engine.AllProcessInfoInto(*buf)
	*buf = all
	if err != nil {
		putInfos(buf)
		return nil, err
	}
	return a.allInfo.get(buf)
}

// DropCachedAnswers forgets getAllProcessInfo's last answer: the daemon
// calls it when it goes quiet, so that an idle daemon does not hold the
// answer of its last poll (110 KB per 100 programs).
func (a *API) DropCachedAnswers() { a.allInfo.drop() }

// infoSlices keeps getAllProcessInfo's arrays for the next call: at 1,000
// programs the array alone is 180 KB of garbage per call otherwise (see
// core/supervisor/infos.go).
var infoSlices sync.Pool

// putInfos gives an array back to infoSlices, holding no strings.
func putInfos(buf *[]supervisor.ProcessInfo) {
	clear(*buf)
	infoSlices.Put(buf)
}

// infoAnswer is getAllProcessInfo's last answer and the infos it encodes.
type infoAnswer struct {
	mu     sync.Mutex // held while encoding: callers meanwhile wait for it, then share it
	infos  *[]supervisor.ProcessInfo
	answer *xmlrpc.Encoded
}

// get returns the encoding of *buf, the last one if its infos are
// equal; it takes buf (keeps it, or gives it back to infoSlices).
func (c *infoAnswer) get(buf *[]supervisor.ProcessInfo) (*xmlrpc.Encoded, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.answer != nil && slices.Equal(*c.infos, *buf) {
		putInfos(buf)
		return c.answer, nil
	}
	infos := processInfos(*buf)
	enc, err := xmlrpc.Encode(infos, infos.sizeHint())
	if err != nil {
		putInfos(buf)
		return nil, err
	}
	c.dropLocked()
	c.infos, c.answer = buf, enc
	return enc, nil
}

func (c *infoAnswer) drop() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.dropLocked()
}

func (c *infoAnswer) dropLocked() {
	if c.infos != nil {
		putInfos(c.infos)
	}
	c.infos, c.answer = nil, nil
}
