package health

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"super/core/config"
)

func TestVerdict(t *testing.T) {
	pass := Result{OK: true}
	failed := func(out string) Result { return Result{Output: out} }
	type step struct {
		r          Result
		sinceSpawn time.Duration
		reset      bool // a new spawn before this step (r ignored)

		want    Status
		fails   int
		output  string
		changed bool
	}
	for _, tc := range []struct {
		name        string
		retries     int
		startPeriod time.Duration
		steps       []step
	}{
		{"a pass is healthy at once", 3, 0, []step{
			{r: pass, want: Healthy, changed: true},
			{r: pass, want: Healthy},
		}},
		{"retries failures in a row make it unhealthy", 3, 0, []step{
			{r: failed("a"), want: Starting, fails: 1, output: "a"},
			{r: failed("b"), want: Starting, fails: 2, output: "b"},
			{r: failed("c"), want: Unhealthy, fails: 3, output: "c", changed: true},
			{r: failed("d"), want: Unhealthy, fails: 4, output: "d"},
			{r: pass, want: Healthy, changed: true},
		}},
		{"healthy stays healthy until retries failures", 2, 0, []step{
			{r: pass, want: Healthy, changed: true},
			{r: failed("x"), want: Healthy, fails: 1, output: "x"},
			{r: pass, want: Healthy},
			{r: failed("y"), want: Healthy, fails: 1, output: "y"},
			{r: failed("z"), want: Unhealthy, fails: 2, output: "z", changed: true},
		}},
		{"retries=1: one failure is enough", 1, 0, []step{
			{r: failed("down"), want: Unhealthy, fails: 1, output: "down", changed: true},
		}},
		{"retries below 1 count as 1", 0, 0, []step{
			{r: failed("down"), want: Unhealthy, fails: 1, output: "down", changed: true},
		}},
		{"failures within the start period do not count", 1, time.Second, []step{
			{r: failed("early"), sinceSpawn: 0, want: Starting, fails: 0, output: "early"},
			{r: failed("early"), sinceSpawn: 999 * time.Millisecond, want: Starting, fails: 0, output: "early"},
			{r: failed("late"), sinceSpawn: time.Second, want: Unhealthy, fails: 1, output: "late", changed: true},
		}},
		{"a pass within the start period is healthy", 3, time.Minute, []step{
			{r: pass, sinceSpawn: time.Second, want: Healthy, changed: true},
		}},
		{"a spawn starts over", 2, 0, []step{
			{r: failed("a"), want: Starting, fails: 1, output: "a"},
			{r: failed("b"), want: Unhealthy, fails: 2, output: "b", changed: true},
			{reset: true, want: Starting},
			{r: failed("c"), want: Starting, fails: 1, output: "c"},
			{r: pass, want: Healthy, changed: true},
			{reset: true, want: Starting},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := NewVerdict(&config.HealthCheck{Retries: tc.retries, StartPeriod: tc.startPeriod})
			if v.Status != Starting {
				t.Fatalf("a new verdict is %s", v.Status)
			}
			for i, s := range tc.steps {
				changed := false
				if s.reset {
					v.Reset()
				} else {
					changed = v.Record(s.r, s.sinceSpawn)
				}
				if v.Status != s.want || v.Failures != s.fails || v.Output != s.output || changed != s.changed {
					t.Fatalf("step %d: got %s fails=%d output=%q changed=%v, want %s fails=%d output=%q changed=%v",
						i, v.Status, v.Failures, v.Output, changed, s.want, s.fails, s.output, s.changed)
				}
			}
		})
	}
}

func TestStatusString(t *testing.T) {
	for s, want := range map[Status]string{Starting: "starting", Healthy: "healthy", Unhealthy: "unhealthy"} {
		if s.String() != want {
			t.Errorf("%d: %q, want %q", s, s.String(), want)
		}
	}
}

func TestClip(t *testing.T) {
	long := strings.Repeat("é", MaxOutput) // 2 bytes each
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"  ok \n", "ok"},
		{"line1\nline2\n", "line1\nline2"},
		{strings.Repeat("x", MaxOutput+10), strings.Repeat("x", MaxOutput)},
		{long, strings.Repeat("é", MaxOutput/2)},
		{"x" + long, "x" + strings.Repeat("é", (MaxOutput-1)/2)},
		{"bad \xff byte", "bad \uFFFD byte"},
	} {
		got := clip(tc.in)
		if got != tc.want {
			t.Errorf("clip(%.20q…) = %.40q…, want %.40q…", tc.in, got, tc.want)
		}
		if len(got) > MaxOutput+2 || !utf8.ValidString(got) {
			t.Errorf("clip(%.20q…): %d bytes, valid %v", tc.in, len(got), utf8.ValidString(got))
		}
	}
}
