package xmlrpc

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// Handler implements one XML-RPC method. params are the decoded request
// parameters (see DecodeCall). Returning a *Fault (or an error wrapping
// one) answers with that fault; any other error is an internal error
// (HTTP 500, as an unexpected exception is in Supervisor). ctx is cancelled
// when the client goes away, so long waits (startProcess with wait=true)
// can give up.
type Handler func(ctx context.Context, params []Value) (Value, error)

// Log levels passed to Registry.Log; the numbers are Supervisor's, so they
// convert directly to the activity log's levels.
const (
	LogCritical = 50
	LogError    = 40
	LogTrace    = 5
)

// DefaultMaxBodyBytes bounds a request body when Registry.MaxBodyBytes is
// zero. Supervisor's requests are small; the largest legitimate ones carry
// data for sendProcessStdin.
const DefaultMaxBodyBytes = 8 << 20

// Registry maps method names to handlers and serves them over HTTP
// (mount it at /RPC2). Register everything before serving; Register is
// nevertheless safe to call concurrently with requests.
type Registry struct {
	// MaxBodyBytes bounds request bodies (DefaultMaxBodyBytes when 0);
	// larger requests get HTTP 413.
	MaxBodyBytes int64
	// Log, when set, receives Supervisor's XML-RPC log lines: malformed
	// requests (LogError), unexpected handler errors (LogCritical), each
	// call and its outcome (LogTrace).
	Log func(level int, msg string)

	mu      sync.RWMutex
	methods map[string]Handler
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry {
	return &Registry{methods: make(map[string]Handler)}
}

// Register adds (or replaces) method name. Supervisor only dispatches names
// of exactly two dotted parts whose method part does not start with "_"
// (CVE-2017-11610); registering any other name is a programming error and
// panics, since no request could reach it.
func (r *Registry) Register(name string, h Handler) {
	if !validMethodName(name) {
		panic(fmt.Sprintf("xmlrpc: method name %q is not namespace.method", name))
	}
	if h == nil {
		panic("xmlrpc: nil handler for " + name)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.methods == nil {
		r.methods = make(map[string]Handler)
	}
	r.methods[name] = h
}

func validMethodName(name string) bool {
	ns, m, ok := strings.Cut(name, ".")
	return ok && ns != "" && m != "" && !strings.Contains(m, ".") && !strings.HasPrefix(m, "_")
}

// Methods returns the registered names, sorted (system.listMethods).
func (r *Registry) Methods() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	names := make([]string, 0, len(r.methods))
	for n := range r.methods {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Lookup returns the handler of name.
func (r *Registry) Lookup(name string) (Handler, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	h, ok := r.methods[name]
	return h, ok
}

// Call dispatches one call the way Supervisor's traverse does: an unknown
// or malformed name is Fault UNKNOWN_METHOD. system.multicall uses it for
// each of its calls.
func (r *Registry) Call(ctx context.Context, name string, params []Value) (Value, error) {
	if !validMethodName(name) {
		return nil, NewFault(FaultUnknownMethod)
	}
	h, ok := r.Lookup(name)
	if !ok {
		return nil, NewFault(FaultUnknownMethod)
	}
	if params == nil {
		params = []Value{}
	}
	return h(ctx, params)
}

// CheckArity returns Fault INCORRECT_PARAMETERS unless min <= len(params)
// <= max (max < 0: no upper bound) — what a Python method called with the
// wrong number of arguments produces in Supervisor.
func CheckArity(params []Value, min, max int) error {
	if len(params) < min || (max >= 0 && len(params) > max) {
		return NewFault(FaultIncorrectParameters)
	}
	return nil
}

func (r *Registry) log(level int, format string, args ...any) {
	if r.Log != nil {
		r.Log(level, fmt.Sprintf(format, args...))
	}
}

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// maxPooledBuffer keeps one huge request from pinning its buffer forever.
const maxPooledBuffer = 4 << 20

// maxAnswerBuffer is the biggest answer buffer kept for the next answer:
// getAllProcessInfo of 10,000 programs (about 11 MB). Bigger answers are
// rare enough to allocate each time. Kept buffers are dropped when the
// daemon goes quiet (DropAnswerBuffers).
const maxAnswerBuffer = 16 << 20

// ServeHTTP answers one XML-RPC request as Supervisor 4.2 does: POST only
// (400 otherwise), 400 for a body it cannot unmarshal or without a method
// name, faults in HTTP 200, 500 for an unexpected error. The response
// carries Content-Type text/xml and a Content-Length.
func (r *Registry) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	if req.Method != http.MethodPost {
		WriteHTTPError(w, http.StatusBadRequest)
		return
	}
	limit := r.MaxBodyBytes
	if limit <= 0 {
		limit = DefaultMaxBodyBytes
	}
	body := http.MaxBytesReader(w, req.Body, limit)
	in := bufPool.Get().(*bytes.Buffer)
	defer putBuf(in)
	in.Reset()
	if _, err := in.ReadFrom(body); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			r.log(LogError, "XML-RPC request too large (more than %d bytes)", limit)
			WriteHTTPError(w, http.StatusRequestEntityTooLarge)
			return
		}
		r.log(LogError, "XML-RPC request could not be read: %v", err)
		WriteHTTPError(w, http.StatusBadRequest)
		return
	}
	method, params, err := decodeCallBytes(in.Bytes())
	if err != nil {
		what := "unmarshallable"
		if errors.Is(err, ErrNoMethodName) {
			what = "no method name"
		}
		r.log(LogError, "XML-RPC request data %q is invalid: %s", in.Bytes(), what)
		WriteHTTPError(w, http.StatusBadRequest)
		return
	}

	r.log(LogTrace, "XML-RPC method called: %s()", method)
	value, err := r.Call(req.Context(), method, params)
	if x, ok := value.(*Encoded); ok && err == nil {
		// Encoded ahead and shared: written as it is, never into (or
		// back to) the answer buffers.
		r.log(LogTrace, "XML-RPC method %s() returned successfully", method)
		held := answerGate.enter()
		writeAnswer(w, x.resp)
		if held {
			answerGate.leave()
		}
		return
	}
	out := getAnswerBuf()
	defer func() { putAnswerBuf(out) }()
	var fault *Fault
	switch {
	case err == nil:
		r.log(LogTrace, "XML-RPC method %s() returned successfully", method)
		out, err = encodeAppend(out, func(e *encoder) error { return e.response(value) })
	case errors.As(err, &fault):
		r.log(LogTrace, "XML-RPC method %s() returned fault: [%d] %s", method, fault.Code, fault.String)
		out, err = encodeAppend(out, func(e *encoder) error { return e.faultResponse(fault) })
	}
	if err != nil {
		r.log(LogCritical, "Handling XML-RPC request with data %q raised an unexpected exception: %v", in.Bytes(), err)
		WriteHTTPError(w, http.StatusInternalServerError)
		return
	}
	writeAnswer(w, out)
}

// writeAnswer sends a methodResponse with status 200.
func writeAnswer(w http.ResponseWriter, out []byte) {
	h := w.Header()
	h.Set("Content-Type", "text/xml")
	h.Set("Content-Length", strconv.Itoa(len(out)))
	w.WriteHeader(http.StatusOK)
	w.Write(out)
}

// Answer buffers are kept on a short free list rather than in a
// sync.Pool: the pool is emptied at every collection, and regrowing a
// half-megabyte answer (500 processes) by doubling made the garbage that
// brought on the next collection. lastAnswer sizes a new buffer. (With the
// free list capped at 4 MiB, each answer for 5,000 programs, 5.5 MB, was
// allocated at 4 MiB, grown to 8 and dropped: 22 ms of the daemon's CPU
// per call, most of it collecting, against 2.4-4 ms at 1,000.)
var (
	answerBufs = make(chan []byte, 2)
	lastAnswer atomic.Int64
)

func getAnswerBuf() []byte {
	select {
	case b := <-answerBufs:
		return b[:0]
	default:
		return make([]byte, 0, lastAnswer.Load()+4096)
	}
}

// DropAnswerBuffers empties the free list of answer buffers: the next
// answers allocate again, at the size of the last one. A daemon calls it
// when it goes quiet, so that one idle for hours does not hold the
// buffers of its last burst of requests.
func DropAnswerBuffers() {
	for {
		select {
		case <-answerBufs:
		default:
			return
		}
	}
}

func putAnswerBuf(b []byte) {
	lastAnswer.Store(int64(min(len(b), maxAnswerBuffer)))
	if cap(b) > maxAnswerBuffer {
		return
	}
	select {
	case answerBufs <- b[:0]:
	default:
	}
}

func putBuf(b *bytes.Buffer) {
	if b.Cap() <= maxPooledBuffer {
		bufPool.Put(b)
	}
}

// WriteHTTPError writes the error page Supervisor's HTTP server (medusa)
// sends, byte for byte, with its Content-Type and Content-Length.
func WriteHTTPError(w http.ResponseWriter, code int) {
	body := "<head>\r\n<title>Error response</title>\r\n</head>\r\n<body>\r\n<h1>Error response</h1>\r\n" +
		"<p>Error code " + strconv.Itoa(code) + ".\r\n<p>Message: " + http.StatusText(code) + ".\r\n</body>\r\n"
	h := w.Header()
	h.Set("Content-Type", "text/html")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(code)
	w.Write([]byte(body))
}
