package bench

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// The scale family: everything a user does with many programs, at 1,000
// and 5,000 programs (quick: 20 and 50), each figure beside the same
// figure at the smaller count, so a cost that grows faster than the
// number of programs shows as a ratio above N/N₀ (5 for 5,000/1,000).
//
// One daemon per implementation and size, in this order: daemon start →
// all RUNNING (beside the fork/exec floor of the same N), RSS, the
// latency of getAllProcessInfo with one client and with 8 concurrent
// ones, supervisorctl status, /metrics, reread + update with one program
// changed, stop all, start all (beside the floor again), supervisorctl
// restart all, and a SIGHUP reload until everything runs again.
//
// Supervisor 4.2 gets scaleOracleCap to bring the biggest count up; when
// it does not, its rows say how far it got ("not finished").

// scaleOracleCap bounds 4.2's start of the biggest count: it spawns one
// program per pass of a loop that looks at every program, so 5,000
// programs take minutes (1,000 take 13 s).
const scaleOracleCap = 60 * time.Second

// scaleRows are the rows of one size, in table order.
type scaleRows struct {
	start, rss, gapiP50, gapiP99, conc50, conc99, concRate, status, metrics,
	update, stopAll, startAll, restartAll, sighup, rssEnd *Result
}

func (r *runner) scaleRows(n int) *scaleRows {
	c := fmt.Sprintf("scale_%d", n)
	s := &scaleRows{
		start:      r.row(c, "start→all RUNNING", "s", true),
		rss:        r.row(c, "rss", "MiB", true),
		gapiP50:    r.row(c, "getAllProcessInfo p50", "ms", true),
		gapiP99:    r.row(c, "getAllProcessInfo p99", "ms", true),
		conc50:     r.row(c, fmt.Sprintf("getAllProcessInfo %d clients p50", r.sc.clients), "ms", true),
		conc99:     r.row(c, fmt.Sprintf("getAllProcessInfo %d clients p99", r.sc.clients), "ms", true),
		concRate:   r.row(c, fmt.Sprintf("getAllProcessInfo %d clients", r.sc.clients), "req/s", false),
		status:     r.row(c, "supervisorctl status", "ms", true),
		metrics:    r.row(c, "GET /metrics p50", "ms", true),
		update:     r.row(c, "reread+update, 1 changed", "ms", true),
		stopAll:    r.row(c, "stopAllProcesses→all STOPPED", "s", true),
		startAll:   r.row(c, "startAllProcesses→all RUNNING", "s", true),
		restartAll: r.row(c, "supervisorctl restart all", "s", true),
		sighup:     r.row(c, "SIGHUP→all RUNNING again", "s", true),
		rssEnd:     r.row(c, "rss after all of the above", "MiB", true),
	}
	s.start.RefName, s.startAll.RefName = "floor", "floor"
	return s
}

func (s *scaleRows) all() []*Result {
	return []*Result{s.start, s.rss, s.gapiP50, s.gapiP99, s.conc50, s.conc99, s.concRate, s.status,
		s.metrics, s.update, s.stopAll, s.startAll, s.restartAll, s.sighup, s.rssEnd}
}

// scaleCase runs the family at each size, smallest first.
func (r *runner) scaleCase() {
	for i, n := range r.sc.scaleNs {
		rows := r.scaleRows(n)
		if r.ctx.Err() != nil {
			for _, im := range r.impls {
				r.fail(im, r.budgetErr(), rows.all()...)
			}
			rows.start.Ref, rows.startAll.Ref = r.budgetErr(), r.budgetErr()
			continue
		}
		if f, err := spawnFloor(n); err != nil {
			rows.start.Ref = failed(err)
		} else {
			rows.start.Ref = &Measure{Value: f.Seconds()}
		}
		rows.startAll.Ref = rows.start.Ref
		if err := sweep(10 * time.Second); err != nil {
			r.rep.Problems = append(r.rep.Problems, "floor: "+err.Error())
		}
		for _, im := range r.order() {
			if im.Unavailable != "" {
				r.fail(im, &Measure{Err: im.Unavailable}, rows.all()...)
				continue
			}
			capped := im.Name == "oracle" && i == len(r.sc.scaleNs)-1 && len(r.sc.scaleNs) > 1
			r.scaleOne(im, n, rows, capped)
		}
	}
}

// scaleOne measures one implementation at n programs.
func (r *runner) scaleOne(im *Impl, n int, rows *scaleRows, capped bool) {
	if r.ctx.Err() != nil {
		r.fail(im, r.budgetErr(), rows.all()...)
		return
	}
	dir := filepath.Join(r.work, fmt.Sprintf("scale%d-%s", n, im.Name))
	defer os.RemoveAll(dir)
	progs := sleepers(n)
	r.logf("%s: scale, %d programs", im.Name, n)
	d, err := startDaemon(im, dir, progs)
	if err != nil {
		r.fail(im, failed(err), rows.all()...)
		return
	}
	defer func() {
		if serr := d.stop(60 * time.Second); serr != nil {
			r.rep.Problems = append(r.rep.Problems, fmt.Sprintf("%s scale n=%d: %v", im.Name, n, serr))
		}
	}()
	timeout := r.sc.spawnTimeout
	if capped {
		timeout = scaleOracleCap
	}
	took, _, err := d.waitSpawned(r.ctx, n, timeout)
	if err != nil {
		m := r.errMeasure(err)
		if capped && r.ctx.Err() == nil {
			m = &Measure{Err: fmt.Sprintf("not finished: %s", oneLine(err.Error()))}
		}
		r.fail(im, m, rows.all()...)
		return
	}
	r.set(rows.start, im, &Measure{Value: took.Seconds()})
	r.logf("%s: %d programs RUNNING after %v", im.Name, n, took.Round(time.Millisecond))
	ctx := r.ctx
	time.Sleep(r.sc.settle)
	if v, err := rssMiB(d.pid); err != nil {
		r.set(rows.rss, im, failed(err))
	} else {
		r.set(rows.rss, im, &Measure{Value: v})
	}

	// Latency: one client, then 8 at once.
	if lat, err := seqLatency(ctx, "unix", d.sock, "supervisor.getAllProcessInfo", r.sc.rpcMin, r.sc.rpcMax, r.sc.rpcDur); err != nil {
		r.fail(im, r.errMeasure(err), rows.gapiP50, rows.gapiP99)
	} else {
		setLatency(r, im, rows.gapiP50, rows.gapiP99, lat)
	}
	if lat, rps, err := concLatency(ctx, "unix", d.sock, "supervisor.getAllProcessInfo", r.sc.clients, r.sc.concDur); err != nil {
		r.fail(im, r.errMeasure(err), rows.conc50, rows.conc99, rows.concRate)
	} else {
		setLatency(r, im, rows.conc50, rows.conc99, lat)
		r.set(rows.concRate, im, &Measure{Value: rps})
	}
	r.set(rows.status, im, r.ctlRuns(d, r.sc.ctlStatusRuns, n, "status"))
	if im.Name == "oracle" {
		r.set(rows.metrics, im, &Measure{Err: "n/a: 4.2 has no /metrics"})
	} else {
		r.set(rows.metrics, im, metricsLatency(ctx, d.port, r.sc.rpcMin, r.sc.rpcDur))
	}

	// reread + update with p0001's command changed: only it restarts.
	r.set(rows.update, im, r.rereadUpdate(d, progs))
	if _, err := d.waitAllState(ctx, n, stateRunning, 120*time.Second); err != nil {
		r.fail(im, r.errMeasure(fmt.Errorf("after update: %v", err)), rows.stopAll, rows.startAll, rows.restartAll, rows.sighup, rows.rssEnd)
		return
	}

	r.set(rows.stopAll, im, r.stopAll(d, n))
	r.set(rows.startAll, im, r.startAll(d, n))
	if m := r.get(rows.startAll, im); !m.ok() {
		r.fail(im, m, rows.restartAll, rows.sighup, rows.rssEnd)
		return
	}
	r.set(rows.restartAll, im, r.ctlAll(d, n, "restart", "all"))
	r.set(rows.sighup, im, r.sighupReload(d, n))
	time.Sleep(r.sc.settle) // as for rss: once the daemon is quiet again
	if v, err := rssMiB(d.pid); err != nil {
		r.set(rows.rssEnd, im, failed(err))
	} else {
		r.set(rows.rssEnd, im, &Measure{Value: v})
	}
}

func setLatency(r *runner, im *Impl, p50, p99 *Result, lat latencies) {
	ms := make([]float64, len(lat))
	for i, v := range lat {
		ms[i] = float64(int64(v*1e6)) / 1e3 // µs precision
	}
	r.set(p50, im, &Measure{Value: lat.percentile(50) * 1e3, Samples: ms})
	r.set(p99, im, &Measure{Value: lat.percentile(99) * 1e3, Extra: map[string]float64{"calls": float64(len(lat))}})
}

// startAll times startAllProcesses (which waits for each start) until
// getAllProcessInfo shows all n RUNNING.
func (r *runner) startAll(d *daemon, n int) *Measure {
	ctx, cancel := context.WithTimeout(r.ctx, 300*time.Second)
	defer cancel()
	t := time.Now()
	if _, err := d.rpc.Call(ctx, "supervisor.startAllProcesses"); err != nil {
		return r.errMeasure(fmt.Errorf("startAllProcesses: %v", err))
	}
	called := time.Since(t)
	at, err := d.waitAllState(ctx, n, stateRunning, 120*time.Second)
	if err != nil {
		return r.errMeasure(err)
	}
	return &Measure{Value: at.Sub(t).Seconds(), Extra: map[string]float64{"call_s": called.Seconds()}}
}

// ctlAll runs supervisorctl args once (a whole-daemon command such as
// restart all) and times it until every program is RUNNING.
func (r *runner) ctlAll(d *daemon, n int, args ...string) *Measure {
	t := time.Now()
	took, out, err := d.ctl(r.ctx, args...)
	if err != nil {
		return r.errMeasure(fmt.Errorf("supervisorctl %s: %v: %s", strings.Join(args, " "), err, firstLine(out)))
	}
	at, err := d.waitAllState(r.ctx, n, stateRunning, 120*time.Second)
	if err != nil {
		return r.errMeasure(err)
	}
	return &Measure{Value: at.Sub(t).Seconds(), Extra: map[string]float64{"ctl_s": took.Seconds()}}
}

// rereadUpdate changes p0001's command in the config and times
// `supervisorctl reread` and `supervisorctl update` (milliseconds, both
// processes whole).
func (r *runner) rereadUpdate(d *daemon, progs []program) *Measure {
	changed := append([]program(nil), progs...)
	changed[0].command = "sleep 901"
	if _, _, err := writeConfig(d.dir, d.port, changed); err != nil {
		return failed(err)
	}
	var total time.Duration
	for _, cmd := range []string{"reread", "update"} {
		took, out, err := d.ctl(r.ctx, cmd)
		if err != nil {
			return r.errMeasure(fmt.Errorf("supervisorctl %s: %v: %s", cmd, err, firstLine(out)))
		}
		if cmd == "reread" && !strings.Contains(out, "p0001: changed") {
			return failed(fmt.Errorf("supervisorctl reread: %q, want p0001: changed", firstLine(out)))
		}
		total += took
	}
	return &Measure{Value: total.Seconds() * 1e3}
}

// sighupReload sends SIGHUP (4.2's restart: stop everything, read the
// config again, start everything) and times it until n more programs
// were spawned and all are RUNNING.
func (r *runner) sighupReload(d *daemon, n int) *Measure {
	spawns := &lineCounter{path: filepath.Join(d.dir, "supervisord.log"), marker: []byte("spawned: '")}
	defer spawns.close()
	before := spawns.count()
	t := time.Now()
	if err := syscall.Kill(d.pid, syscall.SIGHUP); err != nil {
		return failed(err)
	}
	deadline := t.Add(300 * time.Second)
	for spawns.count()-before < n {
		if !d.alive() {
			return failed(d.exitedErr())
		}
		if r.ctx.Err() != nil {
			return r.budgetErr()
		}
		if time.Now().After(deadline) {
			return failed(fmt.Errorf("%d of %d spawns after SIGHUP", spawns.count()-before, n))
		}
		time.Sleep(2 * time.Millisecond)
	}
	if err := d.waitRPC(r.ctx, time.Until(deadline)); err != nil {
		return r.errMeasure(err)
	}
	at, err := d.waitAllState(r.ctx, n, stateRunning, time.Until(deadline))
	if err != nil {
		return r.errMeasure(err)
	}
	return &Measure{Value: at.Sub(t).Seconds()}
}

// metricsLatency GETs /metrics on the inet server, sequentially over one
// kept-alive connection, and returns the median in milliseconds.
func metricsLatency(ctx context.Context, port, minCalls int, dur time.Duration) *Measure {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}, Timeout: time.Minute}
	defer client.CloseIdleConnections()
	url := "http://127.0.0.1:" + strconv.Itoa(port) + "/metrics"
	get := func() error {
		req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
		if err != nil {
			return err
		}
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		n, err := io.Copy(io.Discard, resp.Body)
		if err == nil && (resp.StatusCode != 200 || n == 0) {
			err = fmt.Errorf("GET /metrics: %s, %d bytes", resp.Status, n)
		}
		return err
	}
	if err := get(); err != nil {
		return failed(err)
	}
	var lat latencies
	start := time.Now()
	for len(lat) < minCalls || (time.Since(start) < dur && len(lat) < 1000) {
		t := time.Now()
		if err := get(); err != nil {
			return failed(err)
		}
		lat = append(lat, time.Since(t).Seconds())
	}
	return &Measure{Value: lat.percentile(50) * 1e3, Extra: map[string]float64{"p99_ms": lat.percentile(99) * 1e3, "calls": float64(len(lat))}}
}
