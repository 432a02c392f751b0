package rpc_test

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"super/core/testbin"
)

// superPrograms: web is RUNNING with a healthcheck, flaky exits 3 once and
// is restarted (then runs), idle never starts.
const superPrograms = `[program:web]
command=/bin/sleep 1000
startsecs=0
healthcheck=/bin/true

[program:flaky]
command=/bin/sh -c "if [ -e flaky.ran ]; then exec /bin/sleep 1000; fi; touch flaky.ran; exit 3"
startsecs=0

[program:idle]
command=/bin/sleep 1000
autostart=false
`

// superScript calls the super.* methods through Python's own XML-RPC
// client and prints what it got as JSON: the wire format is what any
// client sees.
const superScript = `
import json, sys, xmlrpc.client
p = xmlrpc.client.ServerProxy(sys.argv[1])
out = {}
out['stats'] = p.super.getAllProcessStats()
out['health'] = p.super.getProcessHealth('web')
out['health_grp'] = p.super.getProcessHealth('idle:idle')
out['allhealth'] = p.super.getAllProcessHealth()
out['checkedhealth'] = p.super.getAllProcessHealth(True)
out['names'] = [i['name'] for i in p.supervisor.getAllProcessInfo()]
out['methods'] = [m for m in p.system.listMethods() if m.startswith('super.')]
out['sig'] = p.system.methodSignature('super.getAllProcessHealth')
for label, method, args in [('bad', 'super.getProcessHealth', ('nope',)),
                            ('badgroup', 'super.getProcessHealth', ('web:*',)),
                            ('info', 'supervisor.getProcessInfo', ('nope',)),
                            ('arity', 'super.getAllProcessStats', (1,))]:
    try:
        getattr(p, method)(*args)
        out[label] = 'no fault'
    except xmlrpc.client.Fault as f:
        out[label] = [f.faultCode, f.faultString]
print(json.dumps(out))
`

func TestSuperNamespaceThroughPython(t *testing.T) {
	if _, err := os.Stat(testbin.Python); err != nil {
		t.Skipf("%s is missing: the wire test needs Python's xmlrpc.client", testbin.Python)
	}
	dir := t.TempDir()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	conf := testbin.BaseConf(dir) + fmt.Sprintf("[inet_http_server]\nport=127.0.0.1:%d\n\n", port) + superPrograms
	d := testbin.StartConf(t, false, dir, conf)
	d.WaitState(t, "web", "RUNNING", 10*time.Second)
	// flaky: started, exited 3, started again and RUNNING.
	if err := testbin.Poll(15*time.Second, func() bool {
		for _, s := range d.Call(t, "super.getAllProcessStats").([]any) {
			m := s.(map[string]any)
			if m["name"] == "flaky" {
				return m["starts"] == 2 && m["statename"] == "RUNNING"
			}
		}
		return false
	}); err != nil {
		t.Fatalf("flaky was not restarted: %v\n%s", err, d.Out)
	}

	cmd := exec.Command(testbin.Python, "-c", superScript, fmt.Sprintf("http://127.0.0.1:%d/RPC2", port))
	var stderr strings.Builder
	cmd.Stderr = &stderr
	raw, err := cmd.Output()
	if err != nil {
		t.Fatalf("python: %v\n%s", err, stderr.String())
	}
	var got struct {
		Stats     []map[string]any
		Health    map[string]any
		HealthGrp map[string]any `json:"health_grp"`
		AllHealth []map[string]any
		Checked   []map[string]any `json:"checkedhealth"`
		Names     []string
		Methods   []string
		Sig       []string
		Bad       []any
		BadGroup  []any
		Info      []any
		Arity     []any
	}
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatalf("%v\n%s", err, raw)
	}

	byName := map[string]map[string]any{}
	var order []string
	for _, s := range got.Stats {
		byName[s["name"].(string)] = s
		order = append(order, s["name"].(string))
		keys := []string{"name", "group", "state", "statename", "start", "starts", "restarts", "exits", "exitstatus", "health", "restart_at", "next_run"}
		if len(s) != len(keys) {
			t.Errorf("stats struct %v: want exactly the keys %v", s, keys)
		}
	}
	if strings.Join(order, ",") != strings.Join(got.Names, ",") {
		t.Errorf("getAllProcessStats order %v, getAllProcessInfo order %v", order, got.Names)
	}
	now := float64(time.Now().Unix())
	want := map[string]map[string]any{
		"web":   {"group": "web", "state": 20.0, "statename": "RUNNING", "starts": 1.0, "restarts": 0.0, "exits": 0.0, "exitstatus": 0.0},
		"flaky": {"group": "flaky", "state": 20.0, "statename": "RUNNING", "starts": 2.0, "restarts": 1.0, "exits": 1.0, "exitstatus": 3.0, "health": "none"},
		"idle":  {"group": "idle", "state": 0.0, "statename": "STOPPED", "start": 0.0, "starts": 0.0, "restarts": 0.0, "exits": 0.0, "health": "none"},
	}
	for name, fields := range want {
		s := byName[name]
		if s == nil {
			t.Errorf("no stats for %s in %v", name, got.Stats)
			continue
		}
		for k, v := range fields {
			if s[k] != v {
				t.Errorf("%s.%s = %v (%T), want %v", name, k, s[k], s[k], v)
			}
		}
	}
	for _, name := range []string{"web", "flaky"} {
		if st, _ := byName[name]["start"].(float64); st < now-60 || st > now+1 {
			t.Errorf("%s.start = %v, want about %v", name, byName[name]["start"], now)
		}
	}
	if !validHealth(byName["web"]["health"], "starting", "healthy", "unhealthy") {
		t.Errorf("web.health = %v, want a checked health", byName["web"]["health"])
	}

	// getProcessHealth: the struct's keys and types.
	h := got.Health
	if h["name"] != "web" || h["group"] != "web" || !validHealth(h["health"], "starting", "healthy", "unhealthy") {
		t.Errorf("getProcessHealth(web) = %v", h)
	}
	for _, k := range []string{"failures", "checked"} {
		if _, ok := h[k].(float64); !ok {
			t.Errorf("getProcessHealth(web).%s = %v (%T), want an int", k, h[k], h[k])
		}
	}
	if _, ok := h["output"].(string); !ok || len(h) != 6 {
		t.Errorf("getProcessHealth(web) = %v: want name, group, health, failures, output, checked", h)
	}
	if got.HealthGrp["name"] != "idle" || got.HealthGrp["health"] != "none" || got.HealthGrp["checked"] != 0.0 {
		t.Errorf("getProcessHealth(idle:idle) = %v", got.HealthGrp)
	}
	if len(got.AllHealth) != len(got.Names) {
		t.Fatalf("getAllProcessHealth has %d entries, %d processes", len(got.AllHealth), len(got.Names))
	}
	for i, e := range got.AllHealth {
		if e["name"] != got.Names[i] || len(e) != 6 {
			t.Errorf("getAllProcessHealth[%d] = %v, want %s's health struct", i, e, got.Names[i])
		}
	}

	// Unknown names fail exactly like getProcessInfo's.
	if fmt.Sprint(got.Bad) != fmt.Sprint([]any{10.0, "BAD_NAME: nope"}) || fmt.Sprint(got.Info) != fmt.Sprint(got.Bad) {
		t.Errorf("getProcessHealth(nope) fault %v, getProcessInfo(nope) fault %v; want [10 BAD_NAME: nope]", got.Bad, got.Info)
	}
	if fmt.Sprint(got.BadGroup) != fmt.Sprint([]any{10.0, "BAD_NAME: web:*"}) {
		t.Errorf("getProcessHealth(web:*) fault %v", got.BadGroup)
	}
	if fmt.Sprint(got.Arity) != fmt.Sprint([]any{2.0, "INCORRECT_PARAMETERS"}) {
		t.Errorf("getAllProcessStats(1) fault %v, want INCORRECT_PARAMETERS", got.Arity)
	}
	if strings.Join(got.Methods, ",") != "super.getAllProcessHealth,super.getAllProcessNotify,super.getAllProcessResources,super.getAllProcessStats,super.getProcessHealth,super.getProcessNotify,super.rotateLogs" {
		t.Errorf("listMethods' super.* entries: %v", got.Methods)
	}
	if len(got.Checked) != 1 || got.Checked[0]["name"] != "web" {
		t.Errorf("getAllProcessHealth(true) = %v, want web's health alone", got.Checked)
	}
	if strings.Join(got.Sig, ",") != "array,boolean" {
		t.Errorf("methodSignature(super.getAllProcessHealth) = %v", got.Sig)
	}
}

func validHealth(v any, words ...string) bool {
	for _, w := range words {
		if v == w {
			return true
		}
	}
	return false
}
