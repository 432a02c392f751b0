package web

import (
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"super/core/process"
	"super/core/supervisor"
)

// parseMetrics parses an exposition with Prometheus' own text parser.
func parseMetrics(t *testing.T, text string) map[string]*dto.MetricFamily {
	t.Helper()
	p := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(text))
	if err != nil {
		t.Fatalf("the Prometheus parser rejects /metrics: %v\n%s", err, text)
	}
	return fams
}

// sample is the value of family name for the process {group,name}; ok is
// false when there is no such sample.
func sample(fams map[string]*dto.MetricFamily, name, group, proc string) (float64, bool) {
	f := fams[name]
	if f == nil {
		return 0, false
	}
	for _, m := range f.GetMetric() {
		labels := map[string]string{}
		for _, l := range m.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		if labels["group"] != group || labels["name"] != proc || len(labels) != 2 {
			continue
		}
		if g := m.GetGauge(); g != nil {
			return g.GetValue(), true
		}
		return m.GetCounter().GetValue(), true
	}
	return 0, false
}

func TestMetricsParseAndValues(t *testing.T) {
	f := newFake(t)
	started := time.Now().Add(-90 * time.Second)
	web := f.add(t, "web", "web", process.Running, "")
	web.start, web.starts, web.exits, web.lastExit, web.health = started, 3, 2, 137, supervisor.HealthHealthy
	// Label values needing every escape the format has, and more.
	odd := f.add(t, `g"q\b`, "n\nl", process.Backoff, "")
	odd.starts, odd.exits, odd.lastExit, odd.health = 1, 1, 3, supervisor.HealthUnhealthy
	f.add(t, "idle", "idle", process.Stopped, "")
	// A verdict kept from before the process stopped.
	gone := f.add(t, "gone", "gone", process.Exited, "")
	gone.start, gone.starts, gone.exits, gone.health = started, 1, 1, supervisor.HealthHealthy
	w := do(t, New(f), "GET", "/metrics", "")
	if w.Code != 200 {
		t.Fatalf("status %d", w.Code)
	}
	if ct := w.Header().Get("Content-Type"); ct != "text/plain; version=0.0.4; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
	text := w.Body.String()
	fams := parseMetrics(t, text)

	if f := fams["super_up"]; f == nil || f.GetType() != dto.MetricType_GAUGE || f.GetMetric()[0].GetGauge().GetValue() != 1 {
		t.Errorf("super_up: %v", f)
	}
	types := map[string]dto.MetricType{
		"super_process_up": dto.MetricType_GAUGE, "super_process_state": dto.MetricType_GAUGE,
		"super_process_start_time_seconds": dto.MetricType_GAUGE, "super_process_uptime_seconds": dto.MetricType_GAUGE,
		"super_process_starts_total": dto.MetricType_COUNTER, "super_process_restarts_total": dto.MetricType_COUNTER,
		"super_process_exits_total": dto.MetricType_COUNTER, "super_process_last_exit_status": dto.MetricType_GAUGE,
		"super_process_healthy": dto.MetricType_GAUGE,
	}
	for name, typ := range types {
		fam := fams[name]
		if fam == nil {
			t.Errorf("no family %s", name)
			continue
		}
		if fam.GetType() != typ || fam.GetHelp() == "" {
			t.Errorf("%s: type %v help %q, want %v with a help text", name, fam.GetType(), fam.GetHelp(), typ)
		}
		want := 4
		if name == "super_process_healthy" {
			want = 3 // only the processes with a healthcheck
		}
		if n := len(fam.GetMetric()); n != want {
			t.Errorf("%s has %d samples, want %d", name, n, want)
		}
	}
	for _, c := range []struct {
		family, group, name string
		want                float64
	}{
		{"super_process_up", "web", "web", 1},
		{"super_process_up", `g"q\b`, "n\nl", 0},
		{"super_process_up", "idle", "idle", 0},
		{"super_process_state", "web", "web", 20},
		{"super_process_state", `g"q\b`, "n\nl", 30},
		{"super_process_state", "idle", "idle", 0},
		{"super_process_start_time_seconds", "web", "web", float64(started.Unix())},
		{"super_process_start_time_seconds", "idle", "idle", 0},
		{"super_process_starts_total", "web", "web", 3},
		{"super_process_restarts_total", "web", "web", 2},
		{"super_process_restarts_total", `g"q\b`, "n\nl", 0},
		{"super_process_restarts_total", "idle", "idle", 0},
		{"super_process_exits_total", "web", "web", 2},
		{"super_process_last_exit_status", "web", "web", 137},
		{"super_process_last_exit_status", `g"q\b`, "n\nl", 3},
		{"super_process_healthy", "web", "web", 1},
		{"super_process_healthy", `g"q\b`, "n\nl", 0},
		{"super_process_healthy", "gone", "gone", 0},
		{"super_process_up", "gone", "gone", 0},
		{"super_process_uptime_seconds", "gone", "gone", 0},
		{"super_process_uptime_seconds", `g"q\b`, "n\nl", 0},
		{"super_process_uptime_seconds", "idle", "idle", 0},
	} {
		got, ok := sample(fams, c.family, c.group, c.name)
		if !ok || got != c.want {
			t.Errorf("%s{group=%q,name=%q} = %v (present %v), want %v", c.family, c.group, c.name, got, ok, c.want)
		}
	}
	if _, ok := sample(fams, "super_process_healthy", "idle", "idle"); ok {
		t.Error("super_process_healthy for a process without a healthcheck")
	}
	if up, _ := sample(fams, "super_process_uptime_seconds", "web", "web"); up < 89 || up > 120 {
		t.Errorf("web's uptime %v, want about 90", up)
	}
	// One family per metric: each # TYPE line once, its samples together.
	seen := map[string]bool{}
	last := ""
	for _, line := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
		if strings.HasPrefix(line, "#") {
			continue
		}
		name := regexp.MustCompile(`^[a-z_]+`).FindString(line)
		if name != last {
			if seen[name] {
				t.Errorf("samples of %s are not together", name)
			}
			seen[name], last = true, name
		}
	}
	// HEAD has the headers only.
	if w := do(t, New(f), "HEAD", "/metrics", ""); w.Code != 200 || w.Body.Len() != 0 {
		t.Errorf("HEAD /metrics: %d, %q", w.Code, w.Body.String())
	}
	if w := do(t, New(f), "POST", "/metrics", "x=1"); w.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST /metrics: %d", w.Code)
	}
}

// Without processes, and once supervisord is shutting down, /metrics
// still parses; super_up says which.
func TestMetricsEmptyAndDown(t *testing.T) {
	f := newFake(t)
	fams := parseMetrics(t, do(t, New(f), "GET", "/metrics", "").Body.String())
	if len(fams) != 1 || fams["super_up"].GetMetric()[0].GetGauge().GetValue() != 1 {
		t.Errorf("no processes: %v", fams)
	}
	f.add(t, "a", "a", process.Running, "")
	f.down = true
	fams = parseMetrics(t, do(t, New(f), "GET", "/metrics", "").Body.String())
	if len(fams) != 1 || fams["super_up"].GetMetric()[0].GetGauge().GetValue() != 0 {
		t.Errorf("shutting down: %v", fams)
	}
}

func TestAppendLabelValue(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"plain", "plain"}, {`a"b`, `a\"b`}, {`a\b`, `a\\b`}, {"a\nb", `a\nb`}, {"\\\"\n", `\\\"\n`},
		{"ü", "ü"}, {"a\xffb", "a\uFFFDb"}, {"", ""},
	} {
		if got := string(appendLabelValue(nil, c.in)); got != c.want {
			t.Errorf("appendLabelValue(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// Any process name and group survive the exposition: the parser gives
// back exactly the (valid UTF-8) label values.
func FuzzMetricsLabels(f *testing.F) {
	for _, s := range []string{"web", `a"b`, "a\\b", "x\ny", "ü", "\xff", "{}=,"} {
		f.Add(s, "n")
	}
	f.Fuzz(func(t *testing.T, group, name string) {
		all := []supervisor.ProcessStats{{Group: group, Name: name, State: process.Running, Starts: 1,
			Health: supervisor.HealthStarting}}
		text := string(appendMetrics(nil, all, true, time.Now()))
		p := expfmt.NewTextParser(model.LegacyValidation)
		fams, err := p.TextToMetricFamilies(strings.NewReader(text))
		if err != nil {
			t.Fatalf("unparsable for %q/%q: %v\n%s", group, name, err, text)
		}
		wantG, wantN := strings.ToValidUTF8(group, "\uFFFD"), strings.ToValidUTF8(name, "\uFFFD")
		if v, ok := sample(fams, "super_process_starts_total", wantG, wantN); !ok || v != 1 {
			t.Fatalf("starts_total for %q/%q: %v %v\n%s", group, name, v, ok, text)
		}
	})
}

func TestHealthz(t *testing.T) {
	f := newFake(t)
	f.add(t, "a", "a", process.Fatal, "") // a failed process does not make the daemon unhealthy
	w := do(t, New(f), "GET", "/healthz", "")
	if w.Code != 200 || w.Body.String() != "ok\n" {
		t.Errorf("healthz: %d %q", w.Code, w.Body.String())
	}
	f.down = true
	if w := do(t, New(f), "GET", "/healthz", ""); w.Code != 503 {
		t.Errorf("healthz while shutting down: %d %q", w.Code, w.Body.String())
	}
}

func TestReadyz(t *testing.T) {
	type proc struct {
		state     process.State
		health    supervisor.Health
		started   bool
		autostart bool
	}
	for _, c := range []struct {
		name     string
		procs    []proc
		notReady int
	}{
		{"nothing", nil, 0},
		{"running", []proc{{state: process.Running, started: true}}, 0},
		{"healthy", []proc{{state: process.Running, health: supervisor.HealthHealthy, started: true}}, 0},
		{"health starting", []proc{{state: process.Running, health: supervisor.HealthStarting, started: true}}, 1},
		{"unhealthy", []proc{{state: process.Running, health: supervisor.HealthUnhealthy, started: true}}, 1},
		{"starting", []proc{{state: process.Starting, started: true}, {state: process.Running, started: true}}, 1},
		{"backoff fatal unknown stopping", []proc{{state: process.Backoff}, {state: process.Fatal}, {state: process.Unknown}, {state: process.Stopping}}, 4},
		{"exited", []proc{{state: process.Exited, started: true}}, 0},
		{"stopped by hand", []proc{{state: process.Stopped, started: true, autostart: true}}, 0},
		{"not autostarted", []proc{{state: process.Stopped}}, 0},
		{"autostart pending", []proc{{state: process.Stopped, autostart: true}, {state: process.Running, started: true}}, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newFake(t)
			for i, p := range c.procs {
				fp := f.add(t, "g", string(rune('a'+i)), p.state, "")
				fp.health, fp.autostart = p.health, p.autostart
				if p.started {
					fp.start = time.Now()
				}
			}
			w := do(t, New(f), "GET", "/readyz", "")
			if c.notReady == 0 {
				if w.Code != 200 || w.Body.String() != "ready\n" {
					t.Errorf("readyz: %d %q, want 200 ready", w.Code, w.Body.String())
				}
				return
			}
			want := "not ready: " + string(rune('0'+c.notReady)) + " of " + string(rune('0'+len(c.procs))) + " processes\n"
			if w.Code != 503 || w.Body.String() != want {
				t.Errorf("readyz: %d %q, want 503 %q", w.Code, w.Body.String(), want)
			}
		})
	}
	f := newFake(t)
	f.down = true
	if w := do(t, New(f), "GET", "/readyz", ""); w.Code != 503 {
		t.Errorf("readyz while shutting down: %d", w.Code)
	}
}

// The Health column is there only when some process has a healthcheck, and
// then every row has its cell: empty for a process without one, and, as in
// supervisorctl status, for one that is not RUNNING (its last verdict is
// stale).
func TestStatusPageHealthColumn(t *testing.T) {
	f, h := setup(t)
	// The rendered table, not the script (which builds its own).
	table := func(page string) string {
		page, _, _ = strings.Cut(page, "<script>")
		return page
	}
	body := table(do(t, h, "GET", "/", "").Body.String())
	if strings.Contains(body, "Health") || strings.Contains(body, `class="health"`) {
		t.Errorf("a Health column without any healthcheck:\n%s", body)
	}
	f.procs[1].health = supervisor.HealthHealthy // a
	f.procs[2].health = supervisor.HealthHealthy // grp:g1, FATAL
	f.procs[3].health = supervisor.HealthUnhealthy
	f.procs[3].state = process.Running // z
	body = table(do(t, h, "GET", "/", "").Body.String())
	if !strings.Contains(body, `<th class="health">Health</th>`) {
		t.Fatalf("no Health header:\n%s", body)
	}
	rows := regexp.MustCompile(`(?s)<tr data-name="([^"]*)">.*?<td class="health">(.*?)</td>.*?</tr>`).FindAllStringSubmatch(body, -1)
	var got []string
	for _, r := range rows {
		got = append(got, r[1]+"="+r[2])
	}
	want := []string{
		"&lt;b&gt;x&lt;/b&gt;=",
		`a=<span class="statusrunning">healthy</span>`,
		"grp:g1=",
		`z=<span class="statuserror">unhealthy</span>`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("health cells:\n got %q\nwant %q", got, want)
	}
	// The state column is still the first cell of each row.
	if !regexp.MustCompile(`<tr data-name="a">\s*<td class="status">`).MatchString(body) {
		t.Errorf("row layout changed:\n%s", body)
	}
}
