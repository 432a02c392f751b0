package api

import (
	"context"
	"errors"
	"io"
	"math"
	"net/http"
	"os"
	"sort"
	"strconv"

	"super/core/config"
	"super/core/logging"
	"super/core/rpc"
	"super/core/supervisor"
	"super/core/version"
	"super/core/xmlrpc"
)

func (h *Handler) index(w http.ResponseWriter, _ *request) {
	writeJSON(w, http.StatusOK, map[string]string{
		"api":     "super JSON API v1",
		"openapi": Prefix + "openapi.json",
		"events":  Prefix + "events",
	})
}

// SupervisorInfo is GET /api/v1/supervisor.
type SupervisorInfo struct {
	State             string `json:"statename"`
	StateCode         int    `json:"state"`
	Pid               int    `json:"pid"`
	Identification    string `json:"identification"`
	SupervisorVersion string `json:"supervisor_version"`
	SuperVersion      string `json:"super_version"`
	APIVersion        string `json:"api_version"`
}

func (h *Handler) supervisorInfo(w http.ResponseWriter, _ *request) {
	st := h.eng.State()
	writeJSON(w, http.StatusOK, SupervisorInfo{
		State: st.String(), StateCode: int(st), Pid: os.Getpid(),
		Identification:    h.rpc.Config().Supervisord.Identifier,
		SupervisorVersion: version.Supervisor, SuperVersion: version.Super, APIVersion: version.API,
	})
}

// Diff is POST /api/v1/supervisor/reread: what the configuration file now
// says against the running groups (reloadConfig).
type Diff struct {
	Added   []string `json:"added"`
	Changed []string `json:"changed"`
	Removed []string `json:"removed"`
}

func (h *Handler) reread(w http.ResponseWriter, q *request) {
	if err := q.decode(&struct{}{}); err != nil {
		writeError(w, err)
		return
	}
	added, changed, removed, err := h.rpc.Reread()
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, Diff{Added: added, Changed: changed, Removed: removed})
}

// UpdateResult is what update did to one group.
type UpdateResult struct {
	Group       string `json:"group"`
	Action      string `json:"action"` // "removed", "updated" or "added"
	Code        int    `json:"code"`   // 80 (SUCCESS) or the fault that stopped it
	Status      string `json:"status"` // "SUCCESS" or the fault's name
	Description string `json:"description"`
}

// UpdateAnswer is POST /api/v1/supervisor/update.
type UpdateAnswer struct {
	Diff
	Results []UpdateResult `json:"results"`
}

type updateBody struct {
	Groups []string `json:"groups"` // only these groups; none or "all": every group
}

// update is supervisorctl's update done by the daemon: reread, then
// remove the groups gone from the file (once stopped), stop, remove and
// add again the changed ones, add the new ones.
func (h *Handler) update(w http.ResponseWriter, q *request) {
	var body updateBody
	if err := q.decode(&body); err != nil {
		writeError(w, err)
		return
	}
	added, changed, removed, err := h.rpc.Reread()
	if err != nil {
		writeError(w, err)
		return
	}
	only := map[string]bool{}
	for _, g := range body.Groups {
		if g == "all" {
			only = map[string]bool{}
			break
		}
		only[g] = true
	}
	if len(only) > 0 {
		known := map[string]bool{}
		for _, gc := range h.eng.Groups() {
			known[gc.Name] = true
		}
		for _, g := range added {
			known[g] = true
		}
		for g := range only {
			if !known[g] {
				writeError(w, xmlrpc.NewFaultf(xmlrpc.FaultBadName, "%s", g))
				return
			}
		}
	}
	skip := func(g string) bool { return len(only) > 0 && !only[g] }
	ctx := q.r.Context()
	ans := UpdateAnswer{Diff: Diff{Added: added, Changed: changed, Removed: removed}, Results: []UpdateResult{}}
	outcome := func(group, action string, err error) {
		r := UpdateResult{Group: group, Action: action, Code: int(supervisor.Success), Status: "SUCCESS", Description: "OK"}
		if err != nil {
			e := toAPIError(err)
			r.Code, r.Status, r.Description = e.code, e.name, e.message
		}
		ans.Results = append(ans.Results, r)
	}
	for _, g := range removed {
		if skip(g) {
			continue
		}
		res, err := h.eng.StopGroup(ctx, g, true)
		if err == nil {
			for _, r := range res {
				if r.Status == supervisor.Failed {
					err = xmlrpc.NewFaultf(xmlrpc.FaultFailed, "%s has problems; not removing", g)
				}
			}
		}
		if err == nil {
			err = h.eng.RemoveGroup(g)
		}
		outcome(g, "removed", err)
	}
	for _, g := range changed {
		if skip(g) {
			continue
		}
		_, err := h.eng.StopGroup(ctx, g, true)
		if err == nil {
			err = h.eng.RemoveGroup(g)
		}
		if err == nil {
			err = h.rpc.AddGroup(g)
		}
		outcome(g, "updated", err)
	}
	for _, g := range added {
		if skip(g) {
			continue
		}
		outcome(g, "added", h.rpc.AddGroup(g))
	}
	writeJSON(w, http.StatusOK, ans)
}

// OK is the answer of a call that has nothing more to say.
type OK struct {
	OK bool `json:"ok"`
}

func (h *Handler) restartDaemon(w http.ResponseWriter, q *request) {
	h.simple(w, q, h.eng.Restart)
}

func (h *Handler) shutdownDaemon(w http.ResponseWriter, q *request) {
	h.simple(w, q, h.eng.Shutdown)
}

// simple runs a call that takes an empty JSON object and answers {"ok":true}.
func (h *Handler) simple(w http.ResponseWriter, q *request, fn func() error) {
	if err := q.decode(&struct{}{}); err != nil {
		writeError(w, err)
		return
	}
	if err := fn(); err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, OK{true})
}

// ProcessList is GET /api/v1/processes.
type ProcessList struct {
	// EventID is the event stream's last event when the list was read:
	// the events after it (Last-Event-ID) bring the list up to date.
	EventID   string    `json:"event_id"`
	Processes []Process `json:"processes"`
}

func (h *Handler) listProcesses(w http.ResponseWriter, _ *request) {
	id := h.hub.lastID()
	ps, err := h.processes()
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, ProcessList{EventID: id, Processes: ps})
}

// processSpec is the {name} of a process URL; a whole group ("g:*") is
// BAD_NAME there (the group URLs act on groups).
func processSpec(q *request) (string, error) {
	spec := q.params["name"]
	if supervisor.IsGroupSpec(spec) {
		return "", xmlrpc.NewFaultf(xmlrpc.FaultBadName, "%s", spec)
	}
	return spec, nil
}

func (h *Handler) getProcess(w http.ResponseWriter, q *request) {
	spec, err := processSpec(q)
	if err == nil {
		var p Process
		if p, err = h.oneProcess(spec); err == nil {
			writeJSON(w, http.StatusOK, p)
			return
		}
	}
	writeError(w, err)
}

type action int

const (
	actStart action = iota
	actStop
	actRestart
	actSignal
)

// actionBody is the body of start, stop, restart and signal.
type actionBody struct {
	// Wait: start returns once RUNNING (or failed), stop once stopped, as
	// XML-RPC's wait flag; default true.
	Wait *bool `json:"wait"`
	// Signal (signal only): a name ("HUP", "SIGHUP") or a number.
	Signal any `json:"signal"`
}

func (b *actionBody) wait() bool { return b.Wait == nil || *b.Wait }

// signal is the signal as the engine takes it: a name, or a number as
// text.
func (b *actionBody) signal() (string, error) {
	switch s := b.Signal.(type) {
	case string:
		return s, nil
	case float64:
		if s == math.Trunc(s) && math.Abs(s) < 1<<31 {
			return strconv.FormatInt(int64(s), 10), nil
		}
	case nil:
		return "", badParams("signal is missing")
	}
	return "", badParams("signal must be a name or a number")
}

func (q *request) actionBody(a action) (actionBody, error) {
	var b actionBody
	if err := q.decode(&b); err != nil {
		return b, err
	}
	if a != actSignal && b.Signal != nil {
		return b, badParams("signal is only taken by signal")
	}
	return b, nil
}

func (h *Handler) processAction(a action) func(http.ResponseWriter, *request) {
	return func(w http.ResponseWriter, q *request) {
		spec, err := processSpec(q)
		if err != nil {
			writeError(w, err)
			return
		}
		b, err := q.actionBody(a)
		if err != nil {
			writeError(w, err)
			return
		}
		if err := h.actOnProcess(q.r.Context(), a, spec, &b); err != nil {
			writeError(w, err)
			return
		}
		p, err := h.oneProcess(spec)
		if err != nil {
			writeError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, p)
	}
}

// actOnProcess is startProcess, stopProcess, signalProcess, or restart as
// supervisorctl does it: stop (waiting; NOT_RUNNING is fine), then start.
func (h *Handler) actOnProcess(ctx context.Context, a action, spec string, b *actionBody) error {
	if err := h.rpc.Ready(); err != nil {
		return err
	}
	switch a {
	case actStart:
		return h.eng.StartProcess(ctx, spec, b.wait())
	case actStop:
		return h.eng.StopProcess(ctx, spec, b.wait())
	case actRestart:
		if err := h.eng.StopProcess(ctx, spec, true); err != nil && !isFault(err, supervisor.NotRunning) {
			return err
		}
		return h.eng.StartProcess(ctx, spec, b.wait())
	default:
		sig, err := b.signal()
		if err != nil {
			return err
		}
		return h.eng.SignalProcess(spec, sig)
	}
}

func isFault(err error, f supervisor.Fault) bool {
	var se *supervisor.Error
	return errors.As(err, &se) && se.Fault == f
}

// Result is the outcome for one process of a group or "all" call (4.2's
// status structs).
type Result struct {
	Name        string `json:"name"`
	Group       string `json:"group"`
	Namespec    string `json:"namespec"`
	Code        int    `json:"code"`   // 80 (SUCCESS) or the fault
	Status      string `json:"status"` // "SUCCESS" or the fault's name
	Description string `json:"description"`
}

// Results is the answer of a group or "all" call; a restart also reports
// its stops.
type Results struct {
	Results     []Result  `json:"results"`
	StopResults *[]Result `json:"stop_results,omitempty"`
}

func toResults(rs []supervisor.Result) []Result {
	out := make([]Result, len(rs))
	for i, r := range rs {
		out[i] = Result{Name: r.Name, Group: r.Group, Namespec: supervisor.Namespec(r.Group, r.Name),
			Code: int(r.Status), Status: r.Status.String(), Description: r.Description}
	}
	return out
}

// many is the group and "all" calls' shared shape.
type many struct {
	start, stop func(ctx context.Context, wait bool) ([]supervisor.Result, error)
	signal      func(sig string) ([]supervisor.Result, error)
}

func (h *Handler) actOnMany(ctx context.Context, a action, m many, b *actionBody) (Results, error) {
	if err := h.rpc.Ready(); err != nil {
		return Results{}, err
	}
	var rs []supervisor.Result
	var err error
	out := Results{}
	switch a {
	case actStart:
		rs, err = m.start(ctx, b.wait())
	case actStop:
		rs, err = m.stop(ctx, b.wait())
	case actRestart:
		var stopped []supervisor.Result
		if stopped, err = m.stop(ctx, true); err == nil {
			sr := toResults(stopped)
			out.StopResults = &sr
			rs, err = m.start(ctx, b.wait())
		}
	default:
		var sig string
		if sig, err = b.signal(); err == nil {
			rs, err = m.signal(sig)
		}
	}
	if err != nil {
		return Results{}, err
	}
	out.Results = toResults(rs)
	return out, nil
}

func (h *Handler) groupAction(a action) func(http.ResponseWriter, *request) {
	return func(w http.ResponseWriter, q *request) {
		b, err := q.actionBody(a)
		if err != nil {
			writeError(w, err)
			return
		}
		g := q.params["group"]
		m := many{
			start: func(ctx context.Context, wait bool) ([]supervisor.Result, error) {
				return h.eng.StartGroup(ctx, g, wait)
			},
			stop: func(ctx context.Context, wait bool) ([]supervisor.Result, error) {
				return h.eng.StopGroup(ctx, g, wait)
			},
			signal: func(sig string) ([]supervisor.Result, error) { return h.eng.SignalGroup(g, sig) },
		}
		res, err := h.actOnMany(q.r.Context(), a, m, &b)
		if err != nil {
			writeError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, res)
	}
}

func (h *Handler) allAction(a action) func(http.ResponseWriter, *request) {
	return func(w http.ResponseWriter, q *request) {
		b, err := q.actionBody(a)
		if err != nil {
			writeError(w, err)
			return
		}
		m := many{start: h.eng.StartAll, stop: h.eng.StopAll, signal: h.eng.SignalAll}
		res, err := h.actOnMany(q.r.Context(), a, m, &b)
		if err != nil {
			writeError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, res)
	}
}

type stdinBody struct {
	Data *string `json:"data"`
}

func (h *Handler) sendStdin(w http.ResponseWriter, q *request) {
	spec, err := processSpec(q)
	if err != nil {
		writeError(w, err)
		return
	}
	var b stdinBody
	if err := q.decode(&b); err != nil {
		writeError(w, err)
		return
	}
	if b.Data == nil {
		writeError(w, badParams("data is missing"))
		return
	}
	if err := h.rpc.Ready(); err != nil {
		writeError(w, err)
		return
	}
	if err := h.eng.SendStdin(spec, []byte(*b.Data)); err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, OK{true})
}

// Group is one process group.
type Group struct {
	Name      string   `json:"name"`
	Kind      string   `json:"kind"` // "program", "group", "eventlistener" or "fcgi-program"
	Priority  int      `json:"priority"`
	Processes []string `json:"processes"` // namespecs, in the group's priority order
}

var kindNames = map[config.GroupKind]string{
	config.KindProgram: "program", config.KindGroup: "group",
	config.KindEventListener: "eventlistener", config.KindFCGI: "fcgi-program",
}

func newGroup(gc *config.GroupConfig) Group {
	g := Group{Name: gc.Name, Kind: kindNames[gc.Kind], Priority: gc.Priority, Processes: []string{}}
	for _, pc := range gc.Processes {
		g.Processes = append(g.Processes, supervisor.Namespec(gc.Name, pc.Name))
	}
	return g
}

// GroupList is GET /api/v1/groups.
type GroupList struct {
	Groups []Group `json:"groups"` // by name, as the process list
}

func (h *Handler) listGroups(w http.ResponseWriter, _ *request) {
	if err := h.rpc.Ready(); err != nil {
		writeError(w, err)
		return
	}
	gl := GroupList{Groups: []Group{}}
	for _, gc := range h.eng.Groups() {
		gl.Groups = append(gl.Groups, newGroup(gc))
	}
	sort.Slice(gl.Groups, func(i, j int) bool { return gl.Groups[i].Name < gl.Groups[j].Name })
	writeJSON(w, http.StatusOK, gl)
}

func (h *Handler) getGroup(w http.ResponseWriter, q *request) {
	if err := h.rpc.Ready(); err != nil {
		writeError(w, err)
		return
	}
	name := q.params["group"]
	for _, gc := range h.eng.Groups() {
		if gc.Name == name {
			writeJSON(w, http.StatusOK, newGroup(gc))
			return
		}
	}
	writeError(w, xmlrpc.NewFaultf(xmlrpc.FaultBadName, "%s", name))
}

// LogChunk is a piece of a log file.
type LogChunk struct {
	Data       string `json:"data"`        // the bytes, as UTF-8 (invalid sequences replaced)
	Offset     int64  `json:"offset"`      // where in the file they start
	NextOffset int64  `json:"next_offset"` // where the next read starts: offset + the bytes' length
}

// defaultTail is how much of a log GET answers without an offset.
const defaultTail = 64 << 10

// readLog reads a log by readProcessLog's rules (offset >= 0: length bytes
// from offset, 0 = to the end; offset < 0: the last -offset bytes, length
// must be 0), telling where the bytes are in the file.
func readLog(q *request, path, name string) (LogChunk, error) {
	off, err := q.intQuery("offset", -defaultTail)
	if err != nil {
		return LogChunk{}, err
	}
	n, err := q.intQuery("length", 0)
	if err != nil {
		return LogChunk{}, err
	}
	if off >= 0 {
		data, err := rpc.ReadLogFile(path, name, off, n)
		if err != nil {
			return LogChunk{}, err
		}
		return LogChunk{Data: string(data), Offset: off, NextOffset: off + int64(len(data))}, nil
	}
	// The last bytes: check the rules and the file as readLog does, then
	// read them with the size known, from one open file.
	if _, err := rpc.ReadLogFile(path, name, -1, n); err != nil {
		return LogChunk{}, err
	}
	data, next, _ := logging.TailLog(path, 0, -off)
	return LogChunk{Data: string(data), Offset: next - int64(len(data)), NextOffset: next}, nil
}

func (h *Handler) readMainLog(w http.ResponseWriter, q *request) {
	if err := h.rpc.Ready(); err != nil {
		writeError(w, err)
		return
	}
	path := h.rpc.MainLogFile()
	name := path
	if name == "" {
		name = h.rpc.Config().Supervisord.Logfile
	}
	c, err := readLog(q, path, name)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, c)
}

func (h *Handler) clearMainLog(w http.ResponseWriter, q *request) {
	h.simple(w, q, h.rpc.ClearMainLog)
}

// channelLog is the log path of {name}'s {channel}.
func (h *Handler) channelLog(q *request) (string, error) {
	spec, err := processSpec(q)
	if err != nil {
		return "", err
	}
	var stderr bool
	switch q.params["channel"] {
	case "stdout":
	case "stderr":
		stderr = true
	default:
		return "", &apiError{status: http.StatusNotFound, code: xmlrpc.FaultBadArguments,
			name: "BAD_ARGUMENTS", message: "channel must be stdout or stderr"}
	}
	return h.rpc.ProcessLogFile(spec, stderr)
}

func (h *Handler) readProcessLog(w http.ResponseWriter, q *request) {
	path, err := h.channelLog(q)
	if err != nil {
		writeError(w, err)
		return
	}
	c, err := readLog(q, path, path)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, c)
}

func (h *Handler) downloadProcessLog(w http.ResponseWriter, q *request) {
	path, err := h.channelLog(q)
	if err != nil {
		writeError(w, err)
		return
	}
	download(w, q, path, path, q.params["name"]+"."+q.params["channel"]+".log")
}

func (h *Handler) downloadMainLog(w http.ResponseWriter, q *request) {
	if err := h.rpc.Ready(); err != nil {
		writeError(w, err)
		return
	}
	path := h.rpc.MainLogFile()
	download(w, q, path, h.rpc.Config().Supervisord.Logfile, "supervisord.log")
}

// download serves a whole log file as an attachment (the bytes as they
// are; the file may grow while it is sent: what was there when it was
// opened is sent).
func download(w http.ResponseWriter, q *request, path, name, filename string) {
	if path == "" {
		writeError(w, xmlrpc.NewFaultf(xmlrpc.FaultNoFile, "%s", name))
		return
	}
	f, err := os.Open(path)
	if err != nil {
		writeError(w, xmlrpc.NewFaultf(xmlrpc.FaultNoFile, "%s", name))
		return
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		writeError(w, xmlrpc.NewFault(xmlrpc.FaultFailed))
		return
	}
	hdr := w.Header()
	hdr.Set("Content-Type", "text/plain; charset=utf-8")
	hdr.Set("X-Content-Type-Options", "nosniff")
	hdr.Set("Cache-Control", "no-store")
	hdr.Set("Content-Disposition", `attachment; filename="`+safeFilename(filename)+`"`)
	http.ServeContent(w, q.r, "", fi.ModTime(), &sizedReader{f: f, size: fi.Size()})
}

// sizedReader is the file cut at the size it had when opened.
type sizedReader struct {
	f    *os.File
	size int64
	off  int64
}

func (s *sizedReader) Read(p []byte) (int, error) {
	if s.off >= s.size {
		return 0, io.EOF
	}
	if int64(len(p)) > s.size-s.off {
		p = p[:s.size-s.off]
	}
	n, err := s.f.ReadAt(p, s.off)
	s.off += int64(n)
	if err != nil && s.off < s.size {
		return n, err
	}
	return n, nil
}

func (s *sizedReader) Seek(offset int64, whence int) (int64, error) {
	switch whence {
	case 0:
	case 1:
		offset += s.off
	case 2:
		offset += s.size
	}
	if offset < 0 {
		return 0, errors.New("negative position")
	}
	s.off = offset
	return offset, nil
}

// safeFilename keeps a download's name to characters every browser takes
// in a quoted filename.
func safeFilename(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '/' || c == ':' {
			b[i] = '_'
		}
	}
	return string(b)
}

func (h *Handler) clearProcessLogs(w http.ResponseWriter, q *request) {
	spec, err := processSpec(q)
	if err != nil {
		writeError(w, err)
		return
	}
	h.simple(w, q, func() error {
		if err := h.rpc.Ready(); err != nil {
			return err
		}
		return h.eng.ClearProcessLogs(spec)
	})
}

func (h *Handler) clearAllLogs(w http.ResponseWriter, q *request) {
	if err := q.decode(&struct{}{}); err != nil {
		writeError(w, err)
		return
	}
	rs, err := h.rpc.ClearAllProcessLogs()
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, Results{Results: toResults(rs)})
}
