package blackbox

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"super/core/testbin"
)

const wait = 10 * time.Second

// A listener answering FAIL gets the same event again (same serials),
// and the rejection is logged.
func TestListenerFailIsRequeued(t *testing.T) {
	script := testbin.ListenerScript(t)
	d := start(t, false, fmt.Sprintf(`[eventlistener:rec]
command=%s %s --fail 1 --out %%(here)s/events.txt
events=PROCESS_STATE_RUNNING
startsecs=0
`, testbin.Python, script))
	out := filepath.Join(d.Dir, "events.txt")
	evs := testbin.WaitEvents(t, out, 2, wait)
	if evs[0] != evs[1] {
		t.Errorf("the redelivered event differs:\n%v\n%v", evs[0], evs[1])
	}
	if evs[0].Name() != "PROCESS_STATE_RUNNING" || evs[0].Field("serial") != "0" || evs[0].Field("poolserial") != "0" {
		t.Errorf("first event %+v, want serial 0 PROCESS_STATE_RUNNING", evs[0])
	}
	d.WaitLog(t, "WARN rec: event was rejected", wait)
	d.WaitLog(t, "DEBG rec: event was processed", wait)
}

// A listener that dies while processing an event does not lose it: its
// next incarnation gets it.
func TestListenerCrashMidEventIsRequeued(t *testing.T) {
	script := testbin.ListenerScript(t)
	// The first child exits on its first event; the restarted one would
	// crash too, so crash only while a marker file is absent.
	d := start(t, false, fmt.Sprintf(`[eventlistener:rec]
command=sh -c 'if [ -e %%(here)s/crashed ]; then exec %[1]s %[2]s --out %%(here)s/events.txt; else touch %%(here)s/crashed; exec %[1]s %[2]s --crash 1; fi'
events=PROCESS_STATE_RUNNING
startsecs=0
`, testbin.Python, script))
	out := filepath.Join(d.Dir, "events.txt")
	evs := testbin.WaitEvents(t, out, 1, wait)
	if evs[0].Field("serial") != "0" || evs[0].Field("poolserial") != "0" || !strings.Contains(evs[0].Payload, "processname:rec") {
		t.Errorf("first recorded event %+v, want the one the first child died on (serial 0)", evs[0])
	}
	d.WaitLog(t, "exited: rec (exit status 3; not expected)", wait)
	if n := len(logLines(d, "DEBG event 0 sent to listener rec")); n != 2 {
		t.Errorf("event 0 sent %d times, want 2:\n%s", n, d.Log())
	}
}

// With no listener ready, a full buffer drops its oldest event with 4.2's
// log line; the newest events are delivered once a listener starts.
func TestListenerBufferOverflow(t *testing.T) {
	script := testbin.ListenerScript(t)
	conf := fmt.Sprintf(`[eventlistener:rec]
command=%s %s --out %%(here)s/events.txt
events=PROCESS_STATE
buffer_size=2
autostart=false
startsecs=0

[program:burst]
command=sleep 100
process_name=%%(program_name)s_%%(process_num)d
numprocs=3
startsecs=0
`, testbin.Python, script)
	type result struct{ overflow, events []string }
	want, got, hasOracle := both(t, func(t *testing.T, oracle bool) result {
		d := start(t, oracle, conf)
		for i := range 3 {
			d.WaitState(t, fmt.Sprintf("burst:burst_%d", i), "RUNNING", wait)
		}
		// 3 STARTING and 3 RUNNING events for a buffer of 2.
		d.WaitLog(t, "pool rec event buffer overflowed, discarding event 3", wait)
		d.Call(t, "supervisor.startProcess", "rec")
		evs := testbin.WaitEvents(t, filepath.Join(d.Dir, "events.txt"), 2, wait)
		return result{logLines(d, "overflowed"), masked(evs)}
	})
	for i, l := range got.overflow[:4] {
		if w := fmt.Sprintf("ERRO pool rec event buffer overflowed, discarding event %d", i); l != w {
			t.Errorf("overflow line %d: %q, want %q", i, l, w)
		}
	}
	if hasOracle && !slices.Equal(want.overflow, got.overflow) {
		t.Errorf("overflow lines differ:\n4.2:   %q\nsuper: %q", want.overflow, got.overflow)
	}
	if hasOracle && !slices.Equal(want.events, got.events) {
		t.Errorf("delivered events differ:\n%s", diff(want.events, got.events))
	}
}

// A pool of 3 listeners that each take a while: a burst of 3 events is
// spread over the 3, one each.
func TestListenerPoolSpreadsEvents(t *testing.T) {
	script := testbin.ListenerScript(t)
	d := start(t, false, fmt.Sprintf(`[eventlistener:pool]
command=%s %s --delay 0.5 --out %%(here)s/%%(process_num)d.txt
process_name=%%(program_name)s_%%(process_num)d
numprocs=3
events=PROCESS_STATE_RUNNING
startsecs=0

[program:burst]
command=sleep 100
process_name=%%(program_name)s_%%(process_num)d
numprocs=3
startsecs=0
autostart=false
`, testbin.Python, script))
	files := make([]string, 3)
	for i := range files {
		files[i] = filepath.Join(d.Dir, fmt.Sprintf("%d.txt", i))
	}
	count := func() (n int) {
		for _, f := range files {
			n += len(testbin.ReadEvents(t, f))
		}
		return n
	}
	// The listeners' own RUNNING events come first.
	for i := range 3 {
		d.WaitState(t, fmt.Sprintf("pool:pool_%d", i), "RUNNING", wait)
	}
	if err := testbin.Poll(wait, func() bool { return count() == 3 }); err != nil {
		t.Fatalf("%d events for the 3 listeners' RUNNING: %v", count(), err)
	}
	d.Call(t, "supervisor.startProcessGroup", "burst", false)
	if err := testbin.Poll(wait, func() bool { return count() == 6 }); err != nil {
		t.Fatalf("%d events: %v", count(), err)
	}
	seen := map[string]bool{}
	for i, f := range files {
		var burst []string
		for _, e := range testbin.ReadEvents(t, f) {
			if strings.Contains(e.Payload, "groupname:burst") {
				burst = append(burst, e.Payload)
			}
			if e.Field("pool") != "pool" {
				t.Errorf("header %q", e.Header)
			}
		}
		if len(burst) != 1 {
			t.Errorf("pool_%d got %d of the burst's events, want 1: %q", i, len(burst), burst)
		}
		for _, p := range burst {
			seen[p] = true
		}
	}
	if len(seen) != 3 {
		t.Errorf("burst events seen: %v", seen)
	}
}

// sendRemoteCommEvent over XML-RPC reaches a listener subscribed to
// REMOTE_COMMUNICATION, non-ASCII text included (len: counts characters).
func TestRemoteCommEventOverRPC(t *testing.T) {
	script := testbin.ListenerScript(t)
	d := start(t, false, fmt.Sprintf(`[eventlistener:rec]
command=%s %s --out %%(here)s/events.txt
events=REMOTE_COMMUNICATION
startsecs=0
`, testbin.Python, script))
	d.WaitState(t, "rec", "RUNNING", wait)
	if v := d.Call(t, "supervisor.sendRemoteCommEvent", "caf\u00e9", "d\u00e9j\u00e0\nvu"); v != true {
		t.Errorf("sendRemoteCommEvent returned %v, want true", v)
	}
	e := testbin.WaitEvents(t, filepath.Join(d.Dir, "events.txt"), 1, wait)[0]
	if e.Name() != "REMOTE_COMMUNICATION" || e.Payload != "type:caf\u00e9\nd\u00e9j\u00e0\nvu" ||
		e.Field("len") != "17" || e.Field("server") != "testsup" || e.Field("pool") != "rec" {
		t.Errorf("got %+v", e)
	}
}

// childutilsListener is a listener written for Supervisor 4.2 with its own
// supervisor.childutils helpers, as superlance's are: it parses events
// with childutils, asks the daemon about the process over XML-RPC
// (childutils.getRPCInterface and SUPERVISOR_SERVER_URL), rejects the
// first event and acknowledges the rest.
const childutilsListener = `import os, sys
from supervisor import childutils

rpc = childutils.getRPCInterface(os.environ)
first = True
while True:
    headers, payload = childutils.listener.wait(sys.stdin, sys.stdout)
    if first:
        first = False
        childutils.listener.fail(sys.stdout)
        continue
    line = headers["eventname"] + " pool=" + headers["pool"] + " server=" + headers["server"]
    if headers["eventname"].startswith("PROCESS_STATE_"):
        ph, pdata = childutils.eventdata(payload + "\n")
        name = ph["groupname"] + ":" + ph["processname"]
        info = rpc.supervisor.getProcessInfo(name)
        line += " " + name + " from=" + ph["from_state"] + " now=" + info["statename"]
    elif headers["eventname"] == "REMOTE_COMMUNICATION":
        line += " " + repr(payload)
    else:
        line += " " + repr(childutils.get_headers(payload))
    with open(sys.argv[1], "a") as f:
        f.write(line + "\n")
    childutils.listener.ok(sys.stdout)
`

// A listener written for 4.2 with the oracle's own childutils works
// unchanged, and sees the same as under 4.2.
func TestChildutilsListenerUnchanged(t *testing.T) {
	testbin.ListenerScript(t)
	testbin.NeedOracle(t)
	run := func(t *testing.T, oracle bool) []string {
		dir := t.TempDir()
		script := filepath.Join(dir, "cu.py")
		if err := os.WriteFile(script, []byte(childutilsListener), 0o644); err != nil {
			t.Fatal(err)
		}
		d := start(t, oracle, fmt.Sprintf(`[eventlistener:cu]
command=%s %s %%(here)s/out.txt
events=PROCESS_STATE_RUNNING,PROCESS_GROUP_ADDED,REMOTE_COMMUNICATION
startsecs=0

[program:sleeper]
command=sleep 100
startsecs=0
autostart=false
`, testbin.Python, script))
		out := filepath.Join(d.Dir, "out.txt")
		d.WaitState(t, "cu", "RUNNING", wait)
		d.Call(t, "supervisor.startProcess", "sleeper")
		d.Call(t, "supervisor.sendRemoteCommEvent", "t", "d\u00e9j\u00e0\nvu")
		var lines []string
		testbin.Poll(wait, func() bool {
			b, _ := os.ReadFile(out)
			lines = strings.Split(strings.TrimSpace(string(b)), "\n")
			return strings.Contains(string(b), "REMOTE_COMMUNICATION")
		})
		sort.Strings(lines)
		return lines
	}
	want, got, _ := both(t, run)
	if !slices.Equal(want, got) {
		t.Errorf("the childutils listener saw\n4.2:\n%s\nsuper:\n%s", strings.Join(want, "\n"), strings.Join(got, "\n"))
	}
	if !slices.ContainsFunc(got, func(l string) bool { return strings.Contains(l, "sleeper:sleeper from=STARTING now=RUNNING") }) {
		t.Errorf("no RUNNING event for sleeper checked over XML-RPC: %q", got)
	}
}

// The example listener without --out records events on its stderr, which
// supervisord keeps as the listener's stderr log (its stdout is the
// protocol channel).
func TestExampleListenerStderrLog(t *testing.T) {
	script := testbin.ListenerScript(t)
	d := start(t, false, fmt.Sprintf(`[eventlistener:rec]
command=%s %s --only PROCESS_GROUP_ADDED
events=PROCESS_GROUP_ADDED,PROCESS_STATE
startsecs=0
`, testbin.Python, script))
	var tail string
	if err := testbin.Poll(wait, func() bool {
		tail, _ = d.Call(t, "supervisor.readProcessStderrLog", "rec", 0, 0).(string)
		return strings.Contains(tail, "\ngroupname:rec\n\n--\n")
	}); err != nil {
		t.Fatalf("the stderr log has no PROCESS_GROUP_ADDED record: %q", tail)
	}
	if !strings.Contains(tail, "eventname:PROCESS_GROUP_ADDED len:14\n") || strings.Contains(tail, "PROCESS_STATE") {
		t.Errorf("stderr log %q", tail)
	}
	if out, _ := d.Call(t, "supervisor.readProcessStdoutLog", "rec", 0, 0).(string); strings.Contains(out, "groupname") {
		t.Errorf("an event reached the listener's stdout log: %q", out)
	}
}
