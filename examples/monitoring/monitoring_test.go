// Package monitoring_test checks the monitoring kit: the Prometheus config
// and alert rules with Prometheus' own promtool (their syntax, and the
// rules' unit tests), the Grafana dashboard's queries with promtool, and
// that every metric the rules and the dashboard use is one the real
// daemon serves.
package monitoring_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"super/core/testbin"
)

func TestMain(m *testing.M) {
	code := m.Run()
	testbin.Cleanup()
	os.Exit(code)
}

func promtool(t *testing.T, args ...string) string {
	t.Helper()
	tool := testbin.NeedTool(t, "promtool", "prometheus")
	out, err := exec.Command(tool, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// TestPromtool: the scrape config and the rules are valid, and the rules'
// unit tests (alerts_test.yml: each alert fires when it should and not
// before) pass.
func TestPromtool(t *testing.T) {
	t.Parallel()
	if out := promtool(t, "check", "config", "prometheus.yml"); !strings.Contains(out, "SUCCESS") {
		t.Errorf("check config: %s", out)
	}
	if out := promtool(t, "check", "rules", "alerts.yml"); !strings.Contains(out, "SUCCESS: 6 rules found") {
		t.Errorf("check rules: %s", out)
	}
	if out := promtool(t, "test", "rules", "alerts_test.yml"); !strings.Contains(out, "SUCCESS") {
		t.Errorf("test rules: %s", out)
	}
	// Every alert has a unit test.
	rules, _ := os.ReadFile("alerts.yml")
	tests, _ := os.ReadFile("alerts_test.yml")
	for _, m := range regexp.MustCompile(`(?m)^\s+- alert: (\w+)`).FindAllStringSubmatch(string(rules), -1) {
		if !strings.Contains(string(tests), "alertname: "+m[1]+"\n") {
			t.Errorf("alert %s has no unit test in alerts_test.yml", m[1])
		}
	}
}

// dashboardQueries are the dashboard's PromQL expressions (and its
// variables' queries), with Grafana's variables replaced by values
// Prometheus takes.
func dashboardQueries(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile("grafana-dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Panels []struct {
			Title   string
			Targets []struct{ Expr string }
		}
		Templating struct {
			List []struct {
				Name, Type string
				Definition string
			}
		}
	}
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("grafana-dashboard.json: %v", err)
	}
	vars := strings.NewReplacer("$__rate_interval", "1m", "$instance", ".*", "$group", ".*")
	var out []string
	for _, p := range d.Panels {
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		for _, tg := range p.Targets {
			out = append(out, vars.Replace(tg.Expr))
		}
	}
	labelValues := regexp.MustCompile(`^label_values\((.*), \w+\)$`)
	for _, v := range d.Templating.List {
		if v.Type == "query" {
			m := labelValues.FindStringSubmatch(v.Definition)
			if m == nil {
				t.Fatalf("variable %s: %q is not label_values(selector, label)", v.Name, v.Definition)
			}
			out = append(out, vars.Replace(m[1]))
		}
	}
	return out
}

// TestDashboardQueries: every query of the dashboard is valid PromQL (as
// promtool checks recording rules made of them).
func TestDashboardQueries(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	b.WriteString("groups:\n  - name: dashboard\n    rules:\n")
	for i, q := range dashboardQueries(t) {
		fmt.Fprintf(&b, "      - record: dashboard:query%d\n        expr: %s\n", i, strings.TrimSpace(mustJSON(q)))
	}
	f := filepath.Join(t.TempDir(), "dashboard-rules.yml")
	if err := os.WriteFile(f, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	if out := promtool(t, "check", "rules", f); !strings.Contains(out, "SUCCESS") {
		t.Errorf("the dashboard's queries:\n%s\n%s", out, b.String())
	}
}

// mustJSON quotes s as a JSON (and so YAML) string.
func mustJSON(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// TestMetricNamesExist: every super_* metric the rules and the dashboard
// use is served by the real daemon's /metrics, for a config that has each
// kind of program: a healthcheck, a cgroup with memory_max, memory_restart.
// The cgroup needs root (CI runs as root).
func TestMetricNamesExist(t *testing.T) {
	t.Parallel()
	if os.Getuid() != 0 {
		t.Skip("SKIP: needs root for a program's cgroup (super_process_oom_kills_total); CI runs as root")
	}
	used := map[string]bool{}
	name := regexp.MustCompile(`\bsuper_[a-z_]+\b`)
	rules, err := os.ReadFile("alerts.yml")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range name.FindAllString(string(rules), -1) {
		used[m] = true
	}
	for _, q := range dashboardQueries(t) {
		for _, m := range name.FindAllString(q, -1) {
			used[m] = true
		}
	}

	dir := t.TempDir()
	port := testbin.FreePort(t)
	d := testbin.StartConf(t, false, dir, testbin.BaseConf(dir)+fmt.Sprintf(`[inet_http_server]
port=127.0.0.1:%d

[program:checked]
command=sleep 1000
startsecs=0
healthcheck=true
healthcheck_interval=0.2

[program:limited]
command=sleep 1000
startsecs=0
memory_max=256MB
memory_restart=200MB
`, port))
	d.WaitState(t, "limited", "RUNNING", 10*time.Second)
	served := map[string]bool{}
	if err := testbin.Poll(10*time.Second, func() bool {
		resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/metrics", port))
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		for _, line := range strings.Split(string(body), "\n") {
			if f := strings.Fields(line); len(f) >= 3 && f[0] == "#" && f[1] == "TYPE" {
				served[f[2]] = true
			}
		}
		return served["super_process_healthy"] && served["super_process_memory_bytes"]
	}); err != nil {
		t.Fatalf("/metrics lacks the health and memory families: %v\n%s", err, d.Log())
	}
	var missing []string
	for m := range used {
		if !served[m] {
			missing = append(missing, m)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("the kit uses metrics super does not serve: %s\n(the daemon's log:\n%s)", strings.Join(missing, ", "), d.Log())
	}
	if len(used) < 8 {
		t.Errorf("only %d metric names found in the kit: %v", len(used), used)
	}
}
