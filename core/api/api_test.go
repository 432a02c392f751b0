package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"super/core/testbin"
	"super/core/xmlrpc"
)

// apiPrograms: cat echoes its stdin into its log; idle is not started;
// grp holds two sleepers; missing cannot be spawned.
const apiPrograms = `[program:cat]
command=cat
startsecs=0

[program:idle]
command=sleep 1000
autostart=false
startsecs=0

[program:missing]
command=/nonexistent/program
autostart=false

[program:a]
command=sleep 1000
startsecs=0

[program:b]
command=sleep 1000
startsecs=0

[group:grp]
programs=a,b
`

// processNames lists the namespecs of a process list answer.
func processNames(r reply) []string {
	var out []string
	for _, p := range asSlice(r.field("processes")) {
		out = append(out, p.(map[string]any)["namespec"].(string))
	}
	return out
}

// pidOf is a process's pid as getProcessInfo gives it (0: none).
func (d *apiDaemon) pidOf(t *testing.T, name string) int {
	t.Helper()
	pid, _ := d.Call(t, "supervisor.getProcessInfo", name).(map[string]any)["pid"].(int)
	return pid
}

// xmlrpcFault is what XML-RPC answers for the same call.
func (d *apiDaemon) xmlrpcFault(t *testing.T, method string, params ...any) *xmlrpc.Fault {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err := d.Client(t).Call(ctx, method, params...)
	var f *xmlrpc.Fault
	if !errors.As(err, &f) {
		t.Fatalf("%s %v: want a fault, got %v", method, params, err)
	}
	return f
}

// sameFault checks that an API error answer carries XML-RPC's fault for
// the same request, and the expected HTTP status.
func sameFault(t *testing.T, what string, r reply, status int, f *xmlrpc.Fault) {
	t.Helper()
	if r.Status != status {
		t.Errorf("%s: status %d, want %d (%s)", what, r.Status, status, r.Raw)
	}
	code, _ := r.field("error", "code").(float64)
	msg, _ := r.field("error", "message").(string)
	if int(code) != f.Code || msg != f.String {
		t.Errorf("%s: error %v %q, XML-RPC says %d %q", what, code, msg, f.Code, f.String)
	}
	if name := r.errName(); !strings.HasPrefix(f.String, name) {
		t.Errorf("%s: error name %q, fault string %q", what, name, f.String)
	}
}

func TestAPIProcesses(t *testing.T) {
	t.Parallel()
	d := startAPI(t, apiPrograms)
	d.WaitState(t, "cat", "RUNNING", 10*time.Second)
	d.WaitState(t, "grp:a", "RUNNING", 10*time.Second)

	// The list: every process, in getAllProcessInfo's order, with its
	// fields as XML-RPC gives them.
	r := d.call(t, "GET", "/api/v1/processes", nil)
	if r.Status != 200 {
		t.Fatalf("list: %d %s", r.Status, r.Raw)
	}
	if got, want := strings.Join(processNames(r), ","), "cat,grp:a,grp:b,idle,missing"; got != want {
		t.Errorf("list %s, want %s", got, want)
	}
	info := d.Call(t, "supervisor.getProcessInfo", "grp:a").(map[string]any)
	one := d.call(t, "GET", "/api/v1/processes/grp:a", nil)
	for _, k := range []string{"name", "group", "statename", "state", "pid", "start", "stdout_logfile", "stderr_logfile", "spawnerr", "exitstatus"} {
		if num(one.field(k)) != fmt.Sprint(info[k]) {
			t.Errorf("grp:a %s: API %v, XML-RPC %v", k, one.field(k), info[k])
		}
	}
	if one.field("starts") != 1.0 || one.field("restarts") != 0.0 || one.field("health") != nil {
		t.Errorf("grp:a counters: %s", one.Raw)
	}
	if id, _ := r.field("event_id").(string); !strings.Contains(id, "-") {
		t.Errorf("event_id %q", id)
	}

	// Faults as XML-RPC's, with fitting statuses.
	sameFault(t, "unknown process", d.call(t, "GET", "/api/v1/processes/nope", nil), 404,
		d.xmlrpcFault(t, "supervisor.getProcessInfo", "nope"))
	sameFault(t, "a whole group", d.call(t, "GET", "/api/v1/processes/grp:*", nil), 404,
		d.xmlrpcFault(t, "supervisor.getProcessInfo", "grp:*"))
	sameFault(t, "start a running process", d.call(t, "POST", "/api/v1/processes/cat/start", map[string]any{}), 409,
		d.xmlrpcFault(t, "supervisor.startProcess", "cat"))
	sameFault(t, "stop a stopped process", d.call(t, "POST", "/api/v1/processes/idle/stop", map[string]any{}), 409,
		d.xmlrpcFault(t, "supervisor.stopProcess", "idle"))
	sameFault(t, "a bad signal", d.call(t, "POST", "/api/v1/processes/cat/signal", map[string]any{"signal": "NOPE"}), 400,
		d.xmlrpcFault(t, "supervisor.signalProcess", "cat", "NOPE"))
	sameFault(t, "start what does not exist", d.call(t, "POST", "/api/v1/processes/missing/start", map[string]any{}), 404,
		d.xmlrpcFault(t, "supervisor.startProcess", "missing"))
	sameFault(t, "unknown group", d.call(t, "POST", "/api/v1/groups/nope/start", map[string]any{}), 404,
		d.xmlrpcFault(t, "supervisor.startProcessGroup", "nope"))

	// Start, stop, restart, signal one process: the answer is the process
	// afterwards, and the activity log says what XML-RPC's calls say.
	r = d.call(t, "POST", "/api/v1/processes/idle/start", map[string]any{})
	if r.Status != 200 || r.field("statename") != "RUNNING" {
		t.Fatalf("start idle: %d %s", r.Status, r.Raw)
	}
	pid := r.field("pid").(float64)
	d.WaitLog(t, fmt.Sprintf("spawned: 'idle' with pid %d", int(pid)), 5*time.Second)
	r = d.call(t, "POST", "/api/v1/processes/idle/restart", map[string]any{"wait": true})
	if r.Status != 200 || r.field("statename") != "RUNNING" || r.field("pid") == pid || r.field("restarts") != 1.0 {
		t.Fatalf("restart idle: %d %s", r.Status, r.Raw)
	}
	r = d.call(t, "POST", "/api/v1/processes/idle/signal", map[string]any{"signal": 15})
	if r.Status != 200 {
		t.Fatalf("signal idle: %d %s", r.Status, r.Raw)
	}
	d.WaitLog(t, "exited: idle (terminated by SIGTERM; not expected)", 10*time.Second)
	d.WaitState(t, "idle", "RUNNING", 10*time.Second) // autorestart=unexpected
	r = d.call(t, "POST", "/api/v1/processes/idle/stop", map[string]any{"wait": false})
	if r.Status != 200 {
		t.Fatalf("stop idle without waiting: %d %s", r.Status, r.Raw)
	}
	d.WaitState(t, "idle", "STOPPED", 10*time.Second)
	r = d.call(t, "POST", "/api/v1/processes/idle/start", map[string]any{"wait": false})
	if r.Status != 200 {
		t.Fatalf("start idle without waiting: %d %s", r.Status, r.Raw)
	}
	d.WaitState(t, "idle", "RUNNING", 10*time.Second)
	r = d.call(t, "POST", "/api/v1/processes/idle/stop", map[string]any{})
	if r.Status != 200 || r.field("statename") != "STOPPED" {
		t.Fatalf("stop idle: %d %s", r.Status, r.Raw)
	}
	d.WaitLog(t, "stopped: idle (terminated by SIGTERM)", 5*time.Second)

	// A group and everything.
	r = d.call(t, "POST", "/api/v1/groups/grp/stop", map[string]any{})
	if r.Status != 200 || len(asSlice(r.field("results"))) != 2 || d.StateOf(t, "grp:a") != "STOPPED" {
		t.Fatalf("stop grp: %d %s", r.Status, r.Raw)
	}
	r = d.call(t, "POST", "/api/v1/groups/grp/start", map[string]any{"wait": true})
	if r.Status != 200 || len(asSlice(r.field("results"))) != 2 || d.StateOf(t, "grp:a") != "RUNNING" {
		t.Fatalf("start grp: %d %s", r.Status, r.Raw)
	}
	r = d.call(t, "POST", "/api/v1/groups/grp/restart", map[string]any{})
	if r.Status != 200 || d.StateOf(t, "grp:b") != "RUNNING" {
		t.Fatalf("restart grp: %d %s", r.Status, r.Raw)
	}
	if res := asSlice(r.field("results")); len(res) != 2 || res[0].(map[string]any)["status"] != "SUCCESS" {
		t.Errorf("restart grp results: %s", r.Raw)
	}
	pidA, pidB := d.pidOf(t, "grp:a"), d.pidOf(t, "grp:b")
	r = d.call(t, "POST", "/api/v1/groups/grp/signal", map[string]any{"signal": "HUP"})
	if r.Status != 200 || len(asSlice(r.field("results"))) != 2 {
		t.Errorf("signal grp: %d %s", r.Status, r.Raw)
	}
	// HUP ends a sleep: both were signalled, exited and are restarted
	// (autorestart=unexpected). Until the restart they are EXITED, which
	// "signal all" rightly leaves out (as 4.2 does), so it waits for it.
	for name, old := range map[string]int{"grp:a": pidA, "grp:b": pidB} {
		if err := testbin.Poll(10*time.Second, func() bool {
			return d.StateOf(t, name) == "RUNNING" && d.pidOf(t, name) != old
		}); err != nil {
			t.Fatalf("%s (pid %d) not restarted after SIGHUP: %s\n%s", name, old, d.StateOf(t, name), d.Log())
		}
	}
	r = d.call(t, "POST", "/api/v1/all/signal", map[string]any{"signal": "CONT"})
	if r.Status != 200 || len(asSlice(r.field("results"))) != 3 {
		t.Errorf("signal all: %d %s", r.Status, r.Raw)
	}
	r = d.call(t, "POST", "/api/v1/all/stop", map[string]any{})
	if r.Status != 200 || d.StateOf(t, "cat") != "STOPPED" {
		t.Fatalf("stop all: %d %s", r.Status, r.Raw)
	}
	r = d.call(t, "POST", "/api/v1/all/start", map[string]any{})
	if r.Status != 200 || d.StateOf(t, "idle") != "RUNNING" {
		t.Fatalf("start all: %d %s", r.Status, r.Raw)
	}
	// missing is one of everything: its failure is in the results.
	failed := ""
	for _, x := range asSlice(r.field("results")) {
		if m := x.(map[string]any); m["status"] != "SUCCESS" {
			failed += m["namespec"].(string) + "=" + m["status"].(string) + " "
		}
	}
	if failed != "missing=NO_FILE " {
		t.Errorf("start all failures: %q", failed)
	}
	r = d.call(t, "POST", "/api/v1/all/restart", map[string]any{})
	if r.Status != 200 || r.field("stop_results") == nil {
		t.Errorf("restart all: %d %s", r.Status, r.Raw)
	}

	// Groups.
	r = d.call(t, "GET", "/api/v1/groups", nil)
	if r.Status != 200 || len(asSlice(r.field("groups"))) != 4 {
		t.Errorf("groups: %d %s", r.Status, r.Raw)
	}
	r = d.call(t, "GET", "/api/v1/groups/grp", nil)
	if r.Status != 200 || fmt.Sprint(r.field("processes")) != "[grp:a grp:b]" || r.field("kind") != "group" {
		t.Errorf("group grp: %d %s", r.Status, r.Raw)
	}
	sameFault(t, "unknown group", d.call(t, "GET", "/api/v1/groups/nope", nil), 404,
		d.xmlrpcFault(t, "supervisor.stopProcessGroup", "nope"))

	// The daemon.
	r = d.call(t, "GET", "/api/v1/supervisor", nil)
	if r.Status != 200 || r.field("statename") != "RUNNING" || r.field("pid") != float64(d.Pid()) ||
		r.field("identification") != "testsup" {
		t.Errorf("supervisor: %d %s", r.Status, r.Raw)
	}
	if r := d.call(t, "GET", "/api/v1/", nil); r.Status != 200 || r.field("openapi") != "/api/v1/openapi.json" {
		t.Errorf("index: %d %s", r.Status, r.Raw)
	}
}

func TestAPILogs(t *testing.T) {
	t.Parallel()
	d := startAPI(t, apiPrograms)
	d.WaitState(t, "cat", "RUNNING", 10*time.Second)

	// stdin in, the log out.
	r := d.call(t, "POST", "/api/v1/processes/cat/stdin", map[string]any{"data": "hello <api>\n"})
	if r.Status != 200 || r.field("ok") != true {
		t.Fatalf("stdin: %d %s", r.Status, r.Raw)
	}
	var chunk reply
	if err := testbin.Poll(10*time.Second, func() bool {
		chunk = d.call(t, "GET", "/api/v1/processes/cat/logs/stdout", nil)
		return chunk.field("data") == "hello <api>\n"
	}); err != nil {
		t.Fatalf("log: %s", chunk.Raw)
	}
	if chunk.field("offset") != 0.0 || chunk.field("next_offset") != 12.0 {
		t.Errorf("log offsets: %s", chunk.Raw)
	}
	// By offset, as readProcessStdoutLog.
	r = d.call(t, "GET", "/api/v1/processes/cat/logs/stdout?offset=6&length=5", nil)
	if r.field("data") != "<api>" || r.field("offset") != 6.0 || r.field("next_offset") != 11.0 {
		t.Errorf("log at 6: %s", r.Raw)
	}
	r = d.call(t, "GET", "/api/v1/processes/cat/logs/stdout?offset=-6", nil)
	if r.field("data") != "<api>\n" || r.field("offset") != 6.0 {
		t.Errorf("last 6 bytes: %s", r.Raw)
	}
	want := d.Call(t, "supervisor.readProcessStdoutLog", "cat", -6, 0)
	if r.field("data") != want {
		t.Errorf("API %q, XML-RPC %q", r.field("data"), want)
	}
	sameFault(t, "negative offset with a length", d.call(t, "GET", "/api/v1/processes/cat/logs/stdout?offset=-6&length=2", nil),
		400, d.xmlrpcFault(t, "supervisor.readProcessStdoutLog", "cat", -6, 2))
	if r := d.call(t, "GET", "/api/v1/processes/cat/logs/stdout?offset=x", nil); r.Status != 400 || r.errName() != "INCORRECT_PARAMETERS" {
		t.Errorf("offset=x: %d %s", r.Status, r.Raw)
	}
	if r := d.call(t, "GET", "/api/v1/processes/cat/logs/other", nil); r.Status != 404 {
		t.Errorf("channel other: %d %s", r.Status, r.Raw)
	}
	// Download: the whole file as an attachment.
	r = d.call(t, "GET", "/api/v1/processes/cat/logs/stdout/download", nil)
	if r.Status != 200 || string(r.Raw) != "hello <api>\n" || !strings.HasPrefix(r.Header.Get("Content-Disposition"), "attachment") {
		t.Errorf("download: %d %q %v", r.Status, r.Raw, r.Header)
	}
	// Clear.
	r = d.call(t, "DELETE", "/api/v1/processes/cat/logs", map[string]any{})
	if r.Status != 200 {
		t.Fatalf("clear: %d %s", r.Status, r.Raw)
	}
	if r := d.call(t, "GET", "/api/v1/processes/cat/logs/stdout", nil); r.field("data") != "" {
		t.Errorf("after clear: %s", r.Raw)
	}
	if r := d.call(t, "DELETE", "/api/v1/all/logs", map[string]any{}); r.Status != 200 || len(asSlice(r.field("results"))) != 5 {
		t.Errorf("clear all: %d %s", r.Status, r.Raw)
	}

	// The activity log.
	r = d.call(t, "GET", "/api/v1/supervisor/log?offset=0", nil)
	if r.Status != 200 || !strings.Contains(r.field("data").(string), "spawned: 'cat'") {
		t.Fatalf("activity log: %d %s", r.Status, r.Raw)
	}
	if r := d.call(t, "GET", "/api/v1/supervisor/log/download", nil); r.Status != 200 || !strings.Contains(string(r.Raw), "spawned: 'cat'") {
		t.Errorf("activity log download: %d", r.Status)
	}
	if r := d.call(t, "DELETE", "/api/v1/supervisor/log", map[string]any{}); r.Status != 200 {
		t.Fatalf("clear activity log: %d %s", r.Status, r.Raw)
	}
	if strings.Contains(d.Log(), "spawned: 'cat'") {
		t.Errorf("activity log not cleared")
	}
}

func TestAPIRereadUpdate(t *testing.T) {
	t.Parallel()
	d := startAPI(t, "[program:keep]\ncommand=sleep 1000\nstartsecs=0\n\n[program:change]\ncommand=sleep 1000\nstartsecs=0\n\n"+
		"[program:gone]\ncommand=sleep 1000\nstartsecs=0\n")
	d.WaitState(t, "gone", "RUNNING", 10*time.Second)
	conf, err := os.ReadFile(d.Conf)
	if err != nil {
		t.Fatal(err)
	}
	next := strings.Replace(string(conf), "[program:gone]\ncommand=sleep 1000\nstartsecs=0\n", "[program:new]\ncommand=sleep 999\nstartsecs=0\n", 1)
	next = strings.Replace(next, "[program:change]\ncommand=sleep 1000", "[program:change]\ncommand=sleep 1001", 1)
	if err := os.WriteFile(d.Conf, []byte(next), 0o644); err != nil {
		t.Fatal(err)
	}
	r := d.call(t, "POST", "/api/v1/supervisor/reread", map[string]any{})
	if r.Status != 200 || fmt.Sprint(r.field("added"), r.field("changed"), r.field("removed")) != "[new] [change] [gone]" {
		t.Fatalf("reread: %d %s", r.Status, r.Raw)
	}
	if r := d.call(t, "POST", "/api/v1/supervisor/update", map[string]any{"groups": []string{"nope"}}); r.Status != 404 || r.errName() != "BAD_NAME" {
		t.Errorf("update of an unknown group: %d %s", r.Status, r.Raw)
	}
	r = d.call(t, "POST", "/api/v1/supervisor/update", map[string]any{})
	if r.Status != 200 {
		t.Fatalf("update: %d %s", r.Status, r.Raw)
	}
	var did []string
	for _, x := range asSlice(r.field("results")) {
		m := x.(map[string]any)
		did = append(did, fmt.Sprint(m["group"], ":", m["action"], ":", m["status"]))
	}
	if got := strings.Join(did, " "); got != "gone:removed:SUCCESS change:updated:SUCCESS new:added:SUCCESS" {
		t.Errorf("update did %s", got)
	}
	d.WaitState(t, "new", "RUNNING", 10*time.Second)
	if got := strings.Join(processNames(d.call(t, "GET", "/api/v1/processes", nil)), ","); got != "change,keep,new" {
		t.Errorf("after update: %s", got)
	}
	d.WaitLog(t, "stopped: gone (terminated by SIGTERM)", 5*time.Second)

	// A file that does not parse: 4.2's CANT_REREAD.
	if err := os.WriteFile(d.Conf, []byte(next+"\n[program:bad]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	sameFault(t, "bad config", d.call(t, "POST", "/api/v1/supervisor/reread", map[string]any{}), 500,
		d.xmlrpcFault(t, "supervisor.reloadConfig"))

	// Restart: the daemon starts over on the file (fixed again).
	if err := os.WriteFile(d.Conf, []byte(next), 0o644); err != nil {
		t.Fatal(err)
	}
	before := strings.Count(d.Log(), "supervisord started with pid")
	if r := d.call(t, "POST", "/api/v1/supervisor/restart", map[string]any{}); r.Status != 200 {
		t.Fatalf("restart: %d %s", r.Status, r.Raw)
	}
	if err := testbin.Poll(20*time.Second, func() bool {
		return strings.Count(d.Log(), "supervisord started with pid") > before
	}); err != nil {
		t.Fatalf("the daemon did not restart:\n%s", d.Log())
	}
	d.WaitState(t, "new", "RUNNING", 10*time.Second)

	// Shutdown: the daemon goes; then nothing more is accepted.
	if r := d.call(t, "POST", "/api/v1/supervisor/shutdown", map[string]any{}); r.Status != 200 {
		t.Fatalf("shutdown: %d %s", r.Status, r.Raw)
	}
	if code, err := d.Wait(20 * time.Second); err != nil || code != 0 {
		t.Errorf("after shutdown: exit %d, %v", code, err)
	}
}

// TestAPIRefusals: credentials on every URL, never a change by GET, JSON
// bodies only, and nothing on behalf of another site.
func TestAPIRefusals(t *testing.T) {
	t.Parallel()
	d := startAPI(t, "[program:web]\ncommand=sleep 1000\nstartsecs=0\n\n[program:idle]\ncommand=sleep 1000\nautostart=false\n")
	d.WaitState(t, "web", "RUNNING", 10*time.Second)
	concrete := func(pattern string) string {
		return strings.NewReplacer("{name}", "web", "{group}", "web", "{channel}", "stdout").Replace(pattern)
	}
	routes := (&Handler{}).table()
	urls := []string{"/api/v1/nope", "/api/v1/processes/web/nope", "/api/", "/api/v1"}
	for _, rt := range routes {
		urls = append(urls, concrete(rt.pattern))
	}
	// 401 on every /api/ URL without credentials, for every method.
	for _, u := range urls {
		for _, m := range []string{"GET", "POST", "DELETE", "PUT"} {
			req, _ := http.NewRequest(m, d.Base+u, strings.NewReader("{}"))
			req.Header.Set("Content-Type", "application/json")
			if r := do(t, req); r.Status != 401 {
				t.Errorf("%s %s without credentials: %d", m, u, r.Status)
			}
		}
	}
	// GET on every URL changes nothing: web still runs, idle still not.
	hasGet := map[string]bool{}
	for _, rt := range routes {
		if rt.method == "GET" {
			hasGet[rt.pattern] = true
		}
	}
	for _, rt := range routes {
		if rt.pattern == "/api/v1/events" {
			continue // a stream; checked in the event tests
		}
		for _, p := range []string{"web", "idle"} {
			u := strings.NewReplacer("{name}", p, "{group}", p, "{channel}", "stdout").Replace(rt.pattern)
			r := d.call(t, "GET", u, nil)
			if !hasGet[rt.pattern] && r.Status != 405 {
				t.Errorf("GET %s: %d, want 405", u, r.Status)
			}
		}
	}
	if d.StateOf(t, "web") != "RUNNING" || d.StateOf(t, "idle") != "STOPPED" {
		t.Fatalf("GETs changed state: web %s, idle %s", d.StateOf(t, "web"), d.StateOf(t, "idle"))
	}
	if strings.Contains(d.Log(), "waiting for") || strings.Contains(d.Log(), "stopped: web") {
		t.Errorf("GETs acted:\n%s", d.Log())
	}
	// A change needs a JSON body: a form (what another site's page can
	// send) is refused.
	req, _ := http.NewRequest("POST", d.Base+"/api/v1/processes/web/stop", strings.NewReader("wait=1"))
	req.SetBasicAuth(apiUser, apiPass)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if r := do(t, req); r.Status != 415 {
		t.Errorf("form POST: %d %s", r.Status, r.Raw)
	}
	for _, bad := range []string{"[]", "{\"wait\": 1}", "{\"wiat\": true}", "{} {}", "null"} {
		req, _ := http.NewRequest("POST", d.Base+"/api/v1/processes/web/stop", strings.NewReader(bad))
		req.SetBasicAuth(apiUser, apiPass)
		req.Header.Set("Content-Type", "application/json")
		if r := do(t, req); r.Status != 400 || r.errName() != "INCORRECT_PARAMETERS" {
			t.Errorf("body %s: %d %s", bad, r.Status, r.Raw)
		}
	}
	if d.StateOf(t, "web") != "RUNNING" {
		t.Fatal("a refused request stopped web")
	}
}

// TestCrossSite: a browser's request on behalf of another site is refused
// on every URL that changes state (4.2's action links and forms, /RPC2,
// the API); the same requests from a script, or from the page itself, work.
func TestCrossSite(t *testing.T) {
	t.Parallel()
	d := startAPI(t, "[program:web]\ncommand=sleep 1000\nstartsecs=0\n")
	d.WaitState(t, "web", "RUNNING", 10*time.Second)
	host := strings.TrimPrefix(d.Base, "http://")
	foreign := [][]string{
		{"Sec-Fetch-Site", "cross-site"},
		{"Sec-Fetch-Site", "same-site"},
		{"Origin", "http://evil.example"},
		{"Origin", "http://" + strings.Replace(host, "127.0.0.1", "localhost", 1)},
		{"Origin", "null"},
	}
	xmlStop := `<?xml version="1.0"?><methodCall><methodName>supervisor.stopProcess</methodName>` +
		`<params><param><value><string>web</string></value></param></params></methodCall>`
	type attempt struct {
		method, path, ctype, body string
	}
	attempts := []attempt{
		{"GET", "/index.html?processname=web&action=stop", "", ""},
		{"GET", "/?processname=web&action=restart", "", ""},
		{"GET", "/index.html?action=stopall", "", ""},
		{"POST", "/index.html", "application/x-www-form-urlencoded", "processname=web&action=stop"},
		{"POST", "/RPC2", "text/plain", xmlStop},
		{"POST", "/api/v1/processes/web/stop", "application/json", "{}"},
		{"POST", "/api/v1/all/stop", "application/json", "{}"},
		{"DELETE", "/api/v1/processes/web/logs", "application/json", "{}"},
	}
	send := func(a attempt, hdr []string) *http.Response {
		req, _ := http.NewRequest(a.method, d.Base+a.path, strings.NewReader(a.body))
		req.SetBasicAuth(apiUser, apiPass)
		if a.ctype != "" {
			req.Header.Set("Content-Type", a.ctype)
		}
		if hdr != nil {
			req.Header.Set(hdr[0], hdr[1])
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	for _, a := range attempts {
		for _, h := range foreign {
			if resp := send(a, h); resp.StatusCode != 403 {
				t.Errorf("%s %s with %s: %s: %d, want 403", a.method, a.path, h[0], h[1], resp.StatusCode)
			}
		}
	}
	if st := d.StateOf(t, "web"); st != "RUNNING" {
		t.Fatalf("a cross-site request acted: web is %s\n%s", st, d.Log())
	}
	// Reading and refreshing are not refused, whoever links to them.
	for _, p := range []string{"/index.html", "/index.html?action=refresh", "/tail.html?processname=web"} {
		if resp := send(attempt{"GET", p, "", ""}, []string{"Sec-Fetch-Site", "cross-site"}); resp.StatusCode != 200 && resp.StatusCode != 301 {
			t.Errorf("cross-site GET %s: %d", p, resp.StatusCode)
		}
	}
	// The page's own requests (same origin), and scripts (no header): act
	// as before.
	same := []struct {
		hdr []string
		a   attempt
	}{
		{[]string{"Sec-Fetch-Site", "same-origin"}, attempts[0]},
		{[]string{"Origin", "http://" + host}, attempts[5]},
		{[]string{"Sec-Fetch-Site", "none"}, attempts[3]},
		{nil, attempts[4]}, // a script's XML-RPC call
		{nil, attempts[0]}, // a script's GET of 4.2's action link
	}
	for _, x := range same {
		a, h := x.a, x.hdr
		resp := send(a, h)
		if resp.StatusCode != 200 && resp.StatusCode != 301 {
			t.Errorf("%s %s with %v: %d", a.method, a.path, h, resp.StatusCode)
		}
		d.WaitState(t, "web", "STOPPED", 10*time.Second)
		d.Call(t, "supervisor.startProcess", "web")
	}
}

// TestOpenAPIDocument: the document is valid JSON in OpenAPI's shape, lists
// exactly the server's routes, and every success it documents was
// answered (and checked) in the tests above.
func TestOpenAPIDocument(t *testing.T) {
	d := openapiDoc(t)
	if d["openapi"] != "3.1.0" {
		t.Errorf("openapi version %v", d["openapi"])
	}
	paths := d["paths"].(map[string]any)
	inTable := map[string]bool{}
	for _, rt := range (&Handler{}).table() {
		key := strings.ToLower(rt.method) + " " + rt.pattern
		inTable[key] = true
		if dig(paths, rt.pattern, strings.ToLower(rt.method)) == nil {
			t.Errorf("route %s %s is not in openapi.json", rt.method, rt.pattern)
		}
	}
	for p, ops := range paths {
		for m := range ops.(map[string]any) {
			if !inTable[m+" "+p] {
				t.Errorf("openapi.json documents %s %s, which the server does not serve", m, p)
			}
		}
	}
	// Every $ref resolves.
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if ref, ok := x["$ref"].(string); ok {
				resolve(d, x)
				_ = ref
			}
			for _, e := range x {
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(d)
	// The document is what the server serves.
	ad := startAPI(t, "")
	r := ad.call(t, "GET", "/api/v1/openapi.json", nil)
	if r.Status != 200 || string(r.Raw) != string(openapi) {
		t.Errorf("GET openapi.json: %d", r.Status)
	}
}

// openapiCoverage lists the successes the document promises that no test
// saw (TestMain checks it once every test ran).
func openapiCoverage() []string {
	var d map[string]any
	if err := json.Unmarshal(openapi, &d); err != nil {
		return []string{err.Error()}
	}
	var missing []string
	for p, ops := range d["paths"].(map[string]any) {
		for m := range ops.(map[string]any) {
			key := strings.ToUpper(m) + " " + p + " 200"
			seenMu.Lock()
			ok := seen[key]
			seenMu.Unlock()
			if !ok {
				missing = append(missing, key)
			}
		}
	}
	sort.Strings(missing)
	return missing
}

// num prints a JSON number as XML-RPC's integers print.
func num(v any) string {
	if f, ok := v.(float64); ok && f == float64(int64(f)) {
		return fmt.Sprint(int64(f))
	}
	return fmt.Sprint(v)
}

// TestAPIPendingRestart: a program waiting out its restart_delay says when
// it will start again, in the list and in its process event.
func TestAPIPendingRestart(t *testing.T) {
	t.Parallel()
	d := startAPI(t, "[program:flaky]\ncommand=sh -c 'exit 3'\nstartsecs=0\nautorestart=true\nrestart_delay=600\n\n"+
		"[program:steady]\ncommand=sleep 1000\nstartsecs=0\n")
	d.WaitLog(t, "waiting 600 s before restarting flaky", 10*time.Second)
	r := d.call(t, "GET", "/api/v1/processes/flaky", nil)
	at, ok := r.field("restart_at").(float64)
	now, _ := r.field("now").(float64)
	if !ok || at < now+590 || at > now+601 {
		t.Errorf("flaky restart_at %v (now %v): %s", r.field("restart_at"), now, r.Raw)
	}
	if r := d.call(t, "GET", "/api/v1/processes/steady", nil); r.field("restart_at") != nil {
		t.Errorf("steady has a pending restart: %s", r.Raw)
	}
	// A stop cancels it.
	d.call(t, "POST", "/api/v1/processes/flaky/stop", map[string]any{})
	if r := d.call(t, "GET", "/api/v1/processes/flaky", nil); r.field("restart_at") != nil || r.field("statename") != "STOPPED" {
		t.Errorf("after stop: %s", r.Raw)
	}
}

// TestAPIUsage: a running process's CPU and memory (of its tree), its CPU
// use once two readings are apart, in the list and in the event stream;
// none for a process that does not run.
func TestAPIUsage(t *testing.T) {
	t.Parallel()
	d := startAPI(t, "[program:busy]\ncommand=sh -c 'while :; do :; done'\nstartsecs=0\n\n"+
		"[program:idle]\ncommand=sleep 1000\nautostart=false\n")
	d.WaitState(t, "busy", "RUNNING", 10*time.Second)
	s := d.openEvents(t, "types=stats", "")
	var busy map[string]any
	if err := testbin.Poll(20*time.Second, func() bool {
		r := d.call(t, "GET", "/api/v1/processes", nil)
		for _, p := range asSlice(r.field("processes")) {
			if m := p.(map[string]any); m["namespec"] == "busy" {
				busy = m
			}
		}
		pct, _ := busy["cpu_percent"].(float64)
		return pct > 10
	}); err != nil {
		t.Fatalf("busy never showed its CPU use: %v", busy)
	}
	if mem, _ := busy["memory_bytes"].(float64); mem < 4096 {
		t.Errorf("busy memory_bytes %v", busy["memory_bytes"])
	}
	if cpu, _ := busy["cpu_seconds"].(float64); cpu <= 0 {
		t.Errorf("busy cpu_seconds %v", busy["cpu_seconds"])
	}
	r := d.call(t, "GET", "/api/v1/processes/idle", nil)
	if r.field("cpu_seconds") != nil || r.field("cpu_percent") != nil || r.field("memory_bytes") != nil {
		t.Errorf("a stopped process has figures: %s", r.Raw)
	}
	e, _ := s.await("a stats event with busy's CPU use", 20*time.Second, func(e sse) bool {
		for _, p := range asSlice(e.Data["processes"]) {
			m := p.(map[string]any)
			if pct, _ := m["cpu_percent"].(float64); m["namespec"] == "busy" && pct > 10 {
				return true
			}
		}
		return false
	})
	validateEvent(t, e)
}
