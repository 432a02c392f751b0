package e2e

import (
	"context"
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
// (and "emitted a comm event" in capture mode) precedes "exited:", on the
// console (container_logs) the "name | line" precedes the echoed
// "exited:", and a listener gets PROCESS_LOG_* and
// PROCESS_COMMUNICATION_* before PROCESS_STATE_EXITED. And none of it
// comes before the child's "spawned:" line (4.2 logs that right after the
// fork, before its loop polls the pipes). Short-lived
// children print and exit over and over while the test keeps every core
// busy, so the daemon's goroutines wait for a CPU as on a loaded machine.
func TestOutputBeforeExitUnderLoad(t *testing.T) {
	listener := testbin.ListenerScript(t)
	t.Parallel()
	testbin.BusyCores(t)

	dir := t.TempDir()
	events := filepath.Join(dir, "events.txt")
	conf := strings.Replace(testbin.BaseConf(dir), "[supervisord]\n",
		"[supervisord]\nloglevel=debug\ncontainer_logs=true\n", 1)
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
	conf += fmt.Sprintf(`[program:cap]
command=sh -c 'echo "<!--XSUPERVISOR:BEGIN-->c $$<!--XSUPERVISOR:END-->"'
startsecs=0
autorestart=true
stdout_capture_maxbytes=1MB

[eventlistener:rec]
command=%s %s --out %s
events=PROCESS_LOG,PROCESS_COMMUNICATION,PROCESS_STATE_EXITED
buffer_size=100000
`, testbin.Python, listener, events)
	d := testbin.StartConfStdio(t, false, dir, conf)

	// Enough exits that, on today's machines, an out-of-order one shows
	// up in practically every run when the ordering is not enforced.
	const exits = 300
	exitRE := regexp.MustCompile(`(?m)^\S+ \S+ \w+ exited: \w+ `)
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

	report := func(where string, least, checked int, bad []string) {
		t.Helper()
		if checked < least {
			t.Errorf("%s: only %d exits checked", where, checked)
		}
		if len(bad) > 0 {
			t.Errorf("%s: %d of %d exits came before the child's output, e.g.:\n%s",
				where, len(bad), checked, strings.Join(bad[:min(len(bad), 5)], "\n"))
		}
	}
	checked, bad := checkLogOrder(d.Log())
	report("activity log", exits, checked, bad)
	checked, bad = checkConsoleOrder(d.Stdout.String())
	report("console", exits, checked, bad)
	checked, bad = checkEventOrder(testbin.ReadEvents(t, events))
	report("events", exits/3, checked, bad)
}

// marksBeforeExit are the marks each program's child leaves (PID its pid)
// that must be seen before its exit: its lines on stdout ("o PID") and
// stderr ("e PID"), or its captured block ("c PID").
func marksBeforeExit(program, pid string) []string {
	if program == "cap" {
		return []string{"c " + pid}
	}
	return []string{"o " + pid, "e " + pid}
}

// orderChecker follows one record of the test's programs: the current
// child of each and the marks seen so far.
type orderChecker struct {
	current map[string]string // program → pid of its child
	spawned map[string]bool   // pids of the "spawned:" lines so far
	seen    map[string]bool   // marks seen
	checked int
	bad     []string
}

func newOrderChecker() *orderChecker {
	return &orderChecker{current: map[string]string{}, spawned: map[string]bool{}, seen: map[string]bool{}}
}

// output records a mark of program's child pid, checking that the child
// was announced ("spawned:") before.
func (c *orderChecker) output(where, program, mark, pid string) {
	c.seen[mark] = true
	switch {
	case c.current[program] == pid:
	case c.spawned[pid]:
		c.bad = append(c.bad, fmt.Sprintf("%s: %q of %s after its next child was spawned", where, mark, program))
	default:
		c.bad = append(c.bad, fmt.Sprintf("%s: %q of %s before its \"spawned:\" line", where, mark, program))
	}
}

// spawn records a "spawned:" line.
func (c *orderChecker) spawn(program, pid string) {
	c.current[program] = pid
	c.spawned[pid] = true
}

// exited checks one exit of program's child pid against the marks wanted.
func (c *orderChecker) exited(where, program, pid string, want []string) {
	c.checked++
	var missing []string
	for _, m := range want {
		if !c.seen[m] {
			missing = append(missing, m)
		}
	}
	if len(missing) > 0 {
		c.bad = append(c.bad, fmt.Sprintf("%s: exit of %s (pid %s) before %q", where, program, pid, missing))
	}
}

var (
	entryStartRE = regexp.MustCompile(`^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} \w+ `)
	spawnedRE    = regexp.MustCompile(`^spawned: '(\w+)' with pid (\d+)$`)
	outputRE     = regexp.MustCompile(`^'(\w+)' (stdout|stderr) output:\n`)
	commRE       = regexp.MustCompile(`^'(\w+)' stdout emitted a comm event$`)
	exitedRE     = regexp.MustCompile(`^exited: (\w+) `)
	markRE       = regexp.MustCompile(`(?m)^([oec]) (\d+)$`)
)

// checkLogOrder walks the activity log (entries may span lines: the
// output entries do) and returns how many exits of the test's programs it
// checked and a description of each that came before the child's output
// entries (or comm event) were logged, and of output logged before the
// child's "spawned:" line.
func checkLogOrder(log string) (checked int, bad []string) {
	var entries []string
	for _, l := range strings.Split(log, "\n") {
		if loc := entryStartRE.FindStringIndex(l); loc != nil {
			entries = append(entries, l[loc[1]:])
		} else if len(entries) > 0 {
			entries[len(entries)-1] += "\n" + l
		}
	}
	c := newOrderChecker()
	for i, e := range entries {
		if m := spawnedRE.FindStringSubmatch(e); m != nil {
			c.spawn(m[1], m[2])
		} else if m := outputRE.FindStringSubmatch(e); m != nil {
			for _, mark := range markRE.FindAllStringSubmatch(e, -1) {
				c.output(fmt.Sprintf("entry %d", i), m[1], mark[0], mark[2])
			}
		} else if m := commRE.FindStringSubmatch(e); m != nil {
			c.seen["c "+c.current[m[1]]] = true
		} else if m := exitedRE.FindStringSubmatch(e); m != nil && m[1] != "rec" {
			pid := c.current[m[1]]
			c.exited(fmt.Sprintf("entry %d", i), m[1], pid, marksBeforeExit(m[1], pid))
		}
	}
	return c.checked, c.bad
}

var consoleRE = regexp.MustCompile(`^(p\d+) \| ([oe]) (\d+)$`)

// checkConsoleOrder is checkLogOrder for the daemon's stdout, where the
// console's "name | line" lines and the activity log's echo meet: each
// exit of a p* program must come after its child's "o PID" line, which
// must come after the child's "spawned:" line. (The stderr lines go to the
// daemon's stderr, another pipe.)
func checkConsoleOrder(stdout string) (checked int, bad []string) {
	c := newOrderChecker()
	for i, l := range strings.Split(stdout, "\n") {
		if m := consoleRE.FindStringSubmatch(l); m != nil {
			c.output(fmt.Sprintf("line %d", i+1), m[1], m[2]+" "+m[3], m[3])
			continue
		}
		loc := entryStartRE.FindStringIndex(l)
		if loc == nil {
			continue
		}
		e := l[loc[1]:]
		if m := spawnedRE.FindStringSubmatch(e); m != nil {
			c.spawn(m[1], m[2])
		} else if m := exitedRE.FindStringSubmatch(e); m != nil && strings.HasPrefix(m[1], "p") {
			pid := c.current[m[1]]
			c.exited(fmt.Sprintf("line %d", i+1), m[1], pid, []string{"o " + pid})
		}
	}
	return c.checked, c.bad
}

var pidFieldRE = regexp.MustCompile(`(?:^| )pid:(\d+)`)

// checkEventOrder is checkLogOrder for the listener's record: each
// PROCESS_STATE_EXITED of a test program must come after the
// PROCESS_LOG_STDOUT and PROCESS_LOG_STDERR (or the
// PROCESS_COMMUNICATION_STDOUT) carrying that pid's marks.
func checkEventOrder(evs []testbin.Event) (checked int, bad []string) {
	c := newOrderChecker()
	for i, e := range evs {
		head, body, _ := strings.Cut(e.Payload, "\n")
		name, _, _ := strings.Cut(strings.TrimPrefix(head, "processname:"), " ")
		m := pidFieldRE.FindStringSubmatch(head)
		if m == nil || name == "rec" {
			continue
		}
		pid := m[1]
		switch e.Name() {
		case "PROCESS_LOG_STDOUT", "PROCESS_LOG_STDERR", "PROCESS_COMMUNICATION_STDOUT":
			c.seen[strings.TrimSuffix(body, "\n")] = true
		case "PROCESS_STATE_EXITED":
			c.exited(fmt.Sprintf("event %d", i), name, pid, marksBeforeExit(name, pid))
		}
	}
	return c.checked, c.bad
}

// When stopProcess (wait) answers, what the child wrote on its way out is
// in its log: a read right after the answer finds it, as under 4.2, whose
// loop reads the pipes before it reaps. Every core is kept busy, so the
// daemon's readers lag as on a loaded machine.
func TestStopAnswerAfterLastWordsLogged(t *testing.T) {
	t.Parallel()
	testbin.BusyCores(t)
	dir := t.TempDir()
	d := testbin.Start(t, false, fmt.Sprintf(`[program:bye]
command=%s
startsecs=0
autostart=false
stdout_logfile=%s
`, helperCmd(t, "lastwords"), filepath.Join(dir, "bye.log")))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c := d.Client(t)
	call := func(method string, args ...any) any {
		t.Helper()
		v, err := c.Call(ctx, method, args...)
		if err != nil {
			t.Fatalf("%s: %v", method, err)
		}
		return v
	}
	const rounds = 20
	for i := range rounds {
		call("supervisor.startProcess", "bye", true)
		pid := fmt.Sprint(pidOf(t, d, "bye"))
		// Its SIGTERM handler is set once it has said so.
		waitFor(t, 10*time.Second, "the child up", func() bool {
			log, _ := call("supervisor.tailProcessStdoutLog", "bye", 0, 1<<20).([]any)
			return len(log) > 0 && strings.Contains(log[0].(string), "up "+pid+"\n")
		})
		call("supervisor.stopProcess", "bye", true)
		log, _ := call("supervisor.tailProcessStdoutLog", "bye", 0, 1<<20).([]any)
		if got := strings.Count(log[0].(string), "bye "+pid+"\n"); got != 300 {
			t.Fatalf("round %d: right after the stop answer the log holds %d of the 300 lines pid %s wrote when stopped",
				i+1, got, pid)
		}
	}
}
