package supervisor

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"super/core/config"
)

const oracleSupervisord = "/usr/bin/supervisord"

// requireOracle skips when Supervisor 4.2 is not installed.
func requireOracle(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(oracleSupervisord); err != nil {
		t.Skipf("oracle %s is not installed; skipping the comparison with Supervisor 4.2", oracleSupervisord)
	}
	if err := exec.Command(python, "-c", "import supervisor.childutils").Run(); err != nil {
		t.Skipf("the oracle's supervisor module is not importable by %s: %v", python, err)
	}
}

// eventsScenario is the config both daemons run: one listener pool
// subscribed to EVENT, a program that talks on stdout/stderr (log events,
// a communication block) and exits unexpectedly, one that goes FATAL and
// one that is stopped by request.
const eventsScenario = `[supervisord]
logfile=%(here)s/supervisord.log
pidfile=%(here)s/supervisord.pid
childlogdir=%(here)s
identifier=oracle_or_not

[unix_http_server]
file=%(here)s/s.sock

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

[eventlistener:rec]
command=/usr/bin/python3 LISTENER --out %(here)s/events.txt
events=EVENT
buffer_size=100

[program:talker]
command=sh -c 'echo hello; sleep 0.3; printf "<!--XSUPERVISOR:BEGIN-->comm body<!--XSUPERVISOR:END-->"; sleep 0.3; echo err >&2; sleep 0.3; exit 3'
stdout_events_enabled=true
stderr_events_enabled=true
stdout_capture_maxbytes=1MB
startsecs=0
autorestart=false

[program:bad]
command=sh -c 'exit 1'
startretries=0
autorestart=false

[program:sleeper]
command=sleep 100
startsecs=0
`

var maskRE = regexp.MustCompile(`\b(serial|poolserial|pid|len):\d+`)

// maskedEvents reads the recorded events, drops those whose timing is not
// part of the scenario (ticks, the stopping notice) and masks serials,
// pids and lengths (which follow the pid's digits; readRecords checks them).
func maskedEvents(t *testing.T, path string) []string {
	var out []string
	for _, r := range readRecords(t, path) {
		name := field(r, "eventname")
		if strings.HasPrefix(name, "TICK_") || name == "SUPERVISOR_STATE_CHANGE_STOPPING" {
			continue
		}
		out = append(out, maskRE.ReplaceAllString(r.header+"\n"+r.payload, "$1:N"))
	}
	sort.Strings(out)
	return out
}

func hasEvent(t *testing.T, path, name, payloadPart string) bool {
	for _, r := range readRecords(t, path) {
		if field(r, "eventname") == name && strings.Contains(r.payload, payloadPart) {
			return true
		}
	}
	return false
}

// scenarioReady waits until the autonomous part of the scenario is done.
func scenarioReady(t *testing.T, out string) {
	waitFor(t, "talker EXITED, bad FATAL, sleeper RUNNING", 15*time.Second, func() bool {
		return hasEvent(t, out, "PROCESS_STATE_EXITED", "processname:talker") &&
			hasEvent(t, out, "PROCESS_STATE_FATAL", "processname:bad") &&
			hasEvent(t, out, "PROCESS_STATE_RUNNING", "processname:sleeper") &&
			hasEvent(t, out, "PROCESS_LOG_STDERR", "processname:talker")
	})
}

func writeScenario(t *testing.T, dir string) string {
	conf := filepath.Join(dir, "supervisord.conf")
	text := strings.ReplaceAll(eventsScenario, "LISTENER", listenerScript(t))
	if err := os.WriteFile(conf, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return conf
}

const oracleRPC = `import sys, xmlrpc.client
from supervisor.xmlrpc import SupervisorTransport
p = xmlrpc.client.ServerProxy('http://127.0.0.1', SupervisorTransport('', '', 'unix://' + sys.argv[1]))
p.supervisor.stopProcess('sleeper')
p.supervisor.removeProcessGroup('talker')
p.supervisor.sendRemoteCommEvent('mytype', 'my data\nline two')
`

func runOracleScenario(t *testing.T, dir string) []string {
	conf := writeScenario(t, dir)
	out := filepath.Join(dir, "events.txt")
	cmd := exec.Command(oracleSupervisord, "-n", "-c", conf)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waited := make(chan struct{})
	go func() { cmd.Wait(); close(waited) }()
	defer func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-waited:
		case <-time.After(20 * time.Second):
			cmd.Process.Kill()
			<-waited
		}
	}()
	scenarioReady(t, out)
	if b, err := exec.Command(python, "-c", oracleRPC, filepath.Join(dir, "s.sock")).CombinedOutput(); err != nil {
		t.Fatalf("oracle RPC: %v\n%s", err, b)
	}
	waitFor(t, "oracle REMOTE_COMMUNICATION", 10*time.Second, func() bool {
		return hasEvent(t, out, "REMOTE_COMMUNICATION", "")
	})
	return maskedEvents(t, out)
}

func runOurScenario(t *testing.T, dir string) []string {
	conf := writeScenario(t, dir)
	out := filepath.Join(dir, "events.txt")
	cfg, err := config.Load(conf)
	if err != nil {
		t.Fatal(err)
	}
	s, _ := start(t, cfg)
	scenarioReady(t, out)
	if err := s.StopProcess(context.Background(), "sleeper", true); err != nil {
		t.Fatal(err)
	}
	if err := s.RemoveGroup("talker"); err != nil {
		t.Fatal(err)
	}
	s.SendRemoteCommEvent("mytype", "my data\nline two")
	waitFor(t, "REMOTE_COMMUNICATION", 10*time.Second, func() bool {
		return hasEvent(t, out, "REMOTE_COMMUNICATION", "")
	})
	return maskedEvents(t, out)
}

// Every event type a scenario produces reaches a listener with the same
// header fields and payload as under Supervisor 4.2.
func TestEventsMatchOracle(t *testing.T) {
	listenerScript(t)
	requireOracle(t)
	want := runOracleScenario(t, t.TempDir())
	got := runOurScenario(t, t.TempDir())
	t.Logf("%d events compared", len(want))
	if strings.Join(got, "\n--\n") != strings.Join(want, "\n--\n") {
		t.Errorf("events differ from Supervisor 4.2's\n--- 4.2:\n%s\n--- super:\n%s",
			strings.Join(want, "\n--\n"), strings.Join(got, "\n--\n"))
	}
	for _, name := range []string{"PROCESS_STATE_STARTING", "PROCESS_STATE_RUNNING", "PROCESS_STATE_BACKOFF",
		"PROCESS_STATE_FATAL", "PROCESS_STATE_EXITED", "PROCESS_STATE_STOPPING", "PROCESS_STATE_STOPPED",
		"PROCESS_LOG_STDOUT", "PROCESS_LOG_STDERR", "PROCESS_COMMUNICATION_STDOUT", "REMOTE_COMMUNICATION",
		"SUPERVISOR_STATE_CHANGE_RUNNING", "PROCESS_GROUP_ADDED", "PROCESS_GROUP_REMOVED"} {
		found := false
		for _, e := range want {
			if strings.Contains(e, "eventname:"+name+" ") {
				found = true
			}
		}
		if !found {
			t.Errorf("the scenario produced no %s", name)
		}
	}
}
