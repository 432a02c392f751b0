package e2e

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"super/core/testbin"
)

// metricsDaemon runs super with both servers (inet with basic auth) and:
//
//	web    RUNNING, healthcheck /bin/true
//	flaky  exits 3 on its first run, is restarted, then runs
//	slow   autostart=false, startsecs=3: STARTING for a while when started
type metricsDaemon struct {
	*testbin.Daemon
	base string // http://127.0.0.1:PORT
}

const (
	metricsUser = "admin"
	metricsPass = "pw\"x"
)

func startMetricsDaemon(t *testing.T) *metricsDaemon {
	t.Helper()
	dir := t.TempDir()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	conf := testbin.BaseConf(dir) + fmt.Sprintf(`[inet_http_server]
port=127.0.0.1:%d
username=%s
password=%s

[program:web]
command=/bin/sleep 1000
startsecs=0
healthcheck=/bin/true
healthcheck_interval=0.2

[program:flaky]
command=/bin/sh -c "if [ -e %[4]s ]; then exec /bin/sleep 1000; fi; touch %[4]s; exit 3"
startsecs=0

[program:slow]
command=/bin/sleep 1000
startsecs=3
autostart=false
`, port, metricsUser, metricsPass, filepath.Join(dir, "flaky.ran"))
	d := testbin.StartConf(t, false, dir, conf)
	md := &metricsDaemon{Daemon: d, base: fmt.Sprintf("http://127.0.0.1:%d", port)}
	d.WaitInet(t, port, 10*time.Second)
	return md
}

var httpClient = &http.Client{Timeout: 30 * time.Second}

// unixClient speaks HTTP over the daemon's unix socket.
func unixClient(sock string) *http.Client {
	return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", sock)
		},
	}}
}

func fetch(t *testing.T, c *http.Client, url string, auth bool) (int, string, http.Header) {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if auth {
		req.SetBasicAuth(metricsUser, metricsPass)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b), resp.Header
}

// scrape is one /metrics answer, parsed by Prometheus' own parser.
type scrape map[string]*dto.MetricFamily

func parseScrape(t *testing.T, body string) scrape {
	t.Helper()
	p := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		t.Fatalf("/metrics does not parse: %v\n%s", err, body)
	}
	return fams
}

// get is the value of family for process name (its own group), and
// whether there is such a sample.
func (s scrape) get(family, name string) (float64, bool) {
	f := s[family]
	if f == nil {
		return 0, false
	}
	for _, m := range f.GetMetric() {
		var g, n string
		for _, l := range m.GetLabel() {
			switch l.GetName() {
			case "group":
				g = l.GetValue()
			case "name":
				n = l.GetValue()
			}
		}
		if g == name && n == name {
			if m.GetGauge() != nil {
				return m.GetGauge().GetValue(), true
			}
			return m.GetCounter().GetValue(), true
		}
	}
	return 0, false
}

func (d *metricsDaemon) scrapeInet(t *testing.T) scrape {
	t.Helper()
	code, body, hdr := fetch(t, httpClient, d.base+"/metrics", true)
	if code != 200 || !strings.HasPrefix(hdr.Get("Content-Type"), "text/plain; version=0.0.4") {
		t.Fatalf("/metrics: %d %v\n%s", code, hdr, body)
	}
	return parseScrape(t, body)
}

func TestMetricsOverBothServers(t *testing.T) {
	d := startMetricsDaemon(t)
	d.WaitState(t, "web", "RUNNING", 10*time.Second)
	// flaky: ran, exited 3, was started again and is RUNNING.
	var s scrape
	if err := testbin.Poll(15*time.Second, func() bool {
		s = d.scrapeInet(t)
		starts, _ := s.get("super_process_starts_total", "flaky")
		up, _ := s.get("super_process_up", "flaky")
		return starts >= 2 && up == 1
	}); err != nil {
		t.Fatalf("flaky was not restarted: %v\n%s", err, d.Out)
	}

	// Without credentials: 401 on /metrics, as on every other path.
	if code, _, _ := fetch(t, httpClient, d.base+"/metrics", false); code != 401 {
		t.Errorf("/metrics without credentials: %d, want 401", code)
	}

	if v, ok := s.get("super_up", ""); !ok || v != 1 { // super_up has no labels
		t.Errorf("super_up = %v (present %v), want 1", v, ok)
	}
	for _, c := range []struct {
		family, name string
		want         float64
	}{
		{"super_process_up", "web", 1},
		{"super_process_state", "web", 20},
		{"super_process_starts_total", "web", 1},
		{"super_process_restarts_total", "web", 0},
		{"super_process_exits_total", "web", 0},
		{"super_process_up", "slow", 0},
		{"super_process_state", "slow", 0},
		{"super_process_starts_total", "slow", 0},
		{"super_process_start_time_seconds", "slow", 0},
		{"super_process_last_exit_status", "flaky", 3},
	} {
		if got, ok := s.get(c.family, c.name); !ok || got != c.want {
			t.Errorf("%s{name=%q} = %v (present %v), want %v", c.family, c.name, got, ok, c.want)
		}
	}
	starts, _ := s.get("super_process_starts_total", "flaky")
	restarts, _ := s.get("super_process_restarts_total", "flaky")
	exits, _ := s.get("super_process_exits_total", "flaky")
	if starts < 2 || restarts != starts-1 || exits < 1 {
		t.Errorf("flaky: starts %v, restarts %v, exits %v; want starts >= 2, restarts = starts-1, exits >= 1", starts, restarts, exits)
	}
	now := float64(time.Now().Unix())
	if st, _ := s.get("super_process_start_time_seconds", "web"); st < now-60 || st > now+1 {
		t.Errorf("web's start time %v, now %v", st, now)
	}
	if _, ok := s.get("super_process_healthy", "flaky"); ok {
		t.Error("super_process_healthy for flaky, which has no healthcheck")
	}
	if _, ok := s.get("super_process_healthy", "web"); !ok {
		t.Error("no super_process_healthy for web")
	}
	// /bin/true passes: web turns healthy.
	if err := testbin.Poll(10*time.Second, func() bool {
		v, _ := d.scrapeInet(t).get("super_process_healthy", "web")
		return v == 1
	}); err != nil {
		t.Errorf("web never healthy: %v", err)
	}

	// The unix socket server serves the same metrics.
	code, body, _ := fetch(t, unixClient(d.Sock), "http://unix/metrics", false)
	if code != 200 {
		t.Fatalf("/metrics over the unix socket: %d\n%s", code, body)
	}
	us := parseScrape(t, body)
	if v, ok := us.get("super_process_state", "web"); !ok || v != 20 {
		t.Errorf("unix socket: web's state %v (present %v)", v, ok)
	}
}

func TestHealthzAndReadyz(t *testing.T) {
	d := startMetricsDaemon(t)
	for _, c := range []*http.Client{httpClient, unixClient(d.Sock)} {
		base := d.base
		if c != httpClient {
			base = "http://unix"
		}
		if code, body, _ := fetch(t, c, base+"/healthz", false); code != 200 || body != "ok\n" {
			t.Errorf("%s/healthz without credentials: %d %q", base, code, body)
		}
	}
	readyz := func() (int, string) {
		code, body, _ := fetch(t, httpClient, d.base+"/readyz", false)
		return code, body
	}
	// web RUNNING and healthy, flaky restarted: ready. flaky runs twice
	// (its first run exits 3); until its second run is up it is STARTING
	// or EXITED, and readyz might say "ready" while the first run is
	// still RUNNING and then "not ready" again.
	waitLog(t, d.Daemon, `^spawned: 'flaky' with pid \d+$`, 2, 20*time.Second)
	var code int
	var body string
	if err := testbin.Poll(20*time.Second, func() bool { code, body = readyz(); return code == 200 }); err != nil {
		t.Fatalf("never ready: %d %q\n%s", code, body, d.Out)
	}
	if body != "ready\n" {
		t.Errorf("ready body %q", body)
	}

	// slow is STARTING for 3 s: not ready, and the answer names no process.
	d.Call(t, "supervisor.startProcess", "slow", false)
	code, body = readyz()
	if state := d.StateOf(t, "slow"); state == "STARTING" {
		if code != 503 || body != "not ready: 1 of 3 processes\n" {
			t.Errorf("readyz while slow is STARTING: %d %q", code, body)
		}
	} else {
		t.Errorf("slow is %s right after startProcess, want STARTING (startsecs=3)", state)
	}
	d.WaitState(t, "slow", "RUNNING", 10*time.Second)
	if err := testbin.Poll(10*time.Second, func() bool { code, body = readyz(); return code == 200 }); err != nil {
		t.Errorf("not ready once slow is RUNNING: %d %q", code, body)
	}
}
