package config

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// The differential tests run Debian's Supervisor 4.2 (the Python package)
// through testdata/oracle.py on the same files and compare.

const oraclePython = "/usr/bin/python3"

// oracle runs the helper in mode over files and returns one decoded JSON
// object per file, or skips the test when Supervisor is not installed.
func oracle(t *testing.T, mode string, files ...string) []map[string]any {
	t.Helper()
	if _, err := os.Stat("/usr/bin/supervisord"); err != nil {
		t.Skip("oracle absent: /usr/bin/supervisord not installed; differential test skipped")
	}
	if err := exec.Command(oraclePython, "-c", "import supervisor.options").Run(); err != nil {
		t.Skipf("oracle absent: %s cannot import supervisor.options (%v); differential test skipped", oraclePython, err)
	}
	helper, err := filepath.Abs("testdata/oracle.py")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(oraclePython, append([]string{helper, mode}, files...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("oracle helper failed: %v\n%s", err, stderr.String())
	}
	var res []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("oracle output: %v: %s", err, sc.Text())
		}
		res = append(res, m)
	}
	if len(res) != len(files) {
		t.Fatalf("oracle gave %d results for %d files", len(res), len(files))
	}
	return res
}

// rawView renders our ini layer the way oracle.py's "ini" mode does.
func rawView(path string) map[string]any {
	data, err := os.ReadFile(path)
	if err != nil {
		return map[string]any{"error": err.Error()}
	}
	d := newIniDoc()
	if err := d.read(path, string(data)); err != nil {
		return map[string]any{"error": err.Error()}
	}
	secs := []any{}
	for _, s := range d.Sections() {
		items := []any{}
		for _, k := range d.Options(s) {
			v, _ := d.Get(s, k)
			items = append(items, []any{k, v})
		}
		secs = append(secs, []any{s, items})
	}
	return map[string]any{"sections": secs}
}

func jsonRoundTrip(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestINIDifferential(t *testing.T) {
	files, _ := filepath.Glob("testdata/ini/*.ini")
	if len(files) == 0 {
		t.Fatal("no ini corpus")
	}
	want := oracle(t, "ini", files...)
	for i, f := range files {
		got := jsonRoundTrip(t, rawView(f))
		w := jsonRoundTrip(t, want[i])
		gb, _ := json.Marshal(got)
		wb, _ := json.Marshal(w)
		if !bytes.Equal(gb, wb) {
			t.Errorf("%s:\n ours:   %s\n python: %s", f, gb, wb)
		}
	}
}

func restartName(a Autorestart) string {
	switch a {
	case RestartAlways:
		return "true"
	case RestartUnexpected:
		return "unexpected"
	}
	return "false"
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func nilIfNeg(n int) any {
	if n < 0 {
		return nil
	}
	return n
}

// serverView renders our model the way oracle.py's "load" mode renders
// Supervisor's.
func serverView(cfg *Config) map[string]any {
	s := cfg.Supervisord
	env := map[string]string{}
	for k, v := range s.Environment {
		env[k] = v
	}
	out := map[string]any{
		"supervisord": map[string]any{
			"logfile": s.Logfile, "logfile_maxbytes": s.LogfileMaxbytes,
			"logfile_backups": s.LogfileBackups, "loglevel": int(s.Loglevel),
			"pidfile": s.Pidfile, "umask": s.Umask, "nodaemon": s.Nodaemon,
			"silent": s.Silent, "minfds": s.Minfds, "minprocs": s.Minprocs,
			"nocleanup": s.Nocleanup, "childlogdir": s.Childlogdir,
			"user": nilIfEmpty(s.User), "directory": nilIfEmpty(s.Directory), "strip_ansi": s.StripANSI,
			"environment": env, "identifier": s.Identifier,
		},
		"warnings": append([]string{}, cfg.Warnings...),
	}
	groups := []any{}
	for _, g := range cfg.Groups {
		procs := []any{}
		for _, p := range g.Processes {
			penv := map[string]string{}
			for k, v := range p.Environment {
				penv[k] = v
			}
			var serverurl any
			if p.ServerURL != "AUTO" {
				serverurl = p.ServerURL
			}
			var dir any = p.Directory
			if _, ok := any(p).(*ProcessConfig); ok && p.Directory == "" {
				dir = nil
			}
			procs = append(procs, map[string]any{
				"name": p.Name, "command": p.Command, "directory": dir,
				"umask": nilIfNeg(p.Umask), "priority": p.Priority, "autostart": p.Autostart,
				"autorestart": restartName(p.Autorestart), "startsecs": p.Startsecs,
				"startretries": p.Startretries, "uid": nilIfNeg(p.UID),
				"stopsignal": int(p.Stopsignal), "stopwaitsecs": p.Stopwaitsecs,
				"stopasgroup": p.Stopasgroup, "killasgroup": p.Killasgroup,
				"exitcodes": append([]int{}, p.Exitcodes...), "redirect_stderr": p.RedirectStderr,
				"environment": penv, "serverurl": serverurl,
				"stdout": []any{p.Stdout.Logfile, p.Stdout.Maxbytes, p.Stdout.Backups, p.Stdout.CaptureMaxbytes, p.Stdout.EventsEnabled, p.Stdout.Syslog},
				"stderr": []any{p.Stderr.Logfile, p.Stderr.Maxbytes, p.Stderr.Backups, p.Stderr.CaptureMaxbytes, p.Stderr.EventsEnabled, p.Stderr.Syslog},
			})
		}
		d := map[string]any{"name": g.Name, "priority": g.Priority, "processes": procs}
		if g.Kind == KindEventListener {
			ev := append([]string{}, g.Events...)
			sort.Strings(ev)
			d["buffer_size"] = g.BufferSize
			d["events"] = ev
		}
		if g.Socket != nil {
			var owner any
			if g.Socket.OwnerUID >= 0 {
				owner = []any{g.Socket.OwnerUID, g.Socket.OwnerGID}
			}
			var mode any
			if strings.HasPrefix(g.Socket.URL, "unix://") {
				mode = g.Socket.Mode
			}
			d["socket"] = []any{g.Socket.URL, g.Socket.Backlog, owner, mode}
		}
		groups = append(groups, d)
	}
	out["groups"] = groups
	servers := []any{}
	if h := cfg.InetHTTP; h != nil {
		servers = append(servers, map[string]any{"family": "inet", "host": h.Host, "port": h.Port,
			"username": nilIfEmpty(h.Username), "password": nilIfEmpty(h.Password)})
	}
	if u := cfg.UnixHTTP; u != nil {
		servers = append(servers, map[string]any{"family": "unix", "file": u.File, "chmod": u.Chmod,
			"chown": []any{u.ChownUID, u.ChownGID}, "username": nilIfEmpty(u.Username), "password": nilIfEmpty(u.Password)})
	}
	out["servers"] = servers
	rpcs := []any{}
	for _, r := range cfg.RPCInterfaces {
		rpcs = append(rpcs, []any{r.Name, r.Params})
	}
	out["rpcinterfaces"] = rpcs
	return out
}

// normalizeOracle drops what the two views cannot share: server "name" and
// "section" keys and the events' Python class names.
func normalizeOracle(m map[string]any) map[string]any {
	if srv, ok := m["servers"].([]any); ok {
		for _, s := range srv {
			sm := s.(map[string]any)
			delete(sm, "name")
			delete(sm, "section")
		}
	}
	if groups, ok := m["groups"].([]any); ok {
		for _, g := range groups {
			gm := g.(map[string]any)
			if ev, ok := gm["events"].([]any); ok {
				names := []string{}
				for _, e := range ev {
					names = append(names, eventClassToName[e.(string)])
				}
				sort.Strings(names)
				gm["events"] = names
			}
		}
	}
	return m
}

// eventClassToName maps supervisor.events class names to EventTypes names.
var eventClassToName = map[string]string{
	"Event": "EVENT", "ProcessCommunicationEvent": "PROCESS_COMMUNICATION",
	"ProcessCommunicationStderrEvent": "PROCESS_COMMUNICATION_STDERR", "ProcessCommunicationStdoutEvent": "PROCESS_COMMUNICATION_STDOUT",
	"ProcessGroupEvent": "PROCESS_GROUP", "ProcessGroupAddedEvent": "PROCESS_GROUP_ADDED", "ProcessGroupRemovedEvent": "PROCESS_GROUP_REMOVED",
	"ProcessLogEvent": "PROCESS_LOG", "ProcessLogStderrEvent": "PROCESS_LOG_STDERR", "ProcessLogStdoutEvent": "PROCESS_LOG_STDOUT",
	"ProcessStateEvent": "PROCESS_STATE", "ProcessStateBackoffEvent": "PROCESS_STATE_BACKOFF", "ProcessStateExitedEvent": "PROCESS_STATE_EXITED",
	"ProcessStateFatalEvent": "PROCESS_STATE_FATAL", "ProcessStateRunningEvent": "PROCESS_STATE_RUNNING", "ProcessStateStartingEvent": "PROCESS_STATE_STARTING",
	"ProcessStateStoppedEvent": "PROCESS_STATE_STOPPED", "ProcessStateStoppingEvent": "PROCESS_STATE_STOPPING", "ProcessStateUnknownEvent": "PROCESS_STATE_UNKNOWN",
	"RemoteCommunicationEvent": "REMOTE_COMMUNICATION", "SupervisorStateChangeEvent": "SUPERVISOR_STATE_CHANGE",
	"SupervisorRunningEvent": "SUPERVISOR_STATE_CHANGE_RUNNING", "SupervisorStoppingEvent": "SUPERVISOR_STATE_CHANGE_STOPPING",
	"TickEvent": "TICK", "Tick3600Event": "TICK_3600", "Tick5Event": "TICK_5", "Tick60Event": "TICK_60",
}

// knownDifferent lists corpus files where super deliberately differs.
var knownDifferent = map[string]string{
	"program_in_two_groups.conf": "super rejects a program named in two [group:x] sections",
	"listener_python_handler.conf": "super runs no Python: a result_handler other than 4.2's own is refused " +
		"(4.2 imports os:getcwd and calls it for every answer)",
}

func TestLoadDifferential(t *testing.T) {
	files, _ := filepath.Glob("testdata/load/*.conf")
	if len(files) == 0 {
		t.Fatal("no load corpus")
	}
	// The corpus uses %(here)s and relative paths; run from testdata/load.
	want := oracle(t, "load", files...)
	for i, f := range files {
		base := filepath.Base(f)
		cfg, err := Load(f)
		w := normalizeOracle(want[i])
		if why, ok := knownDifferent[base]; ok {
			if err == nil {
				t.Errorf("%s: accepted; expected the deliberate difference: %s", base, why)
			}
			continue
		}
		if pyErr, ok := w["error"].(string); ok {
			if err == nil {
				t.Errorf("%s: we accept, Python rejects: %s", base, pyErr)
				continue
			}
			msg := pyErr
			if j := strings.Index(msg, " in section '"); j > 0 {
				msg = msg[:j]
			}
			if !strings.HasPrefix(err.Error(), msg) {
				t.Errorf("%s: error text differs\n ours:   %s\n python: %s", base, err, pyErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: we reject, Python accepts: %v", base, err)
			continue
		}
		gb, _ := json.Marshal(jsonRoundTrip(t, serverView(cfg)))
		wb, _ := json.Marshal(jsonRoundTrip(t, w))
		if !bytes.Equal(gb, wb) {
			t.Errorf("%s:\n ours:   %s\n python: %s", base, gb, wb)
		}
	}
}
