// Package api is super's JSON API under /api/v1/ and its event stream
// (/api/v1/events, Server-Sent Events), served on the same HTTP servers and
// behind the same basic auth as 4.2's XML-RPC.
//
// It is a thin layer: every request is one or a few calls of the engine
// (core/supervisor) or of the XML-RPC API's own calls (core/rpc: the
// configuration read last, the log readers), the very calls the XML-RPC
// methods make, so both surfaces take the same decisions, refuse with the
// same faults and write the same log lines. A refusal is answered as JSON
// carrying 4.2's fault name and code:
//
//	{"error": {"code": 10, "name": "BAD_NAME", "message": "BAD_NAME: foo"}}
//
// with an HTTP status that fits it (404 for BAD_NAME, 409 for
// ALREADY_STARTED, ...). State changes only by POST or DELETE with a JSON
// body (Content-Type: application/json), never by GET, and never when a
// browser says the request comes from another site; no CORS headers are
// sent, so other sites' pages can neither read answers nor send JSON.
//
// The routes are one table (routes.go); openapi.json describes them and a
// test checks the description against the answers.
package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"super/core/rpc"
	"super/core/server"
	"super/core/supervisor"
	"super/core/xmlrpc"
)

// Prefix is where the API is mounted.
const Prefix = "/api/v1/"

// Options are what the API serves.
type Options struct {
	// Engine runs the processes.
	Engine *supervisor.Supervisor
	// RPC is the XML-RPC API over the same engine: its calls that decide
	// something themselves (reread, the log readers) are shared.
	RPC *rpc.API
	// Events tunes the event stream; zero values take the defaults.
	Events EventOptions
}

// Handler serves /api/v1/.
type Handler struct {
	eng    *supervisor.Supervisor
	rpc    *rpc.API
	hub    *hub
	meter  *meter // CPU readings, for percentages (usage.go)
	routes []route
}

// New returns the API over opts.Engine.
func New(opts Options) *Handler {
	h := &Handler{eng: opts.Engine, rpc: opts.RPC, meter: newMeter()}
	h.hub = newHub(opts.Engine, h.meter, opts.Events)
	h.routes = h.table()
	return h
}

// Close ends the event streams (the daemon is going away); requests still
// served answer as usual.
func (h *Handler) Close() { h.hub.close() }

// maxBody bounds a JSON request body; the largest holds a signal name or
// a few group names.
const maxBody = 64 << 10

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	segs, ok := splitPath(r.URL.EscapedPath())
	if !ok {
		writeError(w, errNotFound(r.URL.Path))
		return
	}
	rt, params, allowed := h.match(r.Method, segs)
	if rt == nil {
		if len(allowed) > 0 {
			w.Header().Set("Allow", strings.Join(allowed, ", "))
			writeError(w, &apiError{status: http.StatusMethodNotAllowed, code: xmlrpc.FaultUnknownMethod,
				name: "UNKNOWN_METHOD", message: r.Method + " is not allowed on " + r.URL.Path})
			return
		}
		writeError(w, errNotFound(r.URL.Path))
		return
	}
	req := &request{r: r, params: params}
	if rt.method != http.MethodGet {
		// A change of state: never on behalf of another site, and
		// only with a JSON body, which no HTML form can send.
		if server.CrossSite(r) {
			writeError(w, &apiError{status: http.StatusForbidden, name: "CROSS_SITE",
				message: "refused: the browser sent this request from another site"})
			return
		}
		if err := req.readBody(); err != nil {
			writeError(w, err)
			return
		}
	}
	rt.serve(w, req)
}

// request is one call: its path parameters and its JSON body.
type request struct {
	r      *http.Request
	params map[string]string
	body   []byte // "{}" when the request had none
}

func (q *request) readBody() error {
	ct := q.r.Header.Get("Content-Type")
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil || mt != "application/json" {
		return &apiError{status: http.StatusUnsupportedMediaType, code: xmlrpc.FaultIncorrectParameters,
			name: "INCORRECT_PARAMETERS", message: "a request that changes state needs a JSON body (Content-Type: application/json)"}
	}
	buf := &bytes.Buffer{}
	if q.r.Body != nil {
		if _, err := buf.ReadFrom(http.MaxBytesReader(nil, q.r.Body, maxBody)); err != nil {
			return &apiError{status: http.StatusRequestEntityTooLarge, code: xmlrpc.FaultIncorrectParameters,
				name: "INCORRECT_PARAMETERS", message: "request body too large or unreadable"}
		}
	}
	q.body = bytes.TrimSpace(buf.Bytes())
	if len(q.body) == 0 {
		q.body = []byte("{}")
	}
	return nil
}

// decode reads the body into v (a pointer to one of the request structs);
// unknown members are refused, so a misspelt option does not pass
// silently.
func (q *request) decode(v any) error {
	return decodeBody(q.body, v)
}

func decodeBody(data []byte, v any) error {
	data = bytes.TrimSpace(data)
	if len(data) == 0 || data[0] != '{' {
		return badParams("bad JSON body: an object is expected")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return badParams("bad JSON body: " + err.Error())
	}
	if len(bytes.TrimSpace(data[dec.InputOffset():])) != 0 {
		return badParams("bad JSON body: more than one value")
	}
	return nil
}

// query reads an integer query parameter (def when absent).
func (q *request) intQuery(name string, def int64) (int64, error) {
	s := q.r.URL.Query().Get(name)
	if s == "" {
		return def, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, badParams(name + " must be an integer")
	}
	return n, nil
}

// apiError is an error answer.
type apiError struct {
	status  int
	code    int // 4.2's fault code; 0 for refusals 4.2 has no fault for
	name    string
	message string
}

func (e *apiError) Error() string { return e.message }

func badParams(msg string) *apiError {
	return &apiError{status: http.StatusBadRequest, code: xmlrpc.FaultIncorrectParameters,
		name: "INCORRECT_PARAMETERS", message: msg}
}

func errNotFound(path string) *apiError {
	return &apiError{status: http.StatusNotFound, code: xmlrpc.FaultUnknownMethod,
		name: "UNKNOWN_METHOD", message: "no such API URL: " + path}
}

// faultStatus is the HTTP status for each 4.2 fault.
var faultStatus = map[supervisor.Fault]int{
	supervisor.UnknownMethod:        http.StatusNotFound,
	supervisor.IncorrectParameters:  http.StatusBadRequest,
	supervisor.BadArguments:         http.StatusBadRequest,
	supervisor.SignatureUnsupported: http.StatusBadRequest,
	supervisor.ShutdownState:        http.StatusServiceUnavailable,
	supervisor.BadName:              http.StatusNotFound,
	supervisor.BadSignal:            http.StatusBadRequest,
	supervisor.NoFile:               http.StatusNotFound,
	supervisor.NotExecutable:        http.StatusInternalServerError,
	supervisor.Failed:               http.StatusInternalServerError,
	supervisor.AbnormalTermination:  http.StatusInternalServerError,
	supervisor.SpawnError:           http.StatusInternalServerError,
	supervisor.AlreadyStarted:       http.StatusConflict,
	supervisor.NotRunning:           http.StatusConflict,
	supervisor.AlreadyAdded:         http.StatusConflict,
	supervisor.StillRunning:         http.StatusConflict,
	supervisor.CantReread:           http.StatusInternalServerError,
}

// toAPIError turns the engine's and the XML-RPC layer's faults into error
// answers; anything else is a FAILED with status 500.
func toAPIError(err error) *apiError {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae
	}
	var code int
	var text string
	var se *supervisor.Error
	var xf *xmlrpc.Fault
	switch {
	case errors.As(err, &se):
		code, text = int(se.Fault), se.Error()
	case errors.As(err, &xf):
		code, text = xf.Code, xf.String
	default:
		code, text = int(supervisor.Failed), "FAILED: "+err.Error()
	}
	f := supervisor.Fault(code)
	status, ok := faultStatus[f]
	if !ok {
		status = http.StatusInternalServerError
	}
	return &apiError{status: status, code: code, name: f.String(), message: text}
}

type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    int    `json:"code"`
	Name    string `json:"name"`
	Message string `json:"message"`
}

func writeError(w http.ResponseWriter, err error) {
	e := toAPIError(err)
	writeJSON(w, e.status, errorBody{errorDetail{Code: e.code, Name: e.name, Message: e.message}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b, _ = json.Marshal(errorBody{errorDetail{Code: int(supervisor.Failed), Name: "FAILED", Message: err.Error()}})
	}
	b = append(b, '\n')
	hdr := w.Header()
	hdr.Set("Content-Type", "application/json")
	hdr.Set("Content-Length", strconv.Itoa(len(b)))
	hdr.Set("Cache-Control", "no-store")
	hdr.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	w.Write(b)
}
