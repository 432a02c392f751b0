package blackbox

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"super/core/testbin"
)

// TestFlappingSpeed measures the speed figure: a listener pool
// subscribed to EVENT while 100 programs exit and are restarted, and
// supervisor.getState over the unix socket meanwhile. It checks that no
// event is lost except by the buffer overflow rule and logs the RPC
// latency; it runs only when SUPER_EVENTS_SPEED is a duration (e.g. 10s).
// SUPER_EVENTS_SPEED_ORACLE=1 measures 4.2 the same way.
func TestFlappingSpeed(t *testing.T) {
	dur, err := time.ParseDuration(os.Getenv("SUPER_EVENTS_SPEED"))
	if err != nil {
		t.Skip("set SUPER_EVENTS_SPEED to a duration (e.g. 10s) to measure event dispatch under 100 flapping programs")
	}
	script := testbin.ListenerScript(t)
	oracle := os.Getenv("SUPER_EVENTS_SPEED_ORACLE") != ""
	dir := t.TempDir()
	listener := fmt.Sprintf(`[eventlistener:rec]
command=%s %s --out %%(here)s/events.txt
events=EVENT
buffer_size=10000
startsecs=0
`, testbin.Python, script)
	// SUPER_EVENTS_SPEED_NOLISTENER=1: the same without the pool, to tell
	// the cost of events from the cost of flapping.
	noListener := os.Getenv("SUPER_EVENTS_SPEED_NOLISTENER") != ""
	if noListener {
		listener = ""
	}
	d := testbin.StartConf(t, oracle, dir, testbin.BaseConf(dir)+listener+`
[program:flap]
command=sh -c 'sleep 0.5; [ -e %(here)s/stop ] && exit 0; exit 1'
process_name=%(program_name)s_%(process_num)d
numprocs=100
startsecs=0
autorestart=unexpected
`)
	out := filepath.Join(dir, "events.txt")
	c := d.Client(t)
	var lat []time.Duration
	begin := time.Now()
	for time.Since(begin) < dur {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		t0 := time.Now()
		_, err := c.Call(ctx, "supervisor.getState")
		lat = append(lat, time.Since(t0))
		if testing.Verbose() && lat[len(lat)-1] > 100*time.Millisecond {
			t.Logf("getState at %v took %v", t0.Sub(begin).Round(time.Millisecond), lat[len(lat)-1])
		}
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Millisecond) // a client's pace, not a wait for a condition
	}
	elapsed := time.Since(begin)
	spawned := strings.Count(d.Log(), "INFO spawned: 'flap_")
	slices.Sort(lat)
	pct := func(p float64) time.Duration { return lat[min(len(lat)-1, int(float64(len(lat))*p))] }
	t.Logf("%s: %d getState calls in %v: p50 %v p99 %v max %v; %d spawns (%.0f/s)",
		d.Name, len(lat), elapsed.Round(time.Millisecond), pct(0.50), pct(0.99), lat[len(lat)-1],
		spawned, float64(spawned)/elapsed.Seconds())
	// The flapping ends: every process exits 0 (expected, no restart);
	// once the listener has those 100 EXITED events, it has everything
	// published before them.
	if err := os.WriteFile(filepath.Join(dir, "stop"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if noListener {
		return
	}
	settled := func() int {
		n := 0
		for _, e := range testbin.ReadEvents(t, out) {
			if e.Name() == "PROCESS_STATE_EXITED" && strings.Contains(e.Payload, "groupname:flap") &&
				strings.Contains(e.Payload, "expected:1") {
				n++
			}
		}
		return n
	}
	drain := time.Now()
	if err := testbin.Poll(120*time.Second, func() bool { return settled() >= 100 }); err != nil {
		t.Fatalf("%d of 100 final EXITED events reached the listener: %v", settled(), err)
	}
	evs := testbin.ReadEvents(t, out)
	got := map[int]bool{}
	maxSerial := 0
	for _, e := range evs {
		n, _ := strconv.Atoi(e.Field("serial"))
		got[n] = true
		maxSerial = max(maxSerial, n)
	}
	dropped := 0
	for _, m := range regexp.MustCompile(`discarding event (\d+)`).FindAllStringSubmatch(d.Log(), -1) {
		n, _ := strconv.Atoi(m[1])
		got[n] = true
		dropped++
	}
	lost := 0
	for i := 0; i <= maxSerial; i++ {
		if !got[i] {
			lost++
		}
	}
	if lost > 0 {
		t.Errorf("%d of %d events neither delivered nor discarded by the overflow rule", lost, maxSerial+1)
	}
	t.Logf("%s: %d events delivered (the last %v after the flapping ended), %d discarded by overflow",
		d.Name, len(evs), time.Since(drain).Round(time.Millisecond), dropped)
}
