// Package web is supervisord's web interface: the status page with its
// actions, the tail page, and the /logtail/ and /mainlogtail streams, at
// Supervisor 4.2's URLs with its query parameters, methods, messages and
// redirects; and super's own /metrics, /healthz and /readyz (metrics.go). The pages are plain HTML with a little embedded CSS and
// JavaScript (responsive layout, auto-refresh that keeps the scroll
// position, a live log view); nothing is loaded from elsewhere.
//
// Authentication is not done here: the HTTP server wraps every handler in
// its basic auth.
package web

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"

	"super/core/supervisor"
	"super/core/xmlrpc"
)

// Backend is what the pages need from the daemon. Every namespec is "name"
// or "group:name", passed on as the user typed it (as 4.2 does).
// Errors should be *supervisor.Error or *Fault so that the pages can show
// 4.2's fault codes; any other error is shown as FAILED.
type Backend interface {
	// Processes is getAllProcessInfo: every process, ordered by group then
	// name.
	Processes() ([]supervisor.ProcessInfo, error)
	// StartProcess starts a process and returns once it is RUNNING (or
	// failed), like startProcess with wait.
	StartProcess(ctx context.Context, namespec string) error
	// StopProcess stops a process and returns once it is stopped.
	StopProcess(ctx context.Context, namespec string) error
	// StartAll and StopAll are startAllProcesses and stopAllProcesses
	// with wait; per-process failures are not reported (4.2's page
	// ignores them).
	StartAll(ctx context.Context) error
	StopAll(ctx context.Context) error
	// ClearProcessLogs is clearProcessLogs.
	ClearProcessLogs(namespec string) error
	// LogFile is the path of a process's "stdout" or "stderr" log file,
	// "" when it has none (or for another channel); an error (BAD_NAME)
	// when there is no such process.
	LogFile(namespec, channel string) (string, error)
	// MainLogFile is the activity log's path, "" when it has none.
	MainLogFile() string
	// Stats is every process's counters and health, in Processes' order
	// (super.getAllProcessStats); an error (SHUTDOWN_STATE) once
	// supervisord is no longer RUNNING.
	Stats() ([]supervisor.ProcessStats, error)
	// Autostarts are the namespecs of the processes that start on their
	// own at daemon start: autostart=true, and no schedule.
	Autostarts() map[string]bool
}

// Fault is an error with a 4.2 XML-RPC fault code, for backends other than
// the supervisor itself (the supervisor's own *supervisor.Error is
// understood as well).
type Fault struct {
	Code int
	Text string // the faultString, e.g. "BAD_NAME: foo"
}

func (f *Fault) Error() string { return f.Text }

// faultOf gives the code and text 4.2 would show for err.
func faultOf(err error) (int, string) {
	var se *supervisor.Error
	if errors.As(err, &se) {
		return int(se.Fault), se.Error()
	}
	var f *Fault
	if errors.As(err, &f) {
		return f.Code, f.Text
	}
	return int(supervisor.Failed), supervisor.Failed.String() + ": " + err.Error()
}

// Handler serves the web interface; mount it for "/" (it answers 404 for
// paths that are not its own).
type Handler struct {
	b Backend
}

// New returns the web interface on top of b.
func New(b Backend) *Handler {
	return &Handler{b: b}
}

// maxFormBytes bounds a POSTed form; the pages only ever send a few names.
const maxFormBytes = 64 << 10

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	// 4.2 routes on the raw path: /logtail and /mainlogtail by prefix,
	// before the UI pages.
	switch {
	case p == "/metrics":
		h.metrics(w, r)
		return
	case p == "/healthz":
		h.healthz(w, r)
		return
	case p == "/readyz":
		h.readyz(w, r)
		return
	case strings.HasPrefix(p, "/logtail"):
		h.logtail(w, r)
		return
	case strings.HasPrefix(p, "/mainlogtail"):
		h.mainlogtail(w, r)
		return
	}
	page := strings.TrimLeft(p, "/")
	if page == "" {
		page = "index.html"
	}
	var serve func(http.ResponseWriter, *http.Request, map[string]string)
	switch page {
	case "index.html":
		serve = h.status
	case "tail.html":
		serve = h.tail
	case "ok.html":
		serve = func(w http.ResponseWriter, _ *http.Request, _ map[string]string) {
			w.Header().Set("Content-Type", "text/plain")
			io.WriteString(w, "OK")
		}
	}
	if serve == nil || (r.Method != http.MethodGet && r.Method != http.MethodPost) {
		// What 4.2's fallback file handler answers: it serves only GET
		// and HEAD, and has none of these files.
		if r.Method == http.MethodGet || r.Method == http.MethodHead {
			xmlrpc.WriteHTTPError(w, http.StatusNotFound)
		} else {
			xmlrpc.WriteHTTPError(w, http.StatusBadRequest)
		}
		return
	}
	form, err := readForm(r)
	if err != nil {
		xmlrpc.WriteHTTPError(w, http.StatusBadRequest)
		return
	}
	serve(w, r, form)
}

// readForm merges the query string and a POSTed urlencoded body as 4.2
// does: blank values are dropped, the first value of a query key wins and
// body values override the query.
func readForm(r *http.Request) (map[string]string, error) {
	form := map[string]string{}
	for k, vs := range r.URL.Query() {
		for _, v := range vs {
			if v != "" {
				form[k] = v
				break
			}
		}
	}
	if r.Method == http.MethodPost && r.Body != nil {
		body, err := io.ReadAll(io.LimitReader(r.Body, maxFormBytes+1))
		if err != nil {
			return nil, err
		}
		if len(body) > maxFormBytes {
			return nil, errors.New("form too large")
		}
		vals, _ := url.ParseQuery(string(body))
		for k, vs := range vals {
			for _, v := range vs {
				if v != "" {
					form[k] = v
				}
			}
		}
	}
	return form, nil
}

// noCache sets the headers 4.2 puts on every page.
func noCache(h http.Header) {
	h.Set("Pragma", "no-cache")
	h.Set("Cache-Control", "no-cache")
	h.Set("Expires", "Thu, 01 Jan 1970 00:00:00 GMT")
}

// quote is Python's urllib.parse.quote with its default safe "/": what
// 4.2 puts in links and in the redirect after an action.
func quote(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			c == '_' || c == '.' || c == '-' || c == '~' || c == '/' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}
