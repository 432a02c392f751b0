package blackbox

import (
	"context"
	"io"
	"net"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"super/core/testbin"
)

// get fetches path from the daemon's unix socket.
func get(t *testing.T, d *testbin.Daemon, path string) string {
	t.Helper()
	c := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var dl net.Dialer
			return dl.DialContext(ctx, "unix", d.Sock)
		},
	}}
	resp, err := c.Get("http://localhost" + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d\n%s", path, resp.StatusCode, b)
	}
	return string(b)
}

// sample is family's value for process name, and whether there is one.
func sample(fams map[string]*dto.MetricFamily, family, name string) (float64, bool) {
	f := fams[family]
	if f == nil {
		return 0, false
	}
	for _, m := range f.GetMetric() {
		for _, l := range m.GetLabel() {
			if l.GetName() == "name" && l.GetValue() == name {
				if c := m.GetCounter(); c != nil {
					return c.GetValue(), true
				}
				return m.GetGauge().GetValue(), true
			}
		}
	}
	return 0, false
}

// /metrics has every program's CPU and memory and the limits that are
// set (checked with Prometheus' own parser); the status page shows CPU and
// Memory columns once some program has a resource key.
func TestMetricsAndStatusPage(t *testing.T) {
	needCgroup(t, "pids", "cpu")
	t.Parallel()
	dir := t.TempDir()
	d := testbin.StartConf(t, false, dir, conf(t, dir, "")+`
[program:limited]
command=sleep 300
startsecs=0
pids_max=8
cpu_quota=150%
cpu_weight=200
memory_restart=1GB

[program:plain]
command=sleep 300
startsecs=0
`)
	d.WaitState(t, "limited", "RUNNING", 10*time.Second)
	d.WaitState(t, "plain", "RUNNING", 10*time.Second)
	// A program just exec'd has faulted in a few pages of stack at most,
	// and the kernel's resident-set counters that /proc/PID/stat reads are
	// summed from per-CPU batches: right after the exec they read 0 more
	// often than not. Once the program has run (loaded its libraries) it
	// shows, so the scrape is repeated until both have a figure.
	var body string
	var fams map[string]*dto.MetricFamily
	scrape := func() {
		body = get(t, d, "/metrics")
		parser := expfmt.NewTextParser(model.LegacyValidation)
		var err error
		if fams, err = parser.TextToMetricFamilies(strings.NewReader(body)); err != nil {
			t.Fatalf("/metrics does not parse: %v\n%s", err, body)
		}
	}
	testbin.Poll(10*time.Second, func() bool {
		scrape()
		for _, name := range []string{"limited", "plain"} {
			if v, _ := sample(fams, "super_process_memory_bytes", name); v <= 0 {
				return false
			}
		}
		return true
	})
	for _, want := range []struct {
		family, name string
		value        float64
	}{
		{"super_process_pids_max", "limited", 8},
		{"super_process_cpu_quota_cores", "limited", 1.5},
		{"super_process_cpu_weight", "limited", 200},
		{"super_process_memory_restart_bytes", "limited", 1 << 30},
		{"super_process_oom_kills_total", "limited", 0},
	} {
		if v, ok := sample(fams, want.family, want.name); !ok || v != want.value {
			t.Errorf("%s{name=%q} = %v (present %v), want %v", want.family, want.name, v, ok, want.value)
		}
	}
	for _, name := range []string{"limited", "plain"} {
		if v, ok := sample(fams, "super_process_memory_bytes", name); !ok || v <= 0 {
			t.Errorf("super_process_memory_bytes{name=%q} = %v (present %v)", name, v, ok)
		}
		if _, ok := sample(fams, "super_process_cpu_seconds_total", name); !ok {
			t.Errorf("no super_process_cpu_seconds_total for %s", name)
		}
	}
	if _, ok := sample(fams, "super_process_pids_max", "plain"); ok {
		t.Errorf("a limit that is not set has a sample")
	}
	if _, ok := sample(fams, "super_process_oom_kills_total", "plain"); ok {
		t.Errorf("a program without a cgroup has an OOM count")
	}

	page := get(t, d, "/")
	if !strings.Contains(page, `<th class="cpu">CPU</th><th class="memory">Memory</th>`) {
		t.Fatalf("no CPU and Memory columns on the status page:\n%s", page)
	}
	if !regexp.MustCompile(`<td class="cpu">\d+\.\d\d s</td><td class="memory">\d+ [KMG]?B</td>`).MatchString(page) {
		t.Errorf("no CPU and memory figures on the status page:\n%s", page)
	}
}
