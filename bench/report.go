package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"strings"
	"text/tabwriter"
)

// Measure is one implementation's figure for one metric.
type Measure struct {
	Value   float64            `json:"value"`
	Samples []float64          `json:"samples,omitempty"`
	Extra   map[string]float64 `json:"extra,omitempty"`
	// Err is set instead of Value when the measurement failed or was
	// skipped ("failed: …", "skipped: …").
	Err string `json:"error,omitempty"`
}

func (m *Measure) ok() bool { return m != nil && m.Err == "" }

// Result is one row of the table.
type Result struct {
	Case   string `json:"case"`   // e.g. "spawn_500"
	Metric string `json:"metric"` // e.g. "wall"
	Unit   string `json:"unit"`
	// LowerIsBetter tells how to read the ratio.
	LowerIsBetter bool     `json:"lower_is_better"`
	Ours          *Measure `json:"ours,omitempty"`
	Oracle        *Measure `json:"oracle,omitempty"`
	// Ref is a reference measured without any supervisor: the fork/exec
	// floor for spawn, the direct write for log.
	Ref     *Measure `json:"ref,omitempty"`
	RefName string   `json:"ref_name,omitempty"`
}

// Host describes the machine.
type Host struct {
	CPUs   int     `json:"cpus"`
	MemMiB float64 `json:"mem_mib"`
	Model  string  `json:"cpu_model,omitempty"`
	Kernel string  `json:"kernel,omitempty"`
	GoOS   string  `json:"goos"`
}

// Report is everything one run measured.
type Report struct {
	Date    string  `json:"date"`
	Mode    string  `json:"mode"`
	Host    Host    `json:"host"`
	Ours    string  `json:"ours"`
	Oracle  string  `json:"oracle"`
	Seconds float64 `json:"seconds"`
	// Load is /proc/loadavg's 1-minute figure at the start and the end:
	// other work on the machine skews every figure.
	Load     [2]float64 `json:"loadavg_1m"`
	Results  []*Result  `json:"results"`
	Problems []string   `json:"problems,omitempty"`
}

func hostInfo() Host {
	h := Host{CPUs: runtime.NumCPU(), GoOS: runtime.GOOS + "/" + runtime.GOARCH}
	if k, err := statusLike("/proc/meminfo", "MemTotal"); err == nil {
		h.MemMiB = math.Round(k / 1024)
	}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(l, "model name") {
				if i := strings.IndexByte(l, ':'); i >= 0 {
					h.Model = strings.TrimSpace(l[i+1:])
				}
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		h.Kernel = strings.TrimSpace(string(b))
	}
	return h
}

func statusLike(path, field string) (float64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, field+":") {
			var v float64
			_, err := fmt.Sscan(strings.TrimSpace(l[len(field)+1:]), &v)
			return v, err
		}
	}
	return 0, fmt.Errorf("no %s in %s", field, path)
}

// WriteJSON writes the report as indented JSON to path.
func (r *Report) WriteJSON(path string) error {
	b, err := json.MarshalIndent(struct {
		*Report
		Targets []TargetResult `json:"targets"`
	}{r, r.Targets()}, "", " ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// ReadReport reads a report WriteJSON wrote (its targets are judged
// again from the figures when it is printed).
func ReadReport(path string) (*Report, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	r := new(Report)
	if err := json.Unmarshal(b, r); err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	return r, nil
}

func fmtVal(v float64, unit string) string {
	switch {
	case v == 0:
		return "0"
	case math.Abs(v) >= 1000:
		return fmt.Sprintf("%.0f", v)
	case math.Abs(v) >= 100:
		return fmt.Sprintf("%.1f", v)
	case math.Abs(v) >= 10:
		return fmt.Sprintf("%.2f", v)
	case math.Abs(v) >= 0.01:
		return fmt.Sprintf("%.3f", v)
	default:
		return fmt.Sprintf("%.2g", v)
	}
}

func cell(m *Measure, unit string) string {
	if m == nil {
		return "-"
	}
	if m.Err != "" {
		s := m.Err
		if len(s) > 60 {
			s = s[:57] + "..."
		}
		return s
	}
	return fmtVal(m.Value, unit)
}

// WriteTable prints the human table: both implementations, ours/oracle,
// and "better", how many times better ours is (>1: ours wins).
func (r *Report) WriteTable(w io.Writer) {
	fmt.Fprintf(w, "super bench — %s, mode %s, %d CPUs, %.0f MiB RAM, %s, kernel %s\n", r.Date, r.Mode, r.Host.CPUs, r.Host.MemMiB, r.Host.Model, r.Host.Kernel)
	fmt.Fprintf(w, "ours: %s\noracle: %s\n\n", r.Ours, r.Oracle)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "case\tmetric\tunit\tours\toracle\tours/oracle\tbetter×\treference\t")
	for _, res := range r.Results {
		ratio, better := "-", "-"
		if res.Ours.ok() && res.Oracle.ok() && res.Oracle.Value != 0 && res.Ours.Value != 0 {
			q := res.Ours.Value / res.Oracle.Value
			ratio = fmt.Sprintf("%.3g", q)
			if res.LowerIsBetter {
				better = fmt.Sprintf("%.3g", 1/q)
			} else {
				better = fmt.Sprintf("%.3g", q)
			}
		}
		ref := ""
		if res.Ref != nil {
			ref = res.RefName + "=" + cell(res.Ref, res.Unit)
			// The log rows compare each run with the direct write made right
			// before it ("share of direct"); a ratio to the median here would
			// be a second, different figure.
			if res.Ref.ok() && res.Ref.Value != 0 && (res.RefName == "floor" || res.RefName == "hello") {
				if res.Ours.ok() {
					ref += fmt.Sprintf(" ours/ref=%.3g", res.Ours.Value/res.Ref.Value)
				}
				if res.Oracle.ok() {
					ref += fmt.Sprintf(" oracle/ref=%.3g", res.Oracle.Value/res.Ref.Value)
				}
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", res.Case, res.Metric, res.Unit,
			cell(res.Ours, res.Unit), cell(res.Oracle, res.Unit), ratio, better, ref)
	}
	tw.Flush()
	writeTargets(w, r.Targets())
	if len(r.Problems) > 0 {
		fmt.Fprintln(w, "\nproblems:")
		for _, p := range r.Problems {
			fmt.Fprintln(w, "  "+p)
		}
	}
	fmt.Fprintf(w, "\ntotal %.0f s, load average %.2f at start, %.2f at end\n", r.Seconds, r.Load[0], r.Load[1])
}

func loadAvg() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	var v float64
	fmt.Sscan(string(b), &v)
	return v
}
