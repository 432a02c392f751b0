package blackbox

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"super/core/testbin"
)

// A listener that breaks the protocol (writes something other than READY)
// is UNKNOWN and gets no events; the log says so as 4.2's does.
func TestListenerProtocolViolation(t *testing.T) {
	conf := `[eventlistener:rec]
command=sh -c 'echo hello; echo world; exec sleep 100'
events=PROCESS_STATE
startsecs=0
`
	want, got, hasOracle := both(t, func(t *testing.T, oracle bool) []string {
		d := start(t, oracle, conf)
		d.WaitLog(t, "rec: has entered the UNKNOWN state", wait)
		d.WaitState(t, "rec", "RUNNING", wait)
		return logLines(d, "rec:")
	})
	if w := "WARN rec: has entered the UNKNOWN state and will no longer receive events, this usually indicates the process violated the eventlistener protocol"; !slices.Contains(got, w) {
		t.Errorf("no %q in %q", w, got)
	}
	if hasOracle && !slices.Equal(want, got) {
		t.Errorf("log lines differ:\n4.2:   %q\nsuper: %q", want, got)
	}
}

// At shutdown the listeners (stopped last) hear
// SUPERVISOR_STATE_CHANGE_STOPPING and the other programs' stops, as
// under 4.2. The program takes a moment to stop: what a listener still
// hears once the programs are gone depends on timing (it is stopped
// then, busy or not, in 4.2 too).
func TestListenerHearsShutdown(t *testing.T) {
	script := testbin.ListenerScript(t)
	conf := fmt.Sprintf(`[eventlistener:rec]
command=%s %s --out %%(here)s/events.txt
events=SUPERVISOR_STATE_CHANGE,PROCESS_STATE_STOPPING
startsecs=0

[program:sleeper]
command=sh -c 'trap "sleep 1; exit 0" TERM; sleep 100 & wait'
startsecs=0
`, testbin.Python, script)
	want, got, hasOracle := both(t, func(t *testing.T, oracle bool) []string {
		d := start(t, oracle, conf)
		out := filepath.Join(d.Dir, "events.txt")
		testbin.WaitEvent(t, out, "SUPERVISOR_STATE_CHANGE_RUNNING", "", wait)
		d.WaitState(t, "sleeper", "RUNNING", wait)
		if err := d.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		if _, err := d.Wait(15 * time.Second); err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, e := range testbin.ReadEvents(t, out) {
			names = append(names, e.Name()+" "+strings.SplitN(e.Payload, " ", 2)[0])
		}
		return names
	})
	if !slices.Equal(got, []string{"SUPERVISOR_STATE_CHANGE_RUNNING ", "SUPERVISOR_STATE_CHANGE_STOPPING ",
		"PROCESS_STATE_STOPPING processname:sleeper"}) {
		t.Errorf("the listener heard %q", got)
	}
	// On a loaded machine 4.2 sometimes stops the listener before it has
	// passed on the program's PROCESS_STATE_STOPPING (seen once in a CI
	// run). Stopping it before SUPERVISOR_STATE_CHANGE_STOPPING is passed
	// on is the same race one step earlier (a run of the heavy packages
	// three times over once failed here with ours right and 4.2's list not
	// a prefix of two or more; its text was not kept). The listener never
	// hears anything else, so 4.2 must have heard the same events or the
	// first ones of them, RUNNING at least (the test waits for it).
	if hasOracle && !slices.Equal(want, got) &&
		!(len(want) >= 1 && len(want) < len(got) && slices.Equal(want, got[:len(want)])) {
		t.Errorf("events differ:\n4.2:   %q\nsuper: %q", want, got)
	}
}
