package api

import (
	"bufio"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"super/core/process"
	"super/core/supervisor"
	"super/core/testbin"
)

// fakeSource is an engine that publishes what the test says.
type fakeSource struct {
	mu  sync.Mutex
	fns map[int]func(supervisor.Event)
	n   int
}

func (f *fakeSource) SubscribeDetailed(fn func(supervisor.Event)) func() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fns == nil {
		f.fns = map[int]func(supervisor.Event){}
	}
	id := f.n
	f.n++
	f.fns[id] = fn
	return func() {
		f.mu.Lock()
		delete(f.fns, id)
		f.mu.Unlock()
	}
}

func (f *fakeSource) subscribers() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.fns)
}

func (f *fakeSource) Stats(...supervisor.StatsOption) ([]supervisor.ProcessStats, error) {
	return nil, nil
}
func (f *fakeSource) State() supervisor.State { return supervisor.StateRunning }

func (f *fakeSource) publish(n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := 0; i < n; i++ {
		info := &supervisor.ProcessInfo{Name: "p", Group: "p", State: process.Running, StateName: "RUNNING"}
		for _, fn := range f.fns {
			fn(supervisor.Event{Type: supervisor.ProcessState, Name: "p", Group: "p", To: process.Running, Info: info})
		}
	}
}

// The ring: a reader that fell further behind than it holds is told so (and
// dropped by the stream); a Last-Event-ID it no longer holds, of another
// run, or of the future, cannot be resumed from; one it holds can.
func TestHubRing(t *testing.T) {
	src := &fakeSource{}
	hb := newHub(src, newMeter(), EventOptions{Buffer: 8, StatsEvery: time.Hour})
	defer hb.close()
	cursor, _, ok := hb.join("")
	defer hb.leave()
	if !ok || cursor != 0 {
		t.Fatalf("join: %d %v", cursor, ok)
	}
	src.publish(5)
	got, _, behind := hb.read(0, nil)
	if behind || len(got) != 5 || got[0].id != 1 || got[4].id != 5 {
		t.Fatalf("read 5: %d entries, behind %v", len(got), behind)
	}
	src.publish(10) // 15 in all; the ring holds 8..15
	if _, _, behind := hb.read(5, nil); !behind {
		t.Error("a reader at 5 is not behind a ring holding 8..15")
	}
	if got, _, behind := hb.read(7, nil); behind || len(got) != 8 || got[0].id != 8 {
		t.Errorf("a reader at 7: %d entries, behind %v", len(got), behind)
	}
	for id, want := range map[string]bool{
		hb.idString(15): true, hb.idString(7): true, hb.idString(6): false, hb.idString(16): false,
		"other-15": false, "15": false, "": true,
	} {
		if _, _, ok := hb.join(id); ok != want {
			t.Errorf("resume from %q: %v, want %v", id, ok, want)
		}
		hb.leave()
	}
}

// An idle stream gets heartbeats, and ends when the hub closes.
func TestStreamHeartbeat(t *testing.T) {
	src := &fakeSource{}
	h := &Handler{meter: newMeter()}
	h.hub = newHub(src, h.meter, EventOptions{Heartbeat: 20 * time.Millisecond, StatsEvery: time.Hour})
	h.routes = h.table()
	srv := httptest.NewServer(h)
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/api/v1/events", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	var lines []string
	pings := 0
	for pings < 3 && sc.Scan() {
		lines = append(lines, sc.Text())
		if sc.Text() == ": ping" {
			pings++
		}
	}
	if pings < 3 {
		t.Fatalf("no heartbeats: %q (%v)", lines, sc.Err())
	}
	if !strings.HasPrefix(strings.Join(lines, "\n"), "retry: 1000\n\nevent: hello\n") {
		t.Errorf("stream began %q", lines)
	}
	// An event between the heartbeats.
	src.publish(1)
	for sc.Scan() && sc.Text() != "event: process" {
	}
	h.Close()
	for sc.Scan() {
	}
	if ctx.Err() != nil {
		t.Error("the stream did not end when the hub closed")
	}
}

// Once the last client has been gone for Linger, the hub unsubscribes (the
// engine pays nothing again) and its ids can no longer be resumed from; a
// client back within Linger resumes.
func TestHubLinger(t *testing.T) {
	src := &fakeSource{}
	hb := newHub(src, newMeter(), EventOptions{Linger: 50 * time.Millisecond, StatsEvery: time.Hour})
	defer hb.close()
	if src.subscribers() != 0 {
		t.Fatal("subscribed before any client")
	}
	hb.join("")
	src.publish(3)
	last := hb.lastID()
	hb.leave()
	// Back at once: resumes, still subscribed.
	if _, _, ok := hb.join(last); !ok || src.subscribers() != 1 {
		t.Fatalf("a client back at once cannot resume (subscribers %d)", src.subscribers())
	}
	hb.leave()
	if err := testbin.Poll(5*time.Second, func() bool { return src.subscribers() == 0 }); err != nil {
		t.Fatal("still subscribed after the linger")
	}
	if _, _, ok := hb.join(last); ok {
		t.Error("an id from before the hub forgot can still be resumed from")
	}
	if src.subscribers() != 1 {
		t.Error("a new client did not subscribe the hub again")
	}
	hb.leave()
}
