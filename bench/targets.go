package bench

import (
	"fmt"
	"io"
	"text/tabwriter"
)

// The targets super holds itself to, each judged from the figures of the
// same run: mostly ratios (5,000 programs against 1,000, p99 against
// p50, super against the fork/exec floor or a Go hello world measured
// beside it), so a slower or busier machine moves both sides alike.

// TargetResult is one target as a run met it.
type TargetResult struct {
	Name   string  `json:"name"`
	Want   string  `json:"want"`             // e.g. "≤ 5.5×"
	Value  float64 `json:"value,omitempty"`  // the figure judged
	Figure string  `json:"figure"`           // Value as printed, or why there is none
	Met    *bool   `json:"met,omitempty"`    // nil: not measured in this run
	Source string  `json:"source,omitempty"` // the rows it comes from
}

// target is one line of the list: a figure computed from the results and
// the bound it must stay within.
type target struct {
	name   string
	limit  float64
	atMost bool   // true: figure ≤ limit; false: figure ≥ limit
	unit   string // "×", "MiB", "%"
	figure func(t *targetTable) (v float64, source string, err error)
}

// targetTable looks rows up by case and metric.
type targetTable struct{ rows map[[2]string]*Result }

func (t *targetTable) ours(c, m string) (float64, error) {
	res := t.rows[[2]string{c, m}]
	if res == nil {
		return 0, fmt.Errorf("no %s %q in this run", c, m)
	}
	if !res.Ours.ok() {
		if res.Ours != nil {
			return 0, fmt.Errorf("%s %s: %s", c, m, res.Ours.Err)
		}
		return 0, fmt.Errorf("%s %s: not measured", c, m)
	}
	return res.Ours.Value, nil
}

func (t *targetTable) ref(c, m string) (float64, error) {
	res := t.rows[[2]string{c, m}]
	if res == nil || !res.Ref.ok() || res.Ref.Value == 0 {
		return 0, fmt.Errorf("no reference for %s %q in this run", c, m)
	}
	return res.Ref.Value, nil
}

// quotient is a/b of two of super's figures.
func quotient(ca, ma, cb, mb string) func(*targetTable) (float64, string, error) {
	return func(t *targetTable) (float64, string, error) {
		a, err := t.ours(ca, ma)
		if err != nil {
			return 0, "", err
		}
		b, err := t.ours(cb, mb)
		if err != nil {
			return 0, "", err
		}
		if b == 0 {
			return 0, "", fmt.Errorf("%s %s is 0", cb, mb)
		}
		return a / b, fmt.Sprintf("%s / %s", fmtVal(a, ""), fmtVal(b, "")), nil
	}
}

// overRef is super's figure over the row's reference (floor, hello).
func overRef(c, m string) func(*targetTable) (float64, string, error) {
	return func(t *targetTable) (float64, string, error) {
		a, err := t.ours(c, m)
		if err != nil {
			return 0, "", err
		}
		b, err := t.ref(c, m)
		if err != nil {
			return 0, "", err
		}
		return a / b, fmt.Sprintf("%s / %s", fmtVal(a, ""), fmtVal(b, "")), nil
	}
}

func plain(c, m string) func(*targetTable) (float64, string, error) {
	return func(t *targetTable) (float64, string, error) {
		v, err := t.ours(c, m)
		return v, "", err
	}
}

// targetsFor lists the targets for a run of mode: the scale family's
// linearity between its smallest and biggest size, the tail of
// getAllProcessInfo, and the earlier targets at their sizes.
func targetsFor(mode string) []target {
	sc := scaleFor(mode)
	var ts []target
	if n := len(sc.scaleNs); n > 1 {
		small := fmt.Sprintf("scale_%d", sc.scaleNs[0])
		big := fmt.Sprintf("scale_%d", sc.scaleNs[n-1])
		growth := float64(sc.scaleNs[n-1]) / float64(sc.scaleNs[0]) * 1.1 // 5.5 for 5,000 against 1,000
		for _, m := range []string{"start→all RUNNING", "startAllProcesses→all RUNNING"} {
			ts = append(ts,
				target{name: big + " / " + small + ": " + m, limit: growth, atMost: true, unit: "×", figure: quotient(big, m, small, m)},
				target{name: big + ": " + m + " / floor", limit: 1.3, atMost: true, unit: "×", figure: overRef(big, m)})
		}
		for _, m := range []string{"stopAllProcesses→all STOPPED", "supervisorctl restart all", "getAllProcessInfo p50",
			"supervisorctl status", "reread+update, 1 changed", "SIGHUP→all RUNNING again", "GET /metrics p50"} {
			ts = append(ts, target{name: big + " / " + small + ": " + m, limit: growth, atMost: true, unit: "×", figure: quotient(big, m, small, m)})
		}
		ts = append(ts, target{name: big + ": rss", limit: 32, atMost: true, unit: "MiB", figure: plain(big, "rss")})
	}
	tail := []string{fmt.Sprintf("rpc_unix_%d", sc.mid)}
	if len(sc.scaleNs) > 1 {
		tail = append(tail, fmt.Sprintf("scale_%d", sc.scaleNs[0]))
	}
	for _, c := range tail {
		for _, who := range []string{"", fmt.Sprintf(" %d clients", sc.clients)} {
			m := "getAllProcessInfo" + who
			ts = append(ts, target{name: c + ": " + m + " p99 / p50", limit: 2, atMost: true, unit: "×", figure: quotient(c, m+" p99", c, m+" p50")})
		}
	}
	spawnMax := sc.spawnNs[len(sc.spawnNs)-1]
	ts = append(ts,
		target{name: fmt.Sprintf("spawn_%d: start→all RUNNING / floor", spawnMax), limit: 1.25, atMost: true, unit: "×",
			figure: overRef(fmt.Sprintf("spawn_%d", spawnMax), "start→all RUNNING")},
		target{name: fmt.Sprintf("memory_%d: rss", sc.mid), limit: 12, atMost: true, unit: "MiB", figure: plain(fmt.Sprintf("memory_%d", sc.mid), "rss")},
		target{name: fmt.Sprintf("idle_cpu_%d", sc.mid), limit: 0.05, atMost: true, unit: "% core",
			figure: plain(fmt.Sprintf("idle_cpu_%d", sc.mid), fmt.Sprintf("cpu over %v", sc.cpuWindow))},
		target{name: fmt.Sprintf("ctl_status_%d: supervisorctl status / Go hello world", sc.mid), limit: 2, atMost: true, unit: "×",
			figure: overRef(fmt.Sprintf("ctl_status_%d", sc.mid), "wall median")},
	)
	churnCase := fmt.Sprintf("churn_%d", sc.churnProgs)
	ts = append(ts, target{name: churnCase + ": rss growth", limit: 1, atMost: true, unit: "MiB", figure: plain(churnCase, "rss growth")})
	logCase := fmt.Sprintf("log_%dMB", sc.logBytes/1_000_000)
	ts = append(ts,
		target{name: logCase + ": share of direct", limit: 90, atMost: false, unit: "%", figure: plain(logCase, "share of direct")},
		target{name: logCase + ": bytes lost", limit: 0, atMost: true, unit: "B", figure: plain(logCase, "bytes lost")},
	)
	return ts
}

// Targets judges the report's figures against the targets of its mode.
func (r *Report) Targets() []TargetResult {
	t := &targetTable{rows: map[[2]string]*Result{}}
	for _, res := range r.Results {
		t.rows[[2]string{res.Case, res.Metric}] = res
	}
	var out []TargetResult
	for _, tg := range targetsFor(r.Mode) {
		cmp := "≤"
		if !tg.atMost {
			cmp = "≥"
		}
		tr := TargetResult{Name: tg.name, Want: cmp + " " + withUnit(tg.limit, tg.unit, "%g")}
		v, source, err := tg.figure(t)
		if err != nil {
			tr.Figure = "not measured: " + err.Error()
		} else {
			met := v <= tg.limit
			if !tg.atMost {
				met = v >= tg.limit
			}
			tr.Value, tr.Figure, tr.Met, tr.Source = v, withUnit(v, tg.unit, ""), &met, source
		}
		out = append(out, tr)
	}
	return out
}

// withUnit prints v (with format, or as the table does) and its unit.
func withUnit(v float64, unit, format string) string {
	s := fmtVal(v, unit)
	if format != "" {
		s = fmt.Sprintf(format, v)
	}
	if unit == "×" || unit == "%" {
		return s + unit
	}
	return s + " " + unit
}

// writeTargets prints the targets after the table.
func writeTargets(w io.Writer, ts []TargetResult) {
	if len(ts) == 0 {
		return
	}
	fmt.Fprintln(w, "\ntargets (super's figures in this run):")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "target\tfigure\twant\t\tfrom\t")
	met := 0
	for _, t := range ts {
		verdict := "-"
		if t.Met != nil {
			verdict = "MISSED"
			if *t.Met {
				verdict, met = "met", met+1
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t\n", t.Name, t.Figure, t.Want, verdict, t.Source)
	}
	tw.Flush()
	fmt.Fprintf(w, "%d of %d targets met\n", met, len(ts))
}
