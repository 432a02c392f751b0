package api

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"super/core/testbin"
)

// sse is one event as a client reads it.
type sse struct {
	ID, Name string
	Data     map[string]any
}

// sseStream reads an event stream in the background.
type sseStream struct {
	t      *testing.T
	resp   *http.Response
	events chan sse
	cancel context.CancelFunc

	seen []sse // every event read, in order
	pos  int   // where the next await looks from

	mu     sync.Mutex
	lastID string
}

// openEvents connects to /api/v1/events?query with the credentials (and
// Last-Event-ID when lastID is not "").
func (d *apiDaemon) openEvents(t *testing.T, query, lastID string) *sseStream {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", d.Base+"/api/v1/events?"+query, nil)
	req.SetBasicAuth(apiUser, apiPass)
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		cancel()
		t.Fatalf("events: %d %s %s", resp.StatusCode, resp.Header.Get("Content-Type"), b)
	}
	checkAgainstDoc(t, "GET", "/api/v1/events", reply{Status: 200, Header: resp.Header})
	s := &sseStream{t: t, resp: resp, events: make(chan sse, 10000), cancel: cancel}
	t.Cleanup(s.close)
	go s.read()
	return s
}

func (s *sseStream) close() {
	s.cancel()
	s.resp.Body.Close()
}

// read parses the stream: "id:", "event:", "data:" lines, a blank line
// ends an event; comment lines (heartbeats) are skipped.
func (s *sseStream) read() {
	defer close(s.events)
	sc := bufio.NewScanner(s.resp.Body)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	var cur sse
	var data string
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			if cur.Name != "" {
				if err := json.Unmarshal([]byte(data), &cur.Data); err != nil {
					s.t.Errorf("event %s: data is not JSON: %q", cur.Name, data)
				}
				if cur.ID != "" {
					s.mu.Lock()
					s.lastID = cur.ID
					s.mu.Unlock()
				}
				s.events <- cur
			}
			cur, data = sse{}, ""
		case strings.HasPrefix(line, "id: "):
			cur.ID = line[4:]
		case strings.HasPrefix(line, "event: "):
			cur.Name = line[7:]
		case strings.HasPrefix(line, "data: "):
			data += line[6:]
		}
	}
}

func (s *sseStream) last() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lastID
}

// await waits for the next event after the last one awaited that match
// accepts, returning it and the events in between, failing after timeout.
func (s *sseStream) await(what string, timeout time.Duration, match func(sse) bool) (sse, []sse) {
	s.t.Helper()
	deadline := time.After(timeout)
	for i := s.pos; ; i++ {
		for i >= len(s.seen) {
			s.more(what, deadline)
		}
		if match(s.seen[i]) {
			skipped := s.seen[s.pos:i]
			s.pos = i + 1
			return s.seen[i], skipped
		}
	}
}

// find waits for any event, seen before or to come, that match accepts.
func (s *sseStream) find(what string, timeout time.Duration, match func(sse) bool) sse {
	s.t.Helper()
	deadline := time.After(timeout)
	for i := 0; ; i++ {
		for i >= len(s.seen) {
			s.more(what, deadline)
		}
		if match(s.seen[i]) {
			return s.seen[i]
		}
	}
}

// more reads one event into seen.
func (s *sseStream) more(what string, deadline <-chan time.Time) {
	s.t.Helper()
	select {
	case e, ok := <-s.events:
		if !ok {
			s.t.Fatalf("stream ended waiting for %s (after %d events)", what, len(s.seen))
		}
		s.seen = append(s.seen, e)
	case <-deadline:
		s.t.Fatalf("no %s (saw %d events)", what, len(s.seen))
	}
}

// stateEvent matches the "process" event of name entering state.
func stateEvent(name, state string) func(sse) bool {
	return func(e sse) bool {
		return e.Name == "process" && e.Data["namespec"] == name && e.Data["statename"] == state
	}
}

// validateEvent checks an event's data against the document's schema for
// its name.
func validateEvent(t *testing.T, e sse) {
	t.Helper()
	schema := map[string]string{"hello": "HelloEvent", "reset": "HelloEvent", "process": "ProcessEvent",
		"health": "ProcessEvent", "stats": "StatsEvent", "group": "GroupEvent", "supervisor": "SupervisorEvent",
		"log": "LogEvent"}[e.Name]
	if schema == "" {
		t.Errorf("undocumented event %q", e.Name)
		return
	}
	var v any
	b, _ := json.Marshal(e.Data)
	json.Unmarshal(b, &v)
	validate(t, openapiDoc(t), map[string]any{"$ref": "#/components/schemas/" + schema}, v, "event "+e.Name)
}

func TestEventStream(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	flag := filepath.Join(dir, "healthy")
	d := startAPI(t, apiPrograms+fmt.Sprintf(`
[program:checked]
command=sleep 1000
startsecs=0
healthcheck=test -f %s
healthcheck_interval=0.1
healthcheck_retries=1
healthcheck_action=none
`, flag))
	d.WaitState(t, "cat", "RUNNING", 10*time.Second)

	s := d.openEvents(t, "follow=cat&mainlog=1", "")
	hello, _ := s.await("hello", 10*time.Second, func(e sse) bool { return e.Name == "hello" })
	validateEvent(t, hello)
	if hello.ID != "" || hello.Data["statename"] != "RUNNING" {
		t.Errorf("hello: %+v", hello)
	}

	// A state change: each step in order, with an id, the process's
	// fields as the list shows them.
	d.call(t, "POST", "/api/v1/processes/idle/start", map[string]any{})
	starting, _ := s.await("idle STARTING", 10*time.Second, stateEvent("idle", "STARTING"))
	running, between := s.await("idle RUNNING", 10*time.Second, stateEvent("idle", "RUNNING"))
	for _, e := range append(between, starting, running) {
		validateEvent(t, e)
	}
	if running.Data["from_state"] != "STARTING" || running.Data["pid"] == 0.0 || running.ID == "" || running.ID == starting.ID {
		t.Errorf("RUNNING event: %+v (STARTING %s)", running, starting.ID)
	}

	// The followed log: a line the program prints.
	d.call(t, "POST", "/api/v1/processes/cat/stdin", map[string]any{"data": "followed ünïcode line\n"})
	logged, _ := s.await("the printed line", 10*time.Second, func(e sse) bool {
		return e.Name == "log" && e.Data["namespec"] == "cat" && strings.Contains(fmt.Sprint(e.Data["data"]), "followed ünïcode line\n")
	})
	validateEvent(t, logged)
	// The activity log, followed: the start logged.
	s.find("the activity log", 10*time.Second, func(e sse) bool {
		return e.Name == "log" && e.Data["channel"] == "main" && strings.Contains(fmt.Sprint(e.Data["data"]), "success: idle entered RUNNING")
	})

	// Health changes.
	if err := os.WriteFile(flag, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	healthy, _ := s.await("checked healthy", 10*time.Second, func(e sse) bool {
		return e.Name == "health" && e.Data["namespec"] == "checked" && e.Data["health"] == "healthy"
	})
	validateEvent(t, healthy)
	os.Remove(flag)
	s.await("checked unhealthy", 10*time.Second, func(e sse) bool {
		return e.Name == "health" && e.Data["namespec"] == "checked" && e.Data["health"] == "unhealthy"
	})

	// Stats: a restart counts, and the next reading says so.
	d.call(t, "POST", "/api/v1/processes/idle/restart", map[string]any{})
	stats, _ := s.await("stats with idle restarted", 20*time.Second, func(e sse) bool {
		if e.Name != "stats" {
			return false
		}
		for _, p := range asSlice(e.Data["processes"]) {
			if m := p.(map[string]any); m["namespec"] == "idle" && m["restarts"] == 1.0 {
				return true
			}
		}
		return false
	})
	validateEvent(t, stats)

	// Groups and the daemon itself.
	if err := os.WriteFile(d.Conf, append(mustRead(t, d.Conf), "\n[program:later]\ncommand=sleep 1000\n"...), 0o644); err != nil {
		t.Fatal(err)
	}
	d.call(t, "POST", "/api/v1/supervisor/update", map[string]any{})
	added, _ := s.await("group added", 10*time.Second, func(e sse) bool { return e.Name == "group" && e.Data["group"] == "later" })
	validateEvent(t, added)
	d.call(t, "POST", "/api/v1/supervisor/shutdown", map[string]any{})
	stopping, _ := s.await("supervisor stopping", 10*time.Second, func(e sse) bool { return e.Name == "supervisor" })
	validateEvent(t, stopping)
	if stopping.Data["change"] != "stopping" {
		t.Errorf("supervisor event %+v", stopping)
	}
	// The stream ends with the daemon.
	for range s.events {
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestEventResume: a client that comes back with Last-Event-ID gets what it
// missed, in order, and nothing twice; one whose id the daemon cannot
// honour is told to start over.
func TestEventResume(t *testing.T) {
	t.Parallel()
	d := startAPI(t, apiPrograms)
	d.WaitState(t, "cat", "RUNNING", 10*time.Second)
	s := d.openEvents(t, "types=process", "")
	s.await("hello", 10*time.Second, func(e sse) bool { return e.Name == "hello" })
	d.call(t, "POST", "/api/v1/processes/idle/start", map[string]any{})
	s.await("idle RUNNING", 10*time.Second, stateEvent("idle", "RUNNING"))
	last := s.last()
	s.close()

	// Missed while away: a stop and a start.
	d.call(t, "POST", "/api/v1/processes/idle/stop", map[string]any{})
	d.call(t, "POST", "/api/v1/processes/idle/start", map[string]any{})

	r := d.openEvents(t, "types=process", last)
	var got []string
	_, before := r.await("idle RUNNING again", 10*time.Second, stateEvent("idle", "RUNNING"))
	for _, e := range before {
		if e.Name == "hello" || e.Name == "reset" {
			t.Fatalf("a resumed stream started with %s", e.Name)
		}
		got = append(got, fmt.Sprint(e.Data["namespec"], ":", e.Data["statename"]))
	}
	if want := "idle:STOPPING idle:STOPPED idle:STARTING"; strings.Join(got, " ") != want {
		t.Errorf("resumed with %q, want %q", strings.Join(got, " "), want)
	}

	// An id of another daemon run, or of the future: start over.
	for _, bad := range []string{"abc-12", strings.Split(last, "-")[0] + "-999999", "garbage"} {
		x := d.openEvents(t, "", bad)
		e, _ := x.await("reset", 10*time.Second, func(sse) bool { return true })
		if e.Name != "reset" {
			t.Errorf("Last-Event-ID %q: first event %s, want reset", bad, e.Name)
		}
		validateEvent(t, e)
		x.close()
	}
}

// TestEventClients: a hundred clients get every change while one client
// reads nothing at all: the stalled one is dropped (it can resume), the
// others and the engine go on, and the program whose log it follows loses
// no output.
func TestEventClients(t *testing.T) {
	t.Parallel()
	d := startAPI(t, apiPrograms+`
[program:chatty]
command=sh -c 'seq 1 1000000; exec sleep 1000'
autostart=false
startsecs=0
`)
	d.WaitState(t, "cat", "RUNNING", 10*time.Second)

	// The stalled client: a raw connection with a tiny receive buffer
	// that asks to follow chatty's log and never reads.
	dialer := net.Dialer{Control: func(_, _ string, c syscall.RawConn) error {
		return c.Control(func(fd uintptr) { syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096) })
	}}
	conn, err := dialer.Dial("tcp", strings.TrimPrefix(d.Base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "GET /api/v1/events?follow=chatty HTTP/1.1\r\nHost: x\r\nAuthorization: Basic %s\r\n\r\n",
		basicAuth(apiUser, apiPass))

	if err := testbin.Poll(10*time.Second, func() bool { return tcpState(conn.RemoteAddr(), conn.LocalAddr()) == "01" }); err != nil {
		t.Fatalf("the stalled client's connection is not in the kernel's table as ESTABLISHED: %v", err)
	}

	const n = 100
	clients := make([]*sseStream, n)
	for i := range clients {
		clients[i] = d.openEvents(t, "types=process", "")
	}
	for _, c := range clients {
		c.await("hello", 20*time.Second, func(e sse) bool { return e.Name == "hello" })
	}
	// chatty prints a million lines (6.9 MB); the stalled client's share fills its
	// socket at once.
	d.call(t, "POST", "/api/v1/processes/chatty/start", map[string]any{})
	for i := 0; i < 3; i++ {
		// Meanwhile the engine answers and every client sees each change.
		d.call(t, "POST", "/api/v1/processes/idle/start", map[string]any{})
		d.call(t, "POST", "/api/v1/processes/idle/stop", map[string]any{})
	}
	for i, c := range clients {
		for k := 0; k < 3; k++ {
			c.await(fmt.Sprintf("client %d: idle RUNNING #%d", i, k+1), 30*time.Second, stateEvent("idle", "RUNNING"))
			c.await(fmt.Sprintf("client %d: idle STOPPED #%d", i, k+1), 30*time.Second, stateEvent("idle", "STOPPED"))
		}
	}
	// The program's log is whole: its last line is there.
	if err := testbin.Poll(30*time.Second, func() bool {
		r := d.call(t, "GET", "/api/v1/processes/chatty/logs/stdout?offset=-8", nil)
		return r.field("data") == "1000000\n"
	}); err != nil {
		t.Fatalf("chatty's log does not end with its last line: %v", err)
	}
	// The stalled client is dropped: the daemon closes its end (seen in
	// the kernel's table: the client itself cannot see the close before
	// it reads the megabytes queued ahead of it).
	if err := testbin.Poll(30*time.Second, func() bool { return tcpState(conn.RemoteAddr(), conn.LocalAddr()) != "01" }); err != nil {
		t.Fatalf("the daemon kept the stalled client's connection: %v", err)
	}
	// It may come back and resume.
	r := d.openEvents(t, "types=process", "")
	r.await("hello", 10*time.Second, func(e sse) bool { return e.Name == "hello" })
}

func basicAuth(user, pass string) string {
	return strings.TrimPrefix(func() string {
		req, _ := http.NewRequest("GET", "http://x/", nil)
		req.SetBasicAuth(user, pass)
		return req.Header.Get("Authorization")
	}(), "Basic ")
}

// tcpState is the state of the TCP connection from local to remote (IPv4)
// in the kernel's table, in its hex notation ("01" ESTABLISHED, "04"
// FIN_WAIT1, ...); "" when it is not there.
func tcpState(local, remote net.Addr) string {
	hexAddr := func(a net.Addr) string {
		ta := a.(*net.TCPAddr)
		ip := ta.IP.To4()
		return fmt.Sprintf("%02X%02X%02X%02X:%04X", ip[3], ip[2], ip[1], ip[0], ta.Port)
	}
	want := hexAddr(local) + " " + hexAddr(remote)
	b, err := os.ReadFile("/proc/net/tcp")
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) > 3 && f[1]+" "+f[2] == want {
			return f[3]
		}
	}
	return ""
}
