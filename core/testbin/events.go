package testbin

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"
)

// ListenerScript returns the absolute path of the example event listener
// (examples/listener.py), skipping the test when Python is missing.
func ListenerScript(t testing.TB) string {
	t.Helper()
	if _, err := os.Stat(Python); err != nil {
		t.Skipf("%s is not installed: the example event listener needs it", Python)
	}
	_, file, _, _ := runtime.Caller(0)
	p, err := filepath.Abs(filepath.Join(filepath.Dir(file), "..", "..", "examples", "listener.py"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("the example listener is missing: %v", err)
	}
	return p
}

// Event is one event as the example listener records it with --out: the
// header line and the payload.
type Event struct{ Header, Payload string }

// Field returns one "name:value" field of the header ("" if absent).
func (e Event) Field(name string) string {
	for _, f := range strings.Fields(e.Header) {
		if v, ok := strings.CutPrefix(f, name+":"); ok {
			return v
		}
	}
	return ""
}

// Name is the event's eventname.
func (e Event) Name() string { return e.Field("eventname") }

var eventHeaderRE = regexp.MustCompile(`^ver:3\.0 server:(\S+) serial:(\d+) pool:(\S+) poolserial:(\d+) eventname:(\S+) len:(\d+)$`)

// ReadEvents parses the example listener's --out file (none yet: no
// events). A malformed header, or a len: that is not the payload's length
// in characters, fails the test.
func ReadEvents(t testing.TB, path string) []Event {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	var out []Event
	text := string(b)
	for text != "" {
		chunk, rest, ok := strings.Cut(text, "\n--\n")
		if !ok {
			break // a record being written
		}
		text = rest
		header, payload, _ := strings.Cut(chunk, "\n")
		m := eventHeaderRE.FindStringSubmatch(header)
		if m == nil {
			t.Fatalf("%s: bad event header %q", path, header)
		}
		if want := fmt.Sprint(len([]rune(payload))); m[6] != want {
			t.Errorf("%s: header %q: len is not the payload's length %s", path, header, want)
		}
		out = append(out, Event{header, payload})
	}
	return out
}

// WaitEvents polls path until it holds at least n events and returns them.
func WaitEvents(t testing.TB, path string, n int, timeout time.Duration) []Event {
	t.Helper()
	var evs []Event
	if err := Poll(timeout, func() bool { evs = ReadEvents(t, path); return len(evs) >= n }); err != nil {
		t.Fatalf("%s holds %d events, want %d: %v", path, len(evs), n, err)
	}
	return evs
}

// WaitEvent polls path until it holds an event named name whose payload
// contains part, and returns it.
func WaitEvent(t testing.TB, path, name, part string, timeout time.Duration) Event {
	t.Helper()
	var found Event
	if err := Poll(timeout, func() bool {
		for _, e := range ReadEvents(t, path) {
			if e.Name() == name && strings.Contains(e.Payload, part) {
				found = e
				return true
			}
		}
		return false
	}); err != nil {
		t.Fatalf("no %s event with %q in %s: %v", name, part, path, err)
	}
	return found
}

// WaitLog polls the daemon's activity log until it contains line.
func (d *Daemon) WaitLog(t testing.TB, line string, timeout time.Duration) {
	t.Helper()
	if err := Poll(timeout, func() bool { return strings.Contains(d.Log(), line) }); err != nil {
		t.Fatalf("%s: the activity log has no %q: %v\n%s", d.Name, line, err, d.Log())
	}
}
