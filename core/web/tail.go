package web

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"super/core/logging"
	"super/core/supervisor"
	"super/core/xmlrpc"
)

// tailBytes is how much of the log tail.html shows at least (its limit
// parameter can only ask for more), and how much /logtail starts with.
const tailBytes = 1024

type tailPage struct {
	Title   string
	Name    string // "" when no process was named
	Body    string
	Refresh string // the Refresh link ("" without a process)
	Stream  string // the /logtail URL the page follows ("" when it cannot)
}

// tail serves tail.html?processname=NAME[&limit=N]: the last max(N, 1024)
// bytes of the process's stdout log.
func (h *Handler) tail(w http.ResponseWriter, r *http.Request, form map[string]string) {
	page := tailPage{Title: "Supervisor tail of process None", Body: "No process name found"}
	if name, ok := form["processname"]; ok {
		limit := int64(tailBytes)
		if s := form["limit"]; s != "" && isDigits(s) {
			if n, err := strconv.ParseInt(s, 10, 64); err == nil && n > limit {
				limit = n
			}
		}
		page.Title = "Supervisor tail of process " + name
		page.Name = name
		page.Refresh = "tail.html?processname=" + quote(name) + "&limit=" + strconv.FormatInt(limit, 10)
		body, err := h.readTail(name, limit)
		switch {
		case err == nil:
			page.Body = body
			page.Stream = "logtail/" + quote(name)
		case errors.Is(err, logging.ErrNoFile):
			page.Body = "No file for " + name
		default:
			code, text := faultOf(err)
			page.Body = fmt.Sprintf("ERROR: unexpected rpc fault [%d] %s", code, text)
		}
	}
	hdr := w.Header()
	noCache(hdr)
	hdr.Set("Content-Type", "text/html;charset=utf-8")
	tailTmpl().Execute(w, page)
}

// readTail is readProcessStdoutLog(name, -limit, 0) as text.
func (h *Handler) readTail(name string, limit int64) (string, error) {
	path, err := h.b.LogFile(name, "stdout")
	if err != nil {
		return "", err
	}
	data, err := logging.ReadLog(path, -limit, 0)
	if err != nil {
		if errors.Is(err, logging.ErrNoFile) {
			return "", err
		}
		if errors.Is(err, logging.ErrFailed) {
			return "", &Fault{Code: int(supervisor.Failed), Text: "FAILED"}
		}
		return "", err
	}
	// The page is UTF-8; a cut through a character, or binary output,
	// must not make it invalid.
	return strings.ToValidUTF8(string(data), "\uFFFD"), nil
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// logtail serves /logtail/NAME and /logtail/NAME/CHANNEL: the last 1024
// bytes of the log, then everything appended to it, until the client goes.
func (h *Handler) logtail(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		xmlrpc.WriteHTTPError(w, http.StatusBadRequest)
		return
	}
	rest, ok := strings.CutPrefix(strings.TrimPrefix(r.URL.Path, "/logtail"), "/")
	if !ok || rest == "" {
		// 4.2 fails with a 500 on /logtail and /logtailX; nothing is there.
		xmlrpc.WriteHTTPError(w, http.StatusNotFound)
		return
	}
	name, channel, ok := strings.Cut(rest, "/")
	if !ok {
		channel = "stdout"
	}
	if channel != "stdout" && channel != "stderr" {
		xmlrpc.WriteHTTPError(w, http.StatusNotFound)
		return
	}
	path, err := h.b.LogFile(name, channel)
	if err != nil || path == "" {
		// No process, or no log file: 4.2 answers 404 for both.
		xmlrpc.WriteHTTPError(w, http.StatusNotFound)
		return
	}
	w.Header().Set("X-Accel-Buffering", "no") // no buffering in a reverse proxy
	stream(w, r, path)
}

// mainlogtail serves /mainlogtail: the activity log, followed.
func (h *Handler) mainlogtail(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		xmlrpc.WriteHTTPError(w, http.StatusBadRequest)
		return
	}
	path := h.b.MainLogFile()
	if path == "" {
		xmlrpc.WriteHTTPError(w, http.StatusNotFound)
		return
	}
	stream(w, r, path)
}

// stream follows path into w until the request ends.
func stream(w http.ResponseWriter, r *http.Request, path string) {
	f, err := logging.OpenFollower(path, tailBytes)
	if err != nil {
		// A log that does not exist (yet) is 4.2's 404 as well.
		xmlrpc.WriteHTTPError(w, http.StatusNotFound)
		return
	}
	defer f.Close()
	hdr := w.Header()
	hdr.Set("Last-Modified", f.ModTime().UTC().Format(http.TimeFormat))
	hdr.Set("Content-Type", "text/plain;charset=utf-8")
	// The log is the programs' bytes: never let a browser take it for HTML.
	hdr.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	f.Run(r.Context(), func(data []byte, off int64) error {
		if off < 0 {
			data = []byte(logging.Truncated)
		}
		_, err := w.Write(data)
		return err
	}, http.NewResponseController(w).Flush)
}
