package web

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"super/core/process"
	"super/core/supervisor"
)

// super's own HTTP endpoints beside 4.2's pages:
//
//	/metrics  Prometheus text format 0.0.4, behind the server's auth
//	/healthz  200 "ok" while the engine answers and is RUNNING
//	/readyz   200 "ready" once every process is where it should be
//
// /healthz and /readyz are for container and load-balancer probes, which
// carry no credentials: the server lets them through without auth (see
// core/server), so they say nothing but a count.
//
// The exposition is written by hand, not with the Prometheus client
// library: that library costs every run of the one binary (supervisorctl
// included) about 2 MiB of RSS and 2.5 ms of start-up, for a format of a
// few lines. A test checks the output with the official parser.

// probeTimeout bounds how long a probe waits for the engine: a loop that
// does not answer within it is not healthy.
const probeTimeout = 5 * time.Second

// metricsContentType is the Prometheus text format's media type.
const metricsContentType = "text/plain; version=0.0.4; charset=utf-8"

// stats asks the backend for every process's stats, giving up when ctx
// ends (the engine's loop is stuck, or the client left).
func (h *Handler) stats(ctx context.Context) ([]supervisor.ProcessStats, error) {
	return h.statsOf(ctx, h.b.Stats)
}

func (h *Handler) statsOf(ctx context.Context, read func() ([]supervisor.ProcessStats, error)) ([]supervisor.ProcessStats, error) {
	type answer struct {
		stats []supervisor.ProcessStats
		err   error
	}
	ch := make(chan answer, 1)
	go func() {
		s, err := read()
		ch <- answer{s, err}
	}()
	select {
	case a := <-ch:
		return a.stats, a.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// probeOnly answers requests that are not GET or HEAD; it reports whether
// the request was answered.
func probeOnly(w http.ResponseWriter, r *http.Request) bool {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return false
	}
	w.Header().Set("Allow", "GET, HEAD")
	plain(w, http.StatusMethodNotAllowed, "method not allowed\n")
	return true
}

func plain(w http.ResponseWriter, code int, body string) {
	hdr := w.Header()
	noCache(hdr)
	hdr.Set("Content-Type", "text/plain; charset=utf-8")
	hdr.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(code)
	w.Write([]byte(body))
}

func (h *Handler) healthz(w http.ResponseWriter, r *http.Request) {
	if probeOnly(w, r) {
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), probeTimeout)
	defer cancel()
	// Stats fails once supervisord leaves RUNNING (shutdown, restart).
	if _, err := h.stats(ctx); err != nil {
		plain(w, http.StatusServiceUnavailable, "not ok\n")
		return
	}
	plain(w, http.StatusOK, "ok\n")
}

func (h *Handler) readyz(w http.ResponseWriter, r *http.Request) {
	if probeOnly(w, r) {
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), probeTimeout)
	defer cancel()
	all, err := h.stats(ctx)
	if err != nil {
		plain(w, http.StatusServiceUnavailable, "not ready: supervisord is not running\n")
		return
	}
	if n := notReady(all, h.b.Autostarts); n > 0 {
		plain(w, http.StatusServiceUnavailable,
			"not ready: "+strconv.Itoa(n)+" of "+strconv.Itoa(len(all))+" processes\n")
		return
	}
	plain(w, http.StatusOK, "ready\n")
}

// notReady counts the processes that keep the daemon from being ready:
// on their way up or down (STARTING, BACKOFF, STOPPING, EXITED waiting
// out a restart delay), failed (FATAL, UNKNOWN), RUNNING but not (yet)
// healthy, or due to start automatically and never started. A process
// that was stopped or that exited for good is where it should be.
// autostarts is asked at most once, only when needed.
func notReady(all []supervisor.ProcessStats, autostarts func() map[string]bool) int {
	var auto map[string]bool
	n := 0
	for i := range all {
		ps := &all[i]
		switch ps.State {
		case process.Starting, process.Backoff, process.Stopping, process.Fatal, process.Unknown:
			n++
		case process.Exited:
			if !ps.RestartAt.IsZero() { // waiting out a restart delay
				n++
			}
		case process.Running:
			if !ps.Ready() {
				n++
			}
		case process.Stopped:
			if ps.Start.IsZero() {
				if auto == nil {
					auto = autostarts()
				}
				if auto[supervisor.Namespec(ps.Group, ps.Name)] {
					n++
				}
			}
		}
	}
	return n
}

func (h *Handler) metrics(w http.ResponseWriter, r *http.Request) {
	if probeOnly(w, r) {
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), probeTimeout)
	defer cancel()
	all, err := h.statsOf(ctx, h.usageStats())
	up := err == nil
	bp := metricsBufs.Get().(*[]byte)
	b := appendMetrics((*bp)[:0], all, up, time.Now())
	if ns, ok := h.b.(notifyStatser); ok && up {
		if st, err := ns.NotifyStats(); err == nil && st.Open {
			b = appendNotifyMetrics(b, st)
		}
	}
	b = appendResourceMetrics(b, all)
	hdr := w.Header()
	noCache(hdr)
	hdr.Set("Content-Type", metricsContentType)
	hdr.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		w.Write(b)
	}
	*bp = b
	metricsBufs.Put(bp)
}

// metricsBufs keeps the exposition buffers between scrapes: a scrape of
// a thousand processes is ~200 KB.
var metricsBufs = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// metricFamily is one process metric: its name, type, help text and value.
type metricFamily struct {
	name, typ, help string
	value           func(ps *supervisor.ProcessStats, now time.Time) (v int64, ok bool)
}

var processFamilies = [...]metricFamily{
	{"super_process_up", "gauge", "1 if the process is RUNNING, else 0.",
		func(ps *supervisor.ProcessStats, _ time.Time) (int64, bool) {
			return b2i(ps.State == process.Running), true
		}},
	{"super_process_state", "gauge", "The process's state as Supervisor's state code (0 STOPPED, 10 STARTING, 20 RUNNING, 30 BACKOFF, 40 STOPPING, 100 EXITED, 200 FATAL, 1000 UNKNOWN).",
		func(ps *supervisor.ProcessStats, _ time.Time) (int64, bool) { return int64(ps.State), true }},
	{"super_process_start_time_seconds", "gauge", "Unix time of the process's last start, 0 if never started.",
		func(ps *supervisor.ProcessStats, _ time.Time) (int64, bool) { return unixOr0(ps.Start), true }},
	{"super_process_uptime_seconds", "gauge", "Seconds since the process's last start while it is RUNNING, else 0.",
		func(ps *supervisor.ProcessStats, now time.Time) (int64, bool) {
			if ps.State != process.Running || ps.Start.IsZero() {
				return 0, true
			}
			return max(int64(now.Sub(ps.Start)/time.Second), 0), true
		}},
	{"super_process_starts_total", "counter", "Times the process was spawned since supervisord (or its group) started.",
		func(ps *supervisor.ProcessStats, _ time.Time) (int64, bool) { return int64(ps.Starts), true }},
	{"super_process_restarts_total", "counter", "Spawns after the first one (starts - 1).",
		func(ps *supervisor.ProcessStats, _ time.Time) (int64, bool) { return int64(ps.Restarts()), true }},
	{"super_process_exits_total", "counter", "Times the process exited (or was killed).",
		func(ps *supervisor.ProcessStats, _ time.Time) (int64, bool) { return int64(ps.Exits), true }},
	{"super_process_last_exit_status", "gauge", "Exit status of the last exit; 128+signal when killed by a signal.",
		func(ps *supervisor.ProcessStats, _ time.Time) (int64, bool) { return int64(ps.LastExitStatus), true }},
	// The engine keeps the last verdict after the process stops: only a
	// RUNNING process is healthy (as for /readyz).
	{"super_process_watchdog_timeouts_total", "counter", "Times the process's watchdog ran out (no WATCHDOG=1 in time) since supervisord (or its group) started (only processes with watchdog_secs).",
		func(ps *supervisor.ProcessStats, _ time.Time) (int64, bool) {
			return int64(ps.WatchdogTimeouts), ps.WatchdogSecs > 0
		}},
	{"super_process_healthy", "gauge", "1 if the process is RUNNING and its healthcheck last judged it healthy, else 0 (only processes with a healthcheck).",
		func(ps *supervisor.ProcessStats, _ time.Time) (int64, bool) {
			return b2i(ps.State == process.Running && ps.Health == supervisor.HealthHealthy), ps.Health != supervisor.HealthNone
		}},
	{"super_process_restart_time_seconds", "gauge", "Unix time at which a delayed automatic restart is due, 0 when none is pending (only processes with restart_delay).",
		func(ps *supervisor.ProcessStats, _ time.Time) (int64, bool) {
			return unixOr0(ps.RestartAt), ps.RestartDelay
		}},
	{"super_process_next_run_time_seconds", "gauge", "Unix time of the schedule's next run, 0 while the schedule is stopped (only processes with a schedule).",
		func(ps *supervisor.ProcessStats, _ time.Time) (int64, bool) {
			return unixOr0(ps.NextRun), ps.Scheduled
		}},
}

// notifyStatser is a Backend that has a notify socket (the engine).
type notifyStatser interface {
	NotifyStats() (supervisor.NotifyStats, error)
}

// appendNotifyMetrics writes the notify socket's counters, once it exists
// (some process has notify=true or watchdog_secs).
func appendNotifyMetrics(b []byte, st supervisor.NotifyStats) []byte {
	b = append(b, "# HELP super_notify_datagrams_total Datagrams read from the sd_notify socket (NOTIFY_SOCKET).\n"+
		"# TYPE super_notify_datagrams_total counter\nsuper_notify_datagrams_total "...)
	b = strconv.AppendUint(b, st.Received, 10)
	b = append(b, "\n# HELP super_notify_dropped_total Datagrams dropped: oversized (over 4096 bytes), malformed (or without credentials), "+
		"stranger (not from a notify or watchdog program or its descendants), overflow (too many waiting).\n"+
		"# TYPE super_notify_dropped_total counter\n"...)
	for _, r := range []struct {
		reason string
		n      uint64
	}{{"oversized", st.Oversized}, {"malformed", st.Malformed}, {"stranger", st.Strangers}, {"overflow", st.Overflow}} {
		b = append(b, `super_notify_dropped_total{reason="`...)
		b = append(b, r.reason...)
		b = append(b, `"} `...)
		b = strconv.AppendUint(b, r.n, 10)
		b = append(b, '\n')
	}
	return b
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

func unixOr0(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()
}

// appendMetrics writes the exposition: super_up, then one family per
// process metric, each with its HELP and TYPE lines and one sample per
// process labelled {group,name}. A family with no sample (no process has
// a healthcheck) is left out.
func appendMetrics(b []byte, all []supervisor.ProcessStats, up bool, now time.Time) []byte {
	b = append(b, "# HELP super_up 1 while supervisord is RUNNING and its engine answers.\n# TYPE super_up gauge\nsuper_up "...)
	b = strconv.AppendInt(b, b2i(up), 10)
	b = append(b, '\n')
	for fi := range processFamilies {
		f := &processFamilies[fi]
		header := false
		for i := range all {
			v, ok := f.value(&all[i], now)
			if !ok {
				continue
			}
			if !header {
				b = appendFamilyHeader(b, f.name, f.help, f.typ)
				header = true
			}
			b = appendSampleName(b, f.name, &all[i])
			b = strconv.AppendInt(b, v, 10)
			b = append(b, '\n')
		}
	}
	return b
}

// appendFamilyHeader writes a metric family's HELP and TYPE lines.
func appendFamilyHeader(b []byte, name, help, typ string) []byte {
	b = append(b, "# HELP "...)
	b = append(b, name...)
	b = append(b, ' ')
	b = append(b, help...)
	b = append(b, "\n# TYPE "...)
	b = append(b, name...)
	b = append(b, ' ')
	b = append(b, typ...)
	return append(b, '\n')
}

// appendSampleName writes a per-process sample up to its value:
// `name{group="…",name="…"} `.
func appendSampleName(b []byte, name string, ps *supervisor.ProcessStats) []byte {
	b = append(b, name...)
	b = append(b, `{group="`...)
	b = appendLabelValue(b, ps.Group)
	b = append(b, `",name="`...)
	b = appendLabelValue(b, ps.Name)
	return append(b, `"} `...)
}

// appendLabelValue escapes a label value as the text format requires:
// backslash, double quote and line feed; the format is UTF-8, so any other
// byte sequence is replaced.
func appendLabelValue(b []byte, s string) []byte {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	if !strings.ContainsAny(s, "\\\"\n") {
		return append(b, s...)
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\':
			b = append(b, `\\`...)
		case '"':
			b = append(b, `\"`...)
		case '\n':
			b = append(b, `\n`...)
		default:
			b = append(b, c)
		}
	}
	return b
}
