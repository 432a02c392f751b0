package web

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"time"

	"super/core/process"
	"super/core/server"
	"super/core/supervisor"
	"super/core/version"
	"super/core/xmlrpc"
)

// ctime is Python's time.ctime(), which 4.2's messages use.
func ctime(t time.Time) string { return t.Format("Mon Jan _2 15:04:05 2006") }

// now is the clock of the messages; tests replace it.
var now = time.Now

// status serves index.html: with an action it performs it and redirects to
// "/?message=...", else it renders the table.
func (h *Handler) status(w http.ResponseWriter, r *http.Request, form map[string]string) {
	if action := form["action"]; action != "" {
		// Every action but refresh changes state: one fired by a page
		// of another site through the user's browser is refused.
		if action != "refresh" && server.CrossSite(r) {
			xmlrpc.WriteHTTPError(w, http.StatusForbidden)
			return
		}
		msg, ok := h.act(r.Context(), form["processname"], action)
		if !ok {
			// 4.2 fails with a ValueError here.
			xmlrpc.WriteHTTPError(w, http.StatusInternalServerError)
			return
		}
		hdr := w.Header()
		noCache(hdr)
		hdr.Set("Location", serverURL(r)+"/?message="+quote(msg))
		xmlrpc.WriteHTTPError(w, http.StatusMovedPermanently)
		return
	}

	page := statusPage{
		Version: version.Supervisor,
		Year:    now().Year(),
	}
	if msg, ok := form["message"]; ok {
		page.Message = msg
	}
	infos, err := h.b.Processes()
	if err != nil {
		code, text := faultOf(err)
		page.Error = fmt.Sprintf("unexpected rpc fault [%d] %s", code, text)
	}
	page.Total = len(infos)
	if len(infos) > maxRows {
		// A big daemon: the first rows now, the rest from the JSON API
		// (the page's script), not megabytes of HTML at every load.
		infos = infos[:maxRows]
		page.Partial = true
	}
	health, notifyStatus := h.healthByName()
	page.Health = health != nil
	usage := h.usageByName() // resources.go
	page.Usage = usage != nil
	for _, info := range infos {
		rw := rowFor(info)
		if st, ok := notifyStatus[rw.Namespec]; ok { // a notify program's STATUS=, as in supervisorctl status
			if rw.Description != "" {
				rw.Description += ", "
			}
			rw.Description += "status: " + st
		}
		if u, ok := usage[rw.Namespec]; ok {
			rw.CPU, rw.Memory = u.cpu, u.mem
		}
		// As in supervisorctl status, only a RUNNING process shows its
		// verdict: the engine keeps the last one after the process
		// stops, and a FATAL or STOPPED row marked "healthy" would mislead.
		if page.Health && info.State == process.Running {
			rw.Health, rw.HealthClass = healthCell(health[rw.Namespec])
		}
		page.Rows = append(page.Rows, rw)
	}
	hdr := w.Header()
	noCache(hdr)
	hdr.Set("Content-Type", "text/html;charset=utf-8")
	if err := statusTmpl().Execute(w, page); err != nil {
		// The client went away; nothing to tell it.
		return
	}
}

// serverURL is 4.2's request.get_server_url: the redirect goes back to the
// host the browser asked for.
func serverURL(r *http.Request) string {
	host := r.Host
	if host == "" {
		return ""
	}
	if h, port, err := net.SplitHostPort(host); err == nil && port == "80" {
		host = h
		if net.ParseIP(h) != nil && net.ParseIP(h).To4() == nil {
			host = "[" + h + "]"
		}
	}
	return "http://" + host
}

// act performs one of index.html's actions and returns the message 4.2
// shows after it; ok is false for an action 4.2 does not know.
func (h *Handler) act(ctx context.Context, namespec, action string) (msg string, ok bool) {
	switch action {
	case "refresh":
		return "Page refreshed at " + ctime(now()), true
	case "stopall":
		h.b.StopAll(ctx)
		return "All stopped at " + ctime(now()), true
	case "restartall":
		h.b.StopAll(ctx)
		h.b.StartAll(ctx)
		return "All restarted at " + ctime(now()), true
	}
	if namespec == "" {
		return "", false
	}
	switch action {
	case "start", "stop", "restart", "clearlog":
	default:
		return "", false
	}
	if !h.exists(namespec) {
		return "No such process named " + namespec, true
	}
	switch action {
	case "start":
		if err := h.b.StartProcess(ctx, namespec); err != nil {
			return "ERROR: Process " + namespec + ": " + startError(err), true
		}
		return "Process " + namespec + " started", true
	case "stop":
		if err := h.b.StopProcess(ctx, namespec); err != nil {
			return unexpected(err), true
		}
		return "Process " + namespec + " stopped", true
	case "restart":
		// 4.2 runs stop and start as a multicall and ignores both results.
		h.b.StopProcess(ctx, namespec)
		h.b.StartProcess(ctx, namespec)
		return "Process " + namespec + " restarted", true
	default: // clearlog
		if err := h.b.ClearProcessLogs(namespec); err != nil {
			return unexpected(err), true
		}
		return "Log for " + namespec + " cleared", true
	}
}

// exists is 4.2's lookup before an action: split_namespec, then the group,
// then the process in it ("g:" and "g:*" name no process).
func (h *Handler) exists(namespec string) bool {
	group, name := supervisor.SplitNamespec(namespec)
	if name == "" {
		return false
	}
	infos, err := h.b.Processes()
	if err != nil {
		return false
	}
	for _, info := range infos {
		if info.Group == group && info.Name == name {
			return true
		}
	}
	return false
}

func unexpected(err error) string {
	code, text := faultOf(err)
	return fmt.Sprintf("unexpected rpc fault [%d] %s", code, text)
}

func startError(err error) string {
	code, _ := faultOf(err)
	switch supervisor.Fault(code) {
	case supervisor.NoFile:
		return "no such file"
	case supervisor.NotExecutable:
		return "file not executable"
	case supervisor.AlreadyStarted:
		return "already started"
	case supervisor.SpawnError:
		return "spawn error"
	case supervisor.AbnormalTermination:
		return "abnormal termination"
	}
	return unexpected(err)
}

// maxRows is how many rows the status page is rendered with, as 4.2
// renders them (scripts reading index.html find them); a daemon with more
// processes gets the first maxRows and the script loads the rest from the
// JSON API.
const maxRows = 300

type statusPage struct {
	Message string
	Error   string
	Health  bool // some process has a healthcheck: show the Health column
	Usage   bool // some process has resource keys: show the CPU and Memory columns
	Rows    []row
	Total   int  // processes in all
	Partial bool // Rows holds only the first maxRows of Total
	Version string
	Year    int
}

type row struct {
	Namespec    string
	TailHref    string
	State       string // lower case, as 4.2 shows it
	Class       string // 4.2's CSS class for the state
	Description string
	Pid         int
	Health      string // "healthy", "unhealthy", "starting"; "" without a healthcheck or when not RUNNING
	HealthClass string
	CPU, Memory string // resource figures of a running process's tree ("" when none)
	Actions     []actionLink
}

type actionLink struct {
	Name  string // the link text and name attribute, as in 4.2
	Href  string
	Blank bool // opens in a new tab
}

func rowFor(info supervisor.ProcessInfo) row {
	spec := supervisor.Namespec(info.Group, info.Name)
	q := quote(spec)
	rw := row{
		Namespec:    spec,
		TailHref:    "tail.html?processname=" + q,
		State:       lower(info.StateName),
		Description: info.Description,
		Pid:         info.Pid,
	}
	switch info.State {
	case process.Running:
		rw.Class = "statusrunning"
	case process.Fatal, process.Backoff:
		rw.Class = "statuserror"
	default:
		rw.Class = "statusnominal"
	}
	act := func(name, action string) actionLink {
		return actionLink{Name: name, Href: "index.html?processname=" + q + "&action=" + action}
	}
	switch info.State {
	case process.Running:
		rw.Actions = append(rw.Actions, act("Restart", "restart"), act("Stop", "stop"))
	case process.Stopped, process.Exited, process.Fatal:
		rw.Actions = append(rw.Actions, act("Start", "start"))
	}
	rw.Actions = append(rw.Actions,
		act("Clear Log", "clearlog"),
		actionLink{Name: "Tail -f Stdout", Href: "logtail/" + q, Blank: true},
		actionLink{Name: "Tail -f Stderr", Href: "logtail/" + q + "/stderr", Blank: true},
	)
	return rw
}

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// healthByName is the health of every process that has a healthcheck, by
// namespec; nil when none has one (the page then has no Health column,
// exactly 4.2's table) or the stats cannot be had. notifyStatus is the
// STATUS= text of every process whose program sent one.
func (h *Handler) healthByName() (m map[string]supervisor.Health, notifyStatus map[string]string) {
	all, err := h.b.Stats()
	if err != nil {
		return nil, nil
	}
	for i := range all {
		if all[i].NotifyStatus != "" {
			if notifyStatus == nil {
				notifyStatus = map[string]string{}
			}
			notifyStatus[supervisor.Namespec(all[i].Group, all[i].Name)] = all[i].NotifyStatus
		}
		if all[i].Health == supervisor.HealthNone {
			continue
		}
		if m == nil {
			m = map[string]supervisor.Health{}
		}
		m[supervisor.Namespec(all[i].Group, all[i].Name)] = all[i].Health
	}
	return m, notifyStatus
}

// healthCell is a Health column cell: its text and the state class that
// colours it like the State column.
func healthCell(hl supervisor.Health) (text, class string) {
	switch hl {
	case supervisor.HealthNone:
		return "", ""
	case supervisor.HealthHealthy:
		return hl.String(), "statusrunning"
	case supervisor.HealthUnhealthy:
		return hl.String(), "statuserror"
	}
	return hl.String(), "statusnominal"
}
