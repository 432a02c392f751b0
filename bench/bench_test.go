package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"super/core/testbin"
	"super/core/xmlrpc"
)

func TestMain(m *testing.M) {
	status := m.Run()
	testbin.Cleanup()
	os.Exit(status)
}

// TestQuickRun runs a short side-by-side run and checks that it yields a
// row for every selected case with a figure or a stated reason for each
// implementation, writes valid JSON, and leaves no process behind.
func TestQuickRun(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real daemons")
	}
	ours := OursImpl(testbin.Dir(t))
	oracle := OracleImpl()
	if oracle.Unavailable != "" {
		t.Logf("oracle: %s (its rows will say so)", oracle.Unavailable)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	rep, err := Run(ctx, Options{
		Mode:   "quick",
		Cases:  []string{"spawn", "rpc", "ctl", "log", "scale"},
		Ours:   ours,
		Oracle: oracle,
		// About 45 s on two cores under load 20; a budget that runs out
		// fails the test (a row without a figure).
		Budget: 2 * time.Minute,
	})
	if err != nil {
		t.Fatal(err)
	}
	if left := descendants(os.Getpid()); len(left) > 0 {
		t.Errorf("processes left after Run: %v", left)
	}
	families := map[string]bool{}
	for _, res := range rep.Results {
		families[strings.SplitN(res.Case, "_", 2)[0]] = true
		for name, m := range map[string]*Measure{"ours": res.Ours, "oracle": res.Oracle} {
			if m == nil {
				t.Errorf("%s %s: no figure and no reason for %s", res.Case, res.Metric, name)
			}
		}
		// "n/a:" is a figure 4.2 has no counterpart for (/metrics).
		if oracle.Unavailable == "" && !res.Oracle.ok() && !strings.HasPrefix(res.Oracle.Err, "n/a:") {
			t.Errorf("%s %s: oracle: %s", res.Case, res.Metric, res.Oracle.Err)
		}
		if strings.HasPrefix(res.Case, "spawn_") && !res.Ref.ok() {
			t.Errorf("%s: no fork/exec floor: %+v", res.Case, res.Ref)
		}
	}
	for _, f := range []string{"spawn", "rpc", "ctl", "log", "scale"} {
		if !families[f] {
			t.Errorf("no %s rows", f)
		}
	}
	// Every target whose rows this run made is judged: a renamed row
	// would leave its target unmeasured.
	for _, tg := range rep.Targets() {
		if families[strings.SplitN(tg.Name, "_", 2)[0]] && tg.Met == nil {
			t.Errorf("target %s: %s", tg.Name, tg.Figure)
		}
	}
	path := filepath.Join(t.TempDir(), "bench.json")
	if err := rep.WriteJSON(path); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatalf("JSON does not parse back: %v", err)
	}
	if len(back.Results) != len(rep.Results) {
		t.Errorf("JSON holds %d results, report %d", len(back.Results), len(rep.Results))
	}
	var sb strings.Builder
	rep.WriteTable(&sb)
	t.Log("\n" + sb.String())
}

func TestPercentile(t *testing.T) {
	l := latencies{5, 1, 4, 2, 3}
	for _, c := range []struct{ p, want float64 }{{50, 3}, {99, 5}, {0, 1}, {100, 5}} {
		if got := l.percentile(c.p); got != c.want {
			t.Errorf("p%v = %v, want %v", c.p, got, c.want)
		}
	}
	if got := latencies(nil).percentile(50); got != 0 {
		t.Errorf("empty p50 = %v", got)
	}
}

func TestReadStat(t *testing.T) {
	s, err := readStat(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if s.ppid != os.Getppid() {
		t.Errorf("ppid %d, want %d", s.ppid, os.Getppid())
	}
	if v, err := rssMiB(os.Getpid()); err != nil || v <= 0 {
		t.Errorf("rss %v, %v", v, err)
	}
}

func TestIsFault(t *testing.T) {
	var ok, fault bytes.Buffer
	xmlrpc.EncodeResponse(&ok, []any{map[string]any{"description": strings.Repeat("x", 300) + "<fault>"}})
	xmlrpc.EncodeFault(&fault, &xmlrpc.Fault{Code: 10, String: "BAD_NAME: nope"})
	if isFault(ok.Bytes()) {
		t.Errorf("a successful answer read as a fault:\n%s", ok.Bytes())
	}
	if !isFault(fault.Bytes()) {
		t.Errorf("a fault read as success:\n%s", fault.Bytes())
	}
}

// TestLineCounter checks the spawn gate's count of log lines: only what
// was appended is read, and a marker cut by a read boundary or by the
// writer between two counts is counted once.
func TestLineCounter(t *testing.T) {
	path := filepath.Join(t.TempDir(), "supervisord.log")
	c := &lineCounter{path: path, marker: []byte("spawned: '")}
	defer c.close()
	if n := c.count(); n != 0 {
		t.Fatalf("missing file: %d, want 0", n)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	write := func(s string) {
		if _, err := f.WriteString(s); err != nil {
			t.Fatal(err)
		}
	}
	line := "2026-11-28 01:00:00,000 INFO spawned: 'p0001' with pid 42\n"
	// The first marker ends just past the 64 KiB read buffer.
	pad := 64<<10 - len("2026-11-28 01:00:00,000 INFO spawned")
	write(strings.Repeat("x", pad) + line)
	write("2026-11-28 01:00:00,001 INFO spawn")
	if n := c.count(); n != 1 {
		t.Fatalf("after one line and a half: %d, want 1", n)
	}
	write("ed: 'p0002' with pid 43\n" + strings.Repeat(line, 3) + "INFO success: p0001 entered RUNNING state\n")
	if n := c.count(); n != 5 {
		t.Fatalf("after five lines: %d, want 5", n)
	}
	if n := c.count(); n != 5 {
		t.Fatalf("nothing appended: %d, want 5", n)
	}
}

// Targets are judged from the run's own figures: a ratio within its bound
// is met, one beyond it missed, and a figure the run lacks (failed, not
// selected) is reported as not measured rather than met.
func TestTargets(t *testing.T) {
	m := func(v float64) *Measure { return &Measure{Value: v} }
	rep := &Report{Mode: "full", Results: []*Result{
		{Case: "scale_1000", Metric: "stopAllProcesses→all STOPPED", Ours: m(0.1)},
		{Case: "scale_5000", Metric: "stopAllProcesses→all STOPPED", Ours: m(0.5)},
		{Case: "scale_1000", Metric: "reread+update, 1 changed", Ours: m(10)},
		{Case: "scale_5000", Metric: "reread+update, 1 changed", Ours: m(60)},
		{Case: "scale_5000", Metric: "start→all RUNNING", Ours: m(2.6), Ref: m(2), RefName: "floor"},
		{Case: "scale_5000", Metric: "rss", Ours: &Measure{Err: "failed: gone"}},
		{Case: "log_200MB", Metric: "share of direct", Ours: m(89.9)},
		{Case: "ctl_status_100", Metric: "wall median", Ours: m(3), Ref: m(1.5), RefName: "hello"},
	}}
	got := map[string]TargetResult{}
	for _, tg := range rep.Targets() {
		got[tg.Name] = tg
	}
	for name, want := range map[string]string{
		"scale_5000 / scale_1000: stopAllProcesses→all STOPPED": "met",    // 5×
		"scale_5000 / scale_1000: reread+update, 1 changed":     "missed", // 6×
		"scale_5000: start→all RUNNING / floor":                 "met",    // 1.3×
		"scale_5000: rss":            "not measured",
		"log_200MB: share of direct": "missed", // ≥ 90 %
		"ctl_status_100: supervisorctl status / Go hello world": "met", // 2×
		"memory_100: rss": "not measured",
	} {
		tg, ok := got[name]
		verdict := "not measured"
		if tg.Met != nil {
			verdict = map[bool]string{true: "met", false: "missed"}[*tg.Met]
		}
		if !ok || verdict != want {
			t.Errorf("%s: %s (%+v), want %s", name, verdict, tg, want)
		}
	}
	var sb strings.Builder
	rep.WriteTable(&sb)
	if !strings.Contains(sb.String(), "3 of ") {
		t.Errorf("the table does not count 3 targets met:\n%s", sb.String())
	}
}
