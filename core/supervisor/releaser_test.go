package supervisor

import (
	"sync/atomic"
	"testing"
	"time"
)

// After a burst of work the releaser calls Quiet once, no sooner than
// releaseQuiet after the last work, and is ready for the next burst.
func TestReleaserCallsQuietAfterWork(t *testing.T) {
	var calls atomic.Int32
	var at atomic.Int64
	r := &releaser{quiet: func() {
		at.Store(time.Now().UnixNano())
		calls.Add(1)
	}}
	var last time.Time
	for range 5 {
		last = time.Now() // not after the releaser's own reading
		r.touch()
	}
	waitFor := func(n int32) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for calls.Load() < n {
			if time.Now().After(deadline) {
				t.Fatalf("Quiet called %d times, want %d", calls.Load(), n)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	waitFor(1)
	if d := time.Duration(at.Load() - last.UnixNano()); d < releaseQuiet {
		t.Errorf("Quiet came %v after the last work, want at least %v", d, releaseQuiet)
	}
	r.touch()
	waitFor(2)
	if n := calls.Load(); n != 2 {
		t.Errorf("Quiet called %d times for two bursts", n)
	}
}

// A request that lasts longer than releaseQuiet is work until it ends:
// nothing is released while it runs (its garbage is still being made),
// and the release comes once it is over.
func TestReleaserWaitsForLongRequests(t *testing.T) {
	var calls atomic.Int32
	var at atomic.Int64
	r := &releaser{quiet: func() {
		at.Store(time.Now().UnixNano())
		calls.Add(1)
	}}
	r.begin()
	// The request runs for three quiet periods, each one longer than
	// the releaser's delay since the last sign of work.
	held := time.Now()
	for time.Since(held) < 3*releaseQuiet {
		time.Sleep(releaseQuiet / 5)
		if n := calls.Load(); n != 0 {
			t.Fatalf("released %d times %v into a request", n, time.Since(held))
		}
	}
	ended := time.Now()
	r.end()
	deadline := time.Now().Add(10 * time.Second)
	for calls.Load() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no release after the request ended")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if d := time.Duration(at.Load() - ended.UnixNano()); d < releaseQuiet {
		t.Errorf("released %v after the request ended, want at least %v", d, releaseQuiet)
	}
}

// Busy is called as a burst of work begins, and again while it goes on
// past releaseQuiet; Quiet comes after the last Busy.
func TestReleaserCallsBusyThenQuiet(t *testing.T) {
	var busy, quiet atomic.Int32
	var quietAfterBusy atomic.Bool
	r := &releaser{
		onBusy: func() { busy.Add(1) },
		quiet: func() {
			quietAfterBusy.Store(busy.Load() > 0)
			quiet.Add(1)
		},
	}
	r.touch()
	if busy.Load() != 1 {
		t.Fatalf("Busy called %d times as work began, want 1", busy.Load())
	}
	// Work going on for longer than releaseQuiet.
	until := time.Now().Add(3 * releaseQuiet)
	for time.Now().Before(until) {
		r.touch()
		time.Sleep(releaseQuiet / 10)
	}
	deadline := time.Now().Add(10 * time.Second)
	for quiet.Load() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("Quiet never called")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if n := busy.Load(); n < 2 {
		t.Errorf("Busy called %d times over work lasting 3×releaseQuiet, want it again while the work went on", n)
	}
	if !quietAfterBusy.Load() {
		t.Error("Quiet called before any Busy")
	}
}
