package e2e

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"super/core/testbin"
)

// A child's output that is in its pipes when it is reaped comes before its
// exit everywhere, as 4.2's loop (which reads every readable pipe before
// it reaps) guarantees: in the activity log the "stdout output:" entry
// precedes "exited:", and a listener gets PROCESS_LOG_* before
// PROCESS_STATE_EXITED. Short-lived children print on both streams and
// exit over and over while the test keeps every core busy, so the daemon's
// goroutines wait for a CPU as on a loaded machine.
func TestOutputBeforeExitUnderLoad(t *testing.T) {
	listener := testbin.ListenerScript(t)
	t.Parallel()
	testbin.BusyCores(t)

	dir := t.TempDir()
	events := filepath.Join(dir, "events.txt")
	conf := strings.Replace(testbin.BaseConf(dir), "[supervisord]\n", "[supervisord]\nloglevel=debug\n", 1)
	const programs = 6
	for i := range programs {
		conf += fmt.Sprintf(`[program:p%d]
command=sh -c 'echo "o $$"; echo "e $$" >&2'
startsecs=0
autorestart=true
stdout_events_enabled=true
stderr_events_enabled=true

`, i)
	}
	conf += fmt.Sprintf(`[eventlistener:rec]
command=%s %s --out %s
events=PROCESS_LOG,PROCESS_STATE_EXITED
buffer_size=100000
`, testbin.Python, listener, events)
	d := testbin.StartConf(t, false, dir, conf)

	// Enough exits that, on today's machines, an out-of-order one shows
	// up in practically every run when the ordering is not enforced.
	const exits = 300
	exitRE := regexp.MustCompile(`(?m)^\S+ \S+ \w+ exited: p\d+ `)
	if err := testbin.Poll(60*time.Second, func() bool {
		return len(exitRE.FindAllStringIndex(d.Log(), -1)) >= exits
	}); err != nil {
		t.Fatalf("fewer than %d exits logged: %v\n%s", exits, err, d.Out)
	}
	// The listener lags behind: wait until it has seen some exits too.
	if err := testbin.Poll(60*time.Second, func() bool {
		n := 0
		for _, e := range testbin.ReadEvents(t, events) {
			if e.Name() == "PROCESS_STATE_EXITED" {
				n++
			}
		}
		return n >= exits/3
	}); err != nil {
		t.Fatalf("the listener saw fewer than %d exits: %v", exits/3, err)
	}
	d.Stop()

	checked, bad := checkLogOrder(d.Log())
	if checked < exits {
		t.Errorf("activity log: only %d exits checked", checked)
	}
	if len(bad) > 0 {
		t.Errorf("activity log: %d of %d exits came before the child's output, e.g.:\n%s",
			len(bad), checked, strings.Join(bad[:min(len(bad), 5)], "\n"))
	}
	checked, bad = checkEventOrder(testbin.ReadEvents(t, events))
	if checked < exits/3 {
		t.Errorf("events: only %d exits checked", checked)
	}
	if len(bad) > 0 {
		t.Errorf("events: %d of %d PROCESS_STATE_EXITED came before the child's PROCESS_LOG_*, e.g.:\n%s",
			len(bad), checked, strings.Join(bad[:min(len(bad), 5)], "\n"))
	}
}

var (
	entryStartRE = regexp.MustCompile(`^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} \w+ `)
	spawnedRE    = regexp.MustCompile(`^spawned: '(p\d+)' with pid (\d+)$`)
	outputRE     = regexp.MustCompile(`^'(p\d+)' (stdout|stderr) output:\n`)
	exitedRE     = regexp.MustCompile(`^exited: (p\d+) `)
	markRE       = regexp.MustCompile(`(?m)^([oe]) (\d+)$`)
)

// checkLogOrder walks the activity log (entries may span lines: the
// output entries do) and returns how many exits of the p* programs it
// checked and a description of each that came before both of the child's
// lines ("o PID" on stdout, "e PID" on stderr) were logged.
func checkLogOrder(log string) (checked int, bad []string) {
	var entries []string
	for _, l := range strings.Split(log, "\n") {
		if loc := entryStartRE.FindStringIndex(l); loc != nil {
			entries = append(entries, l[loc[1]:])
		} else if len(entries) > 0 {
			entries[len(entries)-1] += "\n" + l
		}
	}
	current := map[string]string{} // program → pid of its child
	seen := map[string]bool{}      // "o PID" / "e PID" logged
	for i, e := range entries {
		if m := spawnedRE.FindStringSubmatch(e); m != nil {
			current[m[1]] = m[2]
		} else if outputRE.MatchString(e) {
			for _, m := range markRE.FindAllStringSubmatch(e, -1) {
				seen[m[1]+" "+m[2]] = true
			}
		} else if m := exitedRE.FindStringSubmatch(e); m != nil {
			pid := current[m[1]]
			checked++
			if !seen["o "+pid] || !seen["e "+pid] {
				bad = append(bad, fmt.Sprintf("entry %d: %q of pid %s (stdout logged %v, stderr %v)",
					i, e, pid, seen["o "+pid], seen["e "+pid]))
			}
		}
	}
	return checked, bad
}

var pidFieldRE = regexp.MustCompile(`(?:^| )pid:(\d+)`)

// checkEventOrder is checkLogOrder for the listener's record: each
// PROCESS_STATE_EXITED of a p* program must come after the
// PROCESS_LOG_STDOUT and PROCESS_LOG_STDERR carrying that pid's lines.
func checkEventOrder(evs []testbin.Event) (checked int, bad []string) {
	seen := map[string]bool{}
	for i, e := range evs {
		head, body, _ := strings.Cut(e.Payload, "\n")
		if !strings.HasPrefix(head, "processname:p") {
			continue
		}
		m := pidFieldRE.FindStringSubmatch(head)
		if m == nil {
			continue
		}
		pid := m[1]
		switch e.Name() {
		case "PROCESS_LOG_STDOUT":
			if body == "o "+pid+"\n" {
				seen["o "+pid] = true
			}
		case "PROCESS_LOG_STDERR":
			if body == "e "+pid+"\n" {
				seen["e "+pid] = true
			}
		case "PROCESS_STATE_EXITED":
			checked++
			if !seen["o "+pid] || !seen["e "+pid] {
				bad = append(bad, fmt.Sprintf("event %d: %s %q (stdout seen %v, stderr %v)",
					i, e.Name(), head, seen["o "+pid], seen["e "+pid]))
			}
		}
	}
	return checked, bad
}
