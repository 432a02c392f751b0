package events

import (
	"bytes"
	"fmt"
)

// ListenerState is where an event listener process is in the protocol;
// the numbers are 4.2's EventListenerStates.
type ListenerState int

// Listener states.
const (
	Ready        ListenerState = 10 // sent READY, may be sent an event
	Busy         ListenerState = 20 // was sent an event, no result yet
	Acknowledged ListenerState = 30 // (re)started or answered; READY expected next
	Unknown      ListenerState = 40 // broke the protocol; gets no more events
)

func (s ListenerState) String() string {
	switch s {
	case Ready:
		return "READY"
	case Busy:
		return "BUSY"
	case Acknowledged:
		return "ACKNOWLEDGED"
	case Unknown:
		return "UNKNOWN"
	}
	return fmt.Sprintf("ListenerState(%d)", int(s))
}

// Protocol tokens of 4.2 (dispatchers.PEventListenerDispatcher).
var (
	readyToken  = []byte("READY\n")
	resultToken = []byte("RESULT ")
)

// OutcomeKind says what Protocol.Feed found.
type OutcomeKind int

// Outcomes of Feed.
const (
	// Changed: the listener state went From → To.
	Changed OutcomeKind = iota
	// Result: a complete result body (Data) for the event in progress;
	// a Changed to ACKNOWLEDGED follows.
	Result
	// BadResult: a result line whose length is not a number (Data is the
	// line); a Changed to UNKNOWN follows and the event is to be re-queued.
	BadResult
)

// Outcome is one finding of Feed.
type Outcome struct {
	Kind     OutcomeKind
	From, To ListenerState
	Data     []byte // valid only during the callback
}

// Protocol reads what a listener writes on its stdout and tracks its
// listener state as 4.2 does:
//
//   - ACKNOWLEDGED: waits for 6 bytes; "READY\n" makes it READY, anything
//     else UNKNOWN;
//   - READY: any output is a protocol violation (UNKNOWN);
//   - BUSY: a line "RESULT <len>" then len bytes of result, after which it
//     is ACKNOWLEDGED again (and may be READY in the same chunk);
//   - UNKNOWN: everything is ignored for the rest of the process's life.
//
// The zero value is not ready for use; call NewProtocol. Not safe for
// concurrent use.
type Protocol struct {
	state     ListenerState
	buf       []byte
	resultLen int // -1 until the result line is read
	result    []byte
}

// NewProtocol returns the protocol state of a freshly started listener
// (ACKNOWLEDGED).
func NewProtocol() *Protocol {
	return &Protocol{state: Acknowledged, resultLen: -1}
}

// State is the current listener state.
func (p *Protocol) State() ListenerState { return p.state }

// Sent records that an event was written to the listener (READY → BUSY).
func (p *Protocol) Sent() {
	p.state = Busy
	p.resultLen = -1
	p.result = p.result[:0]
}

func (p *Protocol) change(to ListenerState, out func(Outcome)) {
	from := p.state
	p.state = to
	out(Outcome{Kind: Changed, From: from, To: to})
}

// Feed takes the next chunk of the listener's stdout and reports what it
// means through out, in order.
func (p *Protocol) Feed(data []byte, out func(Outcome)) {
	if p.state == Unknown {
		return
	}
	p.buf = append(p.buf, data...)
	for len(p.buf) > 0 {
		switch p.state {
		case Unknown:
			p.buf = p.buf[:0]
			return
		case Acknowledged:
			if len(p.buf) < len(readyToken) {
				return
			}
			if bytes.HasPrefix(p.buf, readyToken) {
				p.consume(len(readyToken))
				p.change(Ready, out)
			} else {
				p.buf = p.buf[:0]
				p.change(Unknown, out)
			}
		case Ready:
			p.buf = p.buf[:0]
			p.change(Unknown, out)
		case Busy:
			if p.resultLen < 0 {
				i := bytes.IndexByte(p.buf, '\n')
				if i < 0 {
					return
				}
				line := p.buf[:i]
				n, ok := 0, false
				if len(line) >= len(resultToken) {
					n, ok = pyInt(line[len(resultToken):])
				}
				if !ok {
					out(Outcome{Kind: BadResult, Data: line})
					p.buf = p.buf[:0]
					p.change(Unknown, out)
					return
				}
				p.resultLen = n
				p.consume(i + 1)
			}
			need := p.resultLen - len(p.result)
			take := min(need, len(p.buf))
			p.result = append(p.result, p.buf[:take]...)
			p.consume(take)
			if len(p.result) < p.resultLen {
				return
			}
			out(Outcome{Kind: Result, Data: p.result})
			p.resultLen = -1
			p.result = p.result[:0]
			p.change(Acknowledged, out)
		}
	}
}

// consume drops n bytes from the front of the buffer, keeping its array.
func (p *Protocol) consume(n int) {
	k := copy(p.buf, p.buf[n:])
	p.buf = p.buf[:k]
}

// maxResultLen bounds a result length; a listener announcing more is
// treated as announcing a bad line (4.2 would wait for it forever).
const maxResultLen = 1 << 30

// pyInt parses a result length the way Python's int() parses bytes:
// surrounding whitespace, an optional sign, digits with single underscores
// between them. Negative lengths are refused.
func pyInt(b []byte) (int, bool) {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '+' {
		b = b[1:]
	}
	if len(b) == 0 {
		return 0, false
	}
	n := 0
	prevDigit := false
	for i, c := range b {
		switch {
		case c >= '0' && c <= '9':
			n = n*10 + int(c-'0')
			if n > maxResultLen {
				return 0, false
			}
			prevDigit = true
		case c == '_' && prevDigit && i+1 < len(b):
			prevDigit = false
		default:
			return 0, false
		}
	}
	return n, prevDigit
}
