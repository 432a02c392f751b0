package logging

import "bytes"

// The tokens that open and close a PROCESS_COMMUNICATION block in a
// child's output.
var (
	BeginToken = []byte("<!--XSUPERVISOR:BEGIN-->")
	EndToken   = []byte("<!--XSUPERVISOR:END-->")
)

// captureParser splits a stream into normal output and captured blocks
// with 4.2's rules (dispatchers.POutputDispatcher.record_output):
//
//   - input is held back until more than len(token) bytes are pending, and
//     a tail that could be the start of the token is held back too, so
//     tokens split across chunks are found;
//   - the text before a token goes out in the current mode, the token
//     itself goes nowhere, and the mode flips.
//
// It calls out(piece, capturing) for every non-empty piece in stream order
// and toggled(capturing) after each token. Pieces alias the parser's
// scratch buffer and are valid only during the call.
//
// Unlike 4.2, which silently loses up to one token's length of held-back
// output when the child exits, flush hands it out.
type captureParser struct {
	capturing bool
	pending   []byte // held back, at most a token's length; own backing array
	scratch   []byte // pending + current chunk, reused across writes

	out     func(p []byte, capturing bool)
	toggled func(capturing bool)
}

func (c *captureParser) token() []byte {
	if c.capturing {
		return EndToken
	}
	return BeginToken
}

func (c *captureParser) write(p []byte) {
	var data []byte
	if len(c.pending) == 0 {
		data = p // the common case: no copy
	} else {
		c.scratch = append(append(c.scratch[:0], c.pending...), p...)
		data = c.scratch
		c.pending = c.pending[:0]
	}
	for {
		tok := c.token()
		if len(data) <= len(tok) {
			c.pending = append(c.pending[:0], data...)
			return
		}
		i := bytes.Index(data, tok)
		if i < 0 {
			keep := prefixAtEnd(data, tok)
			c.emit(data[:len(data)-keep])
			c.pending = append(c.pending[:0], data[len(data)-keep:]...)
			return
		}
		c.emit(data[:i])
		c.capturing = !c.capturing
		c.toggled(c.capturing)
		data = data[i+len(tok):]
		if len(data) == 0 {
			return
		}
	}
}

func (c *captureParser) emit(p []byte) {
	if len(p) > 0 {
		c.out(p, c.capturing)
	}
}

// flush hands out what is held back, in the current mode; a complete
// token in it still switches the mode.
func (c *captureParser) flush() {
	data := c.pending
	for len(data) > 0 {
		tok := c.token()
		i := bytes.Index(data, tok)
		if i < 0 {
			c.emit(data)
			break
		}
		c.emit(data[:i])
		c.capturing = !c.capturing
		c.toggled(c.capturing)
		data = data[i+len(tok):]
	}
	c.pending = c.pending[:0]
}

// prefixAtEnd is medusa's find_prefix_at_end: the length of the longest
// proper prefix of tok that data ends with.
func prefixAtEnd(data, tok []byte) int {
	for l := len(tok) - 1; l > 0; l-- {
		if bytes.HasSuffix(data, tok[:l]) {
			return l
		}
	}
	return 0
}

// boundedBuffer is 4.2's loggers.BoundIO, the capture buffer: when a write
// would take it past max, as many bytes as are being written are first
// dropped from its front. (So it keeps roughly the last max bytes, and a
// single write larger than max is kept whole.)
type boundedBuffer struct {
	max int64
	buf []byte
}

func (b *boundedBuffer) write(p []byte) {
	if int64(len(b.buf)+len(p)) > b.max {
		drop := min(len(p), len(b.buf))
		n := copy(b.buf, b.buf[drop:])
		b.buf = b.buf[:n]
	}
	b.buf = append(b.buf, p...)
}
