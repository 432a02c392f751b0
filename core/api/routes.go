package api

import (
	"net/http"
	"net/url"
	"strings"
)

// route is one URL of the API: a method and a pattern whose {x} segments
// are parameters (a process name, a group, a channel).
type route struct {
	method  string
	pattern string
	segs    []string
	serve   func(http.ResponseWriter, *request)
}

// table is every route of the API, in the order openapi.json lists them.
func (h *Handler) table() []route {
	rs := []route{
		{method: "GET", pattern: "/api/v1/", serve: h.index},
		{method: "GET", pattern: "/api/v1/openapi.json", serve: serveOpenAPI},
		{method: "GET", pattern: "/api/v1/events", serve: h.events},

		{method: "GET", pattern: "/api/v1/supervisor", serve: h.supervisorInfo},
		{method: "POST", pattern: "/api/v1/supervisor/reread", serve: h.reread},
		{method: "POST", pattern: "/api/v1/supervisor/update", serve: h.update},
		{method: "POST", pattern: "/api/v1/supervisor/restart", serve: h.restartDaemon},
		{method: "POST", pattern: "/api/v1/supervisor/shutdown", serve: h.shutdownDaemon},
		{method: "GET", pattern: "/api/v1/supervisor/log", serve: h.readMainLog},
		{method: "GET", pattern: "/api/v1/supervisor/log/download", serve: h.downloadMainLog},
		{method: "DELETE", pattern: "/api/v1/supervisor/log", serve: h.clearMainLog},

		{method: "GET", pattern: "/api/v1/processes", serve: h.listProcesses},
		{method: "GET", pattern: "/api/v1/processes/{name}", serve: h.getProcess},
		{method: "POST", pattern: "/api/v1/processes/{name}/start", serve: h.processAction(actStart)},
		{method: "POST", pattern: "/api/v1/processes/{name}/stop", serve: h.processAction(actStop)},
		{method: "POST", pattern: "/api/v1/processes/{name}/restart", serve: h.processAction(actRestart)},
		{method: "POST", pattern: "/api/v1/processes/{name}/signal", serve: h.processAction(actSignal)},
		{method: "POST", pattern: "/api/v1/processes/{name}/stdin", serve: h.sendStdin},
		{method: "GET", pattern: "/api/v1/processes/{name}/logs/{channel}", serve: h.readProcessLog},
		{method: "GET", pattern: "/api/v1/processes/{name}/logs/{channel}/download", serve: h.downloadProcessLog},
		{method: "DELETE", pattern: "/api/v1/processes/{name}/logs", serve: h.clearProcessLogs},
		{method: "POST", pattern: "/api/v1/processes/{name}/rotate", serve: h.rotateProcessLogs}, // rotate.go

		{method: "GET", pattern: "/api/v1/groups", serve: h.listGroups},
		{method: "GET", pattern: "/api/v1/groups/{group}", serve: h.getGroup},
		{method: "POST", pattern: "/api/v1/groups/{group}/start", serve: h.groupAction(actStart)},
		{method: "POST", pattern: "/api/v1/groups/{group}/stop", serve: h.groupAction(actStop)},
		{method: "POST", pattern: "/api/v1/groups/{group}/restart", serve: h.groupAction(actRestart)},
		{method: "POST", pattern: "/api/v1/groups/{group}/signal", serve: h.groupAction(actSignal)},
		{method: "POST", pattern: "/api/v1/groups/{group}/rotate", serve: h.rotateGroupLogs}, // rotate.go

		{method: "POST", pattern: "/api/v1/all/start", serve: h.allAction(actStart)},
		{method: "POST", pattern: "/api/v1/all/stop", serve: h.allAction(actStop)},
		{method: "POST", pattern: "/api/v1/all/restart", serve: h.allAction(actRestart)},
		{method: "POST", pattern: "/api/v1/all/signal", serve: h.allAction(actSignal)},
		{method: "DELETE", pattern: "/api/v1/all/logs", serve: h.clearAllLogs},
		{method: "POST", pattern: "/api/v1/all/rotate", serve: h.rotateAllLogs}, // rotate.go
	}
	for i := range rs {
		rs[i].segs, _ = splitPath(rs[i].pattern)
	}
	return rs
}

// splitPath cuts an escaped path under /api/v1/ into its unescaped
// segments ("/api/v1/" itself has none); ok is false outside the API or
// for a segment that does not unescape.
func splitPath(escaped string) ([]string, bool) {
	rest, ok := strings.CutPrefix(escaped, Prefix)
	if !ok {
		return nil, false
	}
	if rest == "" {
		return []string{}, true
	}
	segs := strings.Split(rest, "/")
	for i, s := range segs {
		u, err := url.PathUnescape(s)
		if err != nil {
			return nil, false
		}
		segs[i] = u
	}
	return segs, true
}

// match finds the route for method and segs. When the path exists for
// other methods only, allowed lists them (for 405).
func (h *Handler) match(method string, segs []string) (*route, map[string]string, []string) {
	var allowed []string
	for i := range h.routes {
		rt := &h.routes[i]
		params, ok := matchSegs(rt.segs, segs)
		if !ok {
			continue
		}
		if rt.method == method || method == http.MethodHead && rt.method == http.MethodGet {
			return rt, params, nil
		}
		allowed = append(allowed, rt.method)
	}
	return nil, nil, allowed
}

func matchSegs(pattern, segs []string) (map[string]string, bool) {
	if len(pattern) != len(segs) {
		return nil, false
	}
	var params map[string]string
	for i, p := range pattern {
		if strings.HasPrefix(p, "{") && strings.HasSuffix(p, "}") {
			if segs[i] == "" {
				return nil, false
			}
			if params == nil {
				params = map[string]string{}
			}
			params[p[1:len(p)-1]] = segs[i]
			continue
		}
		if p != segs[i] {
			return nil, false
		}
	}
	return params, true
}
