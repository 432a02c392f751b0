package blackbox

import (
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"super/core/testbin"
)

// scenario is the config both daemons run: one listener pool subscribed to
// EVENT, a program that talks on stdout/stderr (log events, a
// communication block) and exits unexpectedly, one that goes FATAL and one
// that is stopped by request.
const scenario = `[eventlistener:rec]
command=/usr/bin/python3 LISTENER --out %(here)s/events.txt
events=EVENT
buffer_size=100

[program:talker]
command=sh -c 'echo hello; sleep 0.3; printf "caf\\303\\251\\n"; sleep 0.3; printf "bad \\377\\n" >&2; sleep 0.3; printf "<!--XSUPERVISOR:BEGIN-->comm body<!--XSUPERVISOR:END-->"; sleep 0.3; echo err >&2; printf "<!--XSUPERVISOR:BEGIN-->on stderr\n<!--XSUPERVISOR:END-->" >&2; sleep 0.3; exit 3'
stdout_events_enabled=true
stderr_events_enabled=true
stdout_capture_maxbytes=1MB
stderr_capture_maxbytes=1MB
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

var maskRE = regexp.MustCompile(`\b(serial|poolserial|pid|len|when):\d+`)

// masked drops the events whose timing is not part of the scenario (ticks,
// the stopping notice) and masks serials, pids and lengths (which follow
// the pid's digits; ReadEvents checks them).
func masked(evs []testbin.Event) []string {
	var out []string
	ticks := map[string]bool{}
	for _, e := range evs {
		if e.Name() == "SUPERVISOR_STATE_CHANGE_STOPPING" {
			continue
		}
		if strings.HasPrefix(e.Name(), "TICK_") {
			// Which and how many depend on the wall clock: compare one
			// TICK_5 (every run sees one).
			if e.Name() != "TICK_5" || ticks[e.Name()] {
				continue
			}
			ticks[e.Name()] = true
		}
		out = append(out, maskRE.ReplaceAllString(e.Header+"\n"+e.Payload, "$1:N"))
	}
	sort.Strings(out)
	return out
}

// runScenario runs the scenario on one daemon, driving it over XML-RPC as
// a user would, and returns the masked events its listener received.
func runScenario(t *testing.T, oracle bool) []string {
	conf := strings.ReplaceAll(scenario, "LISTENER", testbin.ListenerScript(t))
	d := testbin.Start(t, oracle, conf)
	out := filepath.Join(d.Dir, "events.txt")
	const wait = 15 * time.Second
	testbin.WaitEvent(t, out, "PROCESS_STATE_EXITED", "processname:talker", wait)
	testbin.WaitEvent(t, out, "PROCESS_STATE_FATAL", "processname:bad", wait)
	testbin.WaitEvent(t, out, "PROCESS_STATE_RUNNING", "processname:sleeper", wait)
	testbin.WaitEvent(t, out, "PROCESS_LOG_STDERR", "processname:talker", wait)
	testbin.WaitEvent(t, out, "PROCESS_COMMUNICATION_STDERR", "processname:talker", wait)
	tick := testbin.WaitEvent(t, out, "TICK_5", "when:", wait)
	if n, err := strconv.ParseInt(strings.TrimPrefix(tick.Payload, "when:"), 10, 64); err != nil || n%5 != 0 ||
		time.Since(time.Unix(n, 0)).Abs() > time.Minute {
		t.Errorf("%s: TICK_5 payload %q, want when:<now, a multiple of 5>", d.Name, tick.Payload)
	}
	d.Call(t, "supervisor.stopProcess", "sleeper")
	d.Call(t, "supervisor.removeProcessGroup", "talker")
	testbin.WaitEvent(t, out, "PROCESS_GROUP_REMOVED", "groupname:talker", wait)
	d.Call(t, "supervisor.sendRemoteCommEvent", "mytype", "my data\nline two")
	// A missing REMOTE_COMMUNICATION shows in the comparison.
	testbin.Poll(5*time.Second, func() bool {
		for _, e := range testbin.ReadEvents(t, out) {
			if e.Name() == "REMOTE_COMMUNICATION" {
				return true
			}
		}
		return false
	})
	return masked(testbin.ReadEvents(t, out))
}

// Every event type the scenario produces reaches a listener with the same
// header fields and payload as under Supervisor 4.2.
func TestEventsMatchOracle(t *testing.T) {
	testbin.ListenerScript(t)
	testbin.NeedOracle(t)
	var want, got []string
	t.Run("run", func(t *testing.T) {
		t.Run("4.2", func(t *testing.T) { t.Parallel(); want = runScenario(t, true) })
		t.Run("super", func(t *testing.T) { t.Parallel(); got = runScenario(t, false) })
	})
	if want == nil || got == nil {
		t.Fatal("a scenario did not complete")
	}
	t.Logf("%d events compared", len(want))
	if strings.Join(got, "\n--\n") != strings.Join(want, "\n--\n") {
		t.Errorf("events differ from Supervisor 4.2's\n%s", diff(want, got))
	}
	for _, part := range []string{"caf\u00e9\n", "\nUndecodable: b'bad \\xff\\n"} {
		if !slices.ContainsFunc(want, func(e string) bool { return strings.Contains(e, part) }) {
			t.Errorf("4.2 sent no log event with %q", part)
		}
	}
	for _, name := range []string{"PROCESS_STATE_STARTING", "PROCESS_STATE_RUNNING", "PROCESS_STATE_BACKOFF",
		"PROCESS_STATE_FATAL", "PROCESS_STATE_EXITED", "PROCESS_STATE_STOPPING", "PROCESS_STATE_STOPPED",
		"PROCESS_LOG_STDOUT", "PROCESS_LOG_STDERR", "PROCESS_COMMUNICATION_STDOUT", "PROCESS_COMMUNICATION_STDERR",
		"REMOTE_COMMUNICATION", "TICK_5",
		"SUPERVISOR_STATE_CHANGE_RUNNING", "PROCESS_GROUP_ADDED", "PROCESS_GROUP_REMOVED"} {
		found := false
		for _, e := range want {
			if strings.Contains(e, "eventname:"+name+" ") {
				found = true
			}
		}
		if !found {
			t.Errorf("the scenario produced no %s under 4.2", name)
		}
	}
}

// diff lists the events only one side received.
func diff(want, got []string) string {
	count := map[string]int{}
	for _, e := range want {
		count[e]++
	}
	for _, e := range got {
		count[e]--
	}
	var b strings.Builder
	for _, e := range append(append([]string(nil), want...), got...) {
		switch n := count[e]; {
		case n > 0:
			fmt.Fprintf(&b, "--- only 4.2 (x%d):\n%s\n", n, e)
		case n < 0:
			fmt.Fprintf(&b, "+++ only super (x%d):\n%s\n", -n, e)
		}
		count[e] = 0
	}
	return b.String()
}
