package stress

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"super/core/testbin"
)

// 100 programs that exit at once with autorestart=true and startsecs=0
// restart without backoff, hundreds of times a second. The daemon must
// keep its memory bounded and answer RPC meanwhile.
func TestCrashLoop(t *testing.T) {
	const programs = 100
	window := pick(5*time.Second, 60*time.Second)
	var b strings.Builder
	for i := range programs {
		fmt.Fprintf(&b, "[program:crash%03d]\ncommand=/bin/true\nstartsecs=0\nautorestart=true\nstdout_logfile=NONE\nstderr_logfile=NONE\n\n", i)
	}
	d := testbin.Start(t, false, b.String())
	url := d.URL
	before, err := readUsage(d.Pid())
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	spawnedBefore := countLines(d.Log(), "spawned: ")
	var lat latencies
	var peakRSS int64
	for time.Since(start) < window {
		t0 := time.Now()
		state, _ := call(t, url, "supervisor.getState").(map[string]any)
		lat = append(lat, time.Since(t0))
		if state["statename"] != "RUNNING" {
			t.Fatalf("daemon state %v", state)
		}
		u, err := readUsage(d.Pid())
		if err != nil {
			t.Fatalf("daemon gone: %v\n%s", err, d.Out)
		}
		peakRSS = max(peakRSS, u.rssKiB)
		if peakRSS > 100<<10 {
			t.Fatalf("daemon RSS %d KiB > 100 MiB", peakRSS)
		}
		time.Sleep(100 * time.Millisecond) // sampling period, not a wait for a condition
	}
	elapsed := time.Since(start)
	after, _ := readUsage(d.Pid())
	restarts := countLines(d.Log(), "spawned: ") - spawnedBefore
	cpu := float64(after.cpuTicks-before.cpuTicks) / clkTck / elapsed.Seconds() * 100
	t.Logf("figure: crash loop, %d programs, %v: %d restarts (%.0f/s); daemon CPU %.0f%% of one core, RSS %d→%d KiB (peak %d), fds %d→%d; getState %v",
		programs, elapsed.Round(time.Millisecond), restarts, float64(restarts)/elapsed.Seconds(), cpu,
		before.rssKiB, after.rssKiB, peakRSS, before.fds, after.fds, lat)
	if restarts < programs {
		t.Errorf("only %d restarts in %v: the programs are not crash-looping", restarts, elapsed)
	}
	if lat.max() > 5*time.Second {
		t.Errorf("getState took up to %v during the crash loop", lat.max())
	}
	// File descriptors must not leak with the restarts.
	if after.fds > before.fds+4*programs {
		t.Errorf("daemon fds grew from %d to %d", before.fds, after.fds)
	}
	// Every program can still be stopped, and nothing is left behind.
	// stopAllProcesses stops what is running at the moment; a crash
	// looper caught between exit and restart (EXITED) is not running and
	// restarts, as in 4.2, so it takes a few rounds.
	if err := testbin.Poll(30*time.Second, func() bool {
		call(t, url, "supervisor.stopAllProcesses")
		return states(t, url)["STOPPED"] == programs
	}); err != nil {
		t.Fatalf("not all stopped: %v", states(t, url))
	}
	if err := testbin.Poll(5*time.Second, func() bool {
		for _, p := range testbin.Descendants(d.Pid()) {
			if !p.Zombie() || p.PPid == d.Pid() {
				return false
			}
		}
		return true
	}); err != nil {
		t.Errorf("children left after stopAllProcesses: %+v", testbin.Descendants(d.Pid()))
	}
}
