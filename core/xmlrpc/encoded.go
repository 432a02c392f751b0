package xmlrpc

// Encoded is a result encoded ahead of time: a handler that gives many
// callers the same answer (getAllProcessInfo polled while nothing changed)
// encodes it once and returns the same *Encoded to each. ServeHTTP writes
// its bytes as they are, with no answer buffer and no encoding per call;
// inside another value (system.multicall) it writes the value's bytes.
// The bytes are never modified once made, so any number of requests may
// write them at the same time.
type Encoded struct {
	resp       []byte // the whole methodResponse
	start, end int    // the value's own bytes within resp
}

const (
	responseOpen  = xmlHeader + "<methodResponse>\n<params>\n<param>\n"
	responseClose = "</param>\n</params>\n</methodResponse>\n"
)

// Encode encodes v now, exactly as ServeHTTP would answer it, into room
// for about sizeHint bytes.
func Encode(v Value, sizeHint int) (*Encoded, error) {
	out, err := encodeAppend(make([]byte, 0, len(responseOpen)+sizeHint+len(responseClose)),
		func(e *encoder) error { return e.response(v) })
	if err != nil {
		return nil, err
	}
	return &Encoded{resp: out, start: len(responseOpen), end: len(out) - len(responseClose)}, nil
}

// Len is the size of the whole methodResponse.
func (x *Encoded) Len() int { return len(x.resp) }

// MarshalXMLRPC writes the value's bytes where a value goes.
func (x *Encoded) MarshalXMLRPC(w *Writer) error {
	w.e.buf = append(w.e.buf, x.resp[x.start:x.end]...)
	w.e.maybeFlush()
	return nil
}
