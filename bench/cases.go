package bench

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// afterSpawn measures, on a daemon whose n programs are all RUNNING, what
// the mode asks for at that n: memory, idle CPU, RPC latency and
// throughput, supervisorctl, and finally stopAllProcesses.
func (r *runner) afterSpawn(im *Impl, nn int, d *daemon, spawnErr error) {
	sc := r.sc
	var rows []*Result
	add := func(res *Result) *Result { rows = append(rows, res); return res }
	var memRow, cpuRow, stopRow, statusRow, restartRow *Result
	type rpcRow struct {
		network, method string
		p50, p99        *Result
	}
	var rpcRows []rpcRow
	var concRow, conc50, conc99 *Result
	if r.want("memory") && (nn == sc.mid || nn == sc.big) {
		memRow = add(r.row(fmt.Sprintf("memory_%d", nn), "rss", "MiB", true))
	}
	if r.want("cpu") && nn == sc.mid {
		cpuRow = add(r.row(fmt.Sprintf("idle_cpu_%d", nn), fmt.Sprintf("cpu over %v", sc.cpuWindow), "% core", true))
	}
	if r.want("rpc") && (nn == sc.mid || nn == sc.big) {
		for _, network := range []string{"unix", "tcp"} {
			methods := []string{"getAllProcessInfo"}
			if nn == sc.mid {
				methods = []string{"getState", "getAllProcessInfo"}
			}
			for _, m := range methods {
				c := fmt.Sprintf("rpc_%s_%d", network, nn)
				rpcRows = append(rpcRows, rpcRow{network, m,
					add(r.row(c, m+" p50", "ms", true)), add(r.row(c, m+" p99", "ms", true))})
			}
		}
		if nn == sc.mid {
			c := fmt.Sprintf("rpc_unix_%d", nn)
			concRow = add(r.row(c, fmt.Sprintf("getAllProcessInfo %d clients", sc.clients), "req/s", false))
			conc50 = add(r.row(c, fmt.Sprintf("getAllProcessInfo %d clients p50", sc.clients), "ms", true))
			conc99 = add(r.row(c, fmt.Sprintf("getAllProcessInfo %d clients p99", sc.clients), "ms", true))
		}
	}
	if r.want("ctl") && (nn == sc.mid || nn == sc.big) {
		statusRow = add(r.row(fmt.Sprintf("ctl_status_%d", nn), "wall median", "ms", true))
		if nn == sc.mid {
			restartRow = add(r.row(fmt.Sprintf("ctl_restart_%d", nn), "wall median", "ms", true))
		}
	}
	if r.want("stop_all") && (nn == sc.mid || nn == sc.big) {
		stopRow = add(r.row(fmt.Sprintf("stop_all_%d", nn), "stopAllProcesses→all STOPPED", "s", true))
	}
	if spawnErr != nil {
		m := r.errMeasure(spawnErr)
		if strings.HasPrefix(m.Err, "failed: ") {
			m.Err = "failed: spawn: " + strings.TrimPrefix(m.Err, "failed: ")
		}
		r.fail(im, m, rows...)
		return
	}
	ctx := r.ctx
	if memRow != nil || cpuRow != nil {
		time.Sleep(sc.settle)
	}
	if memRow != nil {
		if v, err := rssMiB(d.pid); err != nil {
			r.set(memRow, im, failed(err))
		} else {
			r.set(memRow, im, &Measure{Value: v})
		}
	}
	if cpuRow != nil {
		r.set(cpuRow, im, r.idleCPU(d))
	}
	for _, rr := range rpcRows {
		addr := d.sock
		if rr.network == "tcp" {
			addr = "127.0.0.1:" + strconv.Itoa(d.port)
		}
		lat, err := seqLatency(ctx, rr.network, addr, "supervisor."+rr.method, sc.rpcMin, sc.rpcMax, sc.rpcDur)
		if err != nil {
			r.fail(im, r.errMeasure(err), rr.p50, rr.p99)
			continue
		}
		ms := make([]float64, len(lat))
		for i, v := range lat {
			ms[i] = float64(int64(v*1e6)) / 1e3 // µs precision
		}
		r.set(rr.p50, im, &Measure{Value: lat.percentile(50) * 1e3, Samples: ms})
		r.set(rr.p99, im, &Measure{Value: lat.percentile(99) * 1e3, Extra: map[string]float64{"calls": float64(len(lat))}})
		r.logf("%s: rpc %s %s p50 %.3f ms (%d calls)", im.Name, rr.network, rr.method, lat.percentile(50)*1e3, len(lat))
	}
	if concRow != nil {
		lat, rps, err := concLatency(ctx, "unix", d.sock, "supervisor.getAllProcessInfo", sc.clients, sc.concDur)
		if err != nil {
			r.fail(im, r.errMeasure(err), concRow, conc50, conc99)
		} else {
			r.set(concRow, im, &Measure{Value: rps})
			setLatency(r, im, conc50, conc99, lat)
		}
	}
	if statusRow != nil {
		r.set(statusRow, im, r.ctlRuns(d, sc.ctlStatusRuns, nn, "status"))
		if nn == sc.mid && statusRow.Ref == nil {
			statusRow.RefName = "hello"
			statusRow.Ref = r.helloRuns(sc.ctlStatusRuns)
		}
	}
	if restartRow != nil {
		r.set(restartRow, im, r.ctlRuns(d, sc.ctlRestartRuns, 0, "restart", "p0001"))
		// restart leaves p0001 RUNNING again; stop_all below needs all n.
		if _, err := d.waitAllState(ctx, nn, stateRunning, 30*time.Second); err != nil && stopRow != nil {
			r.set(stopRow, im, r.errMeasure(err))
		}
	}
	if stopRow != nil && r.get(stopRow, im) == nil {
		r.set(stopRow, im, r.stopAll(d, nn))
	}
}

// idleCPU samples the daemon's CPU time over the window.
func (r *runner) idleCPU(d *daemon) *Measure {
	s0, t0, err := cpuNanos(d.pid)
	if err != nil {
		return failed(err)
	}
	w0 := time.Now()
	select {
	case <-time.After(r.sc.cpuWindow):
	case <-r.ctx.Done():
		return r.budgetErr()
	}
	s1, t1, err := cpuNanos(d.pid)
	if err != nil {
		return failed(err)
	}
	wall := time.Since(w0).Seconds()
	pct := float64(s1-s0) / 1e9 / wall * 100
	ticks := float64(t1-t0) / 100 / wall * 100 // USER_HZ is 100 on Linux
	return &Measure{Value: pct, Extra: map[string]float64{"stat_ticks_pct": ticks, "window_s": wall}}
}

// ctlRuns runs supervisorctl args runs times and returns the median wall
// time; wantLines > 0 checks that status printed one line per program.
func (r *runner) ctlRuns(d *daemon, runs, wantLines int, args ...string) *Measure {
	var s []float64
	start := time.Now()
	for i := 0; i < runs && (i < 3 || time.Since(start) < r.sc.ctlDur); i++ {
		took, out, err := d.ctl(r.ctx, args...)
		if err != nil {
			return r.errMeasure(fmt.Errorf("supervisorctl %s: %v: %s", strings.Join(args, " "), err, firstLine(out)))
		}
		if wantLines > 0 {
			if got := strings.Count(out, "RUNNING"); got != wantLines {
				return failed(fmt.Errorf("supervisorctl status: %d RUNNING lines, want %d: %s", got, wantLines, firstLine(out)))
			}
		}
		s = append(s, took.Seconds()*1e3)
	}
	return &Measure{Value: median(s), Samples: s}
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}

// stopAll times stopAllProcesses until getAllProcessInfo shows all n
// STOPPED.
func (r *runner) stopAll(d *daemon, n int) *Measure {
	ctx, cancel := context.WithTimeout(r.ctx, 120*time.Second)
	defer cancel()
	t := time.Now()
	if _, err := d.rpc.Call(ctx, "supervisor.stopAllProcesses"); err != nil {
		return r.errMeasure(fmt.Errorf("stopAllProcesses: %v", err))
	}
	called := time.Since(t)
	at, err := d.waitAllState(ctx, n, stateStopped, 60*time.Second)
	if err != nil {
		return r.errMeasure(err)
	}
	return &Measure{Value: at.Sub(t).Seconds(), Extra: map[string]float64{"call_s": called.Seconds()}}
}

// logLine is the producer's text line (no '%': supervisord expands it).
const logLine = "0123456789 the quick brown fox jumps over the lazy dog ABCDEFGHIJKLMNOPQRSTUVWXYZ abcdefghijklmnopqrstuvwxyz"

// producer writes nbytes of text lines to stdout: yes writes its line
// into a pipe and head copies the first nbytes on. Writing straight to a
// file, head's copy is the busy stage and yes sleeps on the pipe much of
// the time, so the producer leaves a core to the supervisor's copy.
func producer(nbytes int64) string {
	return fmt.Sprintf("yes '%s' | head -c %d", logLine, nbytes)
}

// logCase pushes the same producer's output straight into a file, then
// through each daemon's rotated stdout log, interleaved: logRounds rounds
// of, for each implementation, the direct write (the better of two) and
// the daemon right after it. Throughput and share of direct are medians
// over the rounds, each share against its own round's direct write.
func (r *runner) logCase() {
	sc := r.sc
	c := fmt.Sprintf("log_%dMB", sc.logBytes/1_000_000)
	tput := r.row(c, "throughput", "MB/s", false)
	tput.RefName = "direct"
	share := r.row(c, "share of direct", "%", false)
	lost := r.row(c, "bytes lost", "B", true)
	rss := r.row(c, "daemon peak rss", "MiB", true)
	type runs struct {
		mbs, shares, direct []float64
		lost                int64
		peak                float64
		err                 *Measure
	}
	got := map[string]*runs{}
	for round := range max(sc.logRounds, 1) {
		for _, im := range r.order() {
			if got[im.Name] == nil {
				got[im.Name] = &runs{}
			}
			g := got[im.Name]
			if g.err != nil {
				continue
			}
			if r.ctx.Err() != nil {
				g.err = r.budgetErr()
				continue
			}
			if im.Unavailable != "" {
				g.err = &Measure{Err: im.Unavailable}
				continue
			}
			dir := filepath.Join(r.work, fmt.Sprintf("log-%s-%d", im.Name, round))
			if err := os.MkdirAll(dir, 0o755); err != nil {
				g.err = failed(err)
				continue
			}
			// The physical limit: the same producer straight to a file on
			// the same disk, the better of two runs right before this
			// daemon's.
			var d float64
			var err error
			for range 2 {
				var m float64
				if m, err = r.directWrite(dir); err != nil {
					break
				}
				d = max(d, m)
			}
			if err != nil {
				// Without its direct write a round has no share: the
				// implementation's log rows fail rather than show 0.
				g.err = failed(err)
				os.RemoveAll(dir)
				continue
			}
			r.logf("%s: log %d bytes through a rotated log (round %d/%d)", im.Name, sc.logBytes, round+1, sc.logRounds)
			m, lostB, peak, err := r.logThrough(im, dir)
			os.RemoveAll(dir)
			if err != nil {
				g.err = r.errMeasure(err)
				continue
			}
			g.mbs = append(g.mbs, m)
			g.shares = append(g.shares, m/d*100)
			g.direct = append(g.direct, d)
			g.lost = max(g.lost, lostB)
			g.peak = max(g.peak, peak)
			r.logf("%s: log %.0f MB/s (direct %.0f MB/s: %.0f %%), %d bytes lost", im.Name, m, d, m/d*100, lostB)
		}
	}
	var direct []float64
	for _, im := range r.order() {
		g := got[im.Name]
		if g == nil {
			continue
		}
		direct = append(direct, g.direct...)
		if g.err != nil {
			r.fail(im, g.err, tput, share, lost, rss)
			continue
		}
		r.set(tput, im, &Measure{Value: median(g.mbs), Samples: g.mbs})
		r.set(share, im, &Measure{Value: median(g.shares), Samples: g.shares,
			Extra: map[string]float64{"direct_MBps_median": median(g.direct)}})
		r.set(lost, im, &Measure{Value: float64(g.lost)})
		r.set(rss, im, &Measure{Value: g.peak})
	}
	if len(direct) > 0 {
		tput.Ref = &Measure{Value: median(direct), Samples: direct}
	}
}

func (r *runner) directWrite(dir string) (float64, error) {
	out := filepath.Join(dir, "direct.log")
	defer os.Remove(out)
	cmd := exec.CommandContext(r.ctx, "sh", "-c", producer(r.sc.logBytes)+" > "+out)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	t := time.Now()
	if err := cmd.Run(); err != nil {
		return 0, fmt.Errorf("direct write: %v", err)
	}
	el := time.Since(t).Seconds()
	st, err := os.Stat(out)
	if err != nil {
		return 0, err
	}
	if st.Size() != r.sc.logBytes {
		return 0, fmt.Errorf("direct write: %d bytes, want %d", st.Size(), r.sc.logBytes)
	}
	return float64(r.sc.logBytes) / 1e6 / el, nil
}

// logThrough starts the producer under im's daemon and waits until every
// byte is in the log and its backups. It returns MB/s, bytes missing and
// the daemon's peak RSS.
func (r *runner) logThrough(im *Impl, dir string) (mbs float64, lost int64, peakMiB float64, err error) {
	sc := r.sc
	logf := filepath.Join(dir, "producer.log")
	prog := program{name: "producer", command: `sh -c "` + producer(sc.logBytes) + `"`, extra: []string{
		"autostart=false", "startsecs=0", "autorestart=false",
		"stdout_logfile=" + logf, "stdout_logfile_maxbytes=" + sc.logMax,
		"stdout_logfile_backups=" + strconv.Itoa(sc.logBackups),
	}}
	d, err := startDaemon(im, filepath.Join(dir, "d"), []program{prog})
	if err != nil {
		return 0, 0, 0, err
	}
	defer func() {
		if serr := d.stop(30 * time.Second); serr != nil {
			r.rep.Problems = append(r.rep.Problems, fmt.Sprintf("%s log: %v", im.Name, serr))
		}
	}()
	if err := d.waitRPC(r.ctx, 30*time.Second); err != nil {
		return 0, 0, 0, err
	}
	files := []string{logf}
	for i := 1; i <= sc.logBackups; i++ {
		files = append(files, logf+"."+strconv.Itoa(i))
	}
	landed := func() int64 {
		var n int64
		for _, f := range files {
			if st, err := os.Stat(f); err == nil {
				n += st.Size()
			}
		}
		return n
	}
	ctx, cancel := context.WithTimeout(r.ctx, 120*time.Second)
	defer cancel()
	t := time.Now()
	if _, err := d.rpc.Call(ctx, "supervisor.startProcess", "producer", false); err != nil {
		return 0, 0, 0, fmt.Errorf("startProcess: %v", err)
	}
	// Done when the total reaches the bytes written and stays there for
	// one more look (a rotation between two stats can miscount once).
	var doneAt time.Time
	var last int64 = -1
	stableSince := time.Now()
	for {
		n := landed()
		now := time.Now()
		if n == sc.logBytes && last == n {
			break
		}
		if n == sc.logBytes && last != n {
			doneAt = now
		}
		if n != last {
			stableSince = now
		}
		last = n
		if ctx.Err() != nil || (n != sc.logBytes && now.Sub(stableSince) > 10*time.Second && !d.alive()) {
			break
		}
		if n != sc.logBytes && now.Sub(stableSince) > 10*time.Second {
			// Nothing moved for 10 s: whatever is missing is lost.
			break
		}
		time.Sleep(2 * time.Millisecond)
	}
	peakKiB, _ := statusKiB(d.pid, "VmHWM")
	if last != sc.logBytes {
		if ctx.Err() != nil {
			return 0, 0, 0, fmt.Errorf("log: %d of %d bytes landed before timeout", last, sc.logBytes)
		}
		return 0, sc.logBytes - last, peakKiB / 1024, fmt.Errorf("log: %d of %d bytes landed", last, sc.logBytes)
	}
	return float64(sc.logBytes) / 1e6 / doneAt.Sub(t).Seconds(), 0, peakKiB / 1024, nil
}

// churnCase runs programs that exit after 0.1 s and are restarted at
// once, and measures restarts/s and the daemon's RSS growth.
func (r *runner) churnCase() {
	sc := r.sc
	c := fmt.Sprintf("churn_%d", sc.churnProgs)
	rate := r.row(c, fmt.Sprintf("restarts/s over %v", sc.churnWindow), "1/s", false)
	rss0 := r.row(c, "rss at start", "MiB", true)
	rss1 := r.row(c, "rss at end", "MiB", true)
	growth := r.row(c, "rss growth", "MiB", true)
	for _, im := range r.order() {
		if im.Unavailable != "" {
			r.fail(im, &Measure{Err: im.Unavailable}, rate, rss0, rss1, growth)
			continue
		}
		if r.ctx.Err() != nil {
			r.fail(im, r.budgetErr(), rate, rss0, rss1, growth)
			continue
		}
		r.logf("%s: churn %d programs for %v", im.Name, sc.churnProgs, sc.churnWindow)
		dir := filepath.Join(r.work, "churn-"+im.Name)
		counter := filepath.Join(dir, "spawns")
		var progs []program
		for i := range sc.churnProgs {
			progs = append(progs, program{
				name:    fmt.Sprintf("c%02d", i+1),
				command: fmt.Sprintf(`sh -c "printf x >> %s; sleep 0.1; exit 1"`, counter),
				extra:   []string{"startsecs=0", "autorestart=true"},
			})
		}
		m, err := r.churnOne(im, dir, counter, progs)
		if err != nil {
			r.fail(im, r.errMeasure(err), rate, rss0, rss1, growth)
		} else {
			r.set(rate, im, &Measure{Value: m[0]})
			r.set(rss0, im, &Measure{Value: m[1]})
			r.set(rss1, im, &Measure{Value: m[2]})
			r.set(growth, im, &Measure{Value: m[2] - m[1]})
			r.logf("%s: churn %.0f restarts/s, rss %.1f → %.1f MiB", im.Name, m[0], m[1], m[2])
		}
		os.RemoveAll(dir)
	}
}

func (r *runner) churnOne(im *Impl, dir, counter string, progs []program) ([3]float64, error) {
	var out [3]float64
	d, err := startDaemon(im, dir, progs)
	if err != nil {
		return out, err
	}
	defer func() {
		if serr := d.stop(30 * time.Second); serr != nil {
			r.rep.Problems = append(r.rep.Problems, fmt.Sprintf("%s churn: %v", im.Name, serr))
		}
	}()
	if err := d.waitRPC(r.ctx, 30*time.Second); err != nil {
		return out, err
	}
	size := func() int64 {
		st, err := os.Stat(counter)
		if err != nil {
			return 0
		}
		return st.Size()
	}
	sleep := func(dur time.Duration) error {
		select {
		case <-time.After(dur):
			return nil
		case <-r.ctx.Done():
			return r.ctx.Err()
		}
	}
	if err := sleep(r.sc.churnWarm); err != nil {
		return out, err
	}
	n0, t0 := size(), time.Now()
	r0, err := rssMiB(d.pid)
	if err != nil {
		return out, err
	}
	if err := sleep(r.sc.churnWindow); err != nil {
		return out, err
	}
	n1, el := size(), time.Since(t0).Seconds()
	r1, err := rssMiB(d.pid)
	if err != nil {
		return out, err
	}
	if n1 == n0 {
		return out, fmt.Errorf("no program restarted in %v", r.sc.churnWindow)
	}
	out = [3]float64{float64(n1-n0) / el, r0, r1}
	return out, nil
}

// helloRuns times a Go "hello world" binary, whole process, the same way
// ctlRuns times supervisorctl: the floor of any Go command on this
// machine (runtime start-up and exit), built once per run.
func (r *runner) helloRuns(runs int) *Measure {
	dir := filepath.Join(r.work, "hello")
	bin := filepath.Join(dir, "hello")
	if _, err := os.Stat(bin); err != nil {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return failed(err)
		}
		src := "package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(\"hello, world\") }\n"
		if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(src), 0o644); err != nil {
			return failed(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module hello\n\ngo 1.21\n"), 0o644); err != nil {
			return failed(err)
		}
		cmd := exec.CommandContext(r.ctx, "go", "build", "-trimpath", "-ldflags=-s -w", "-o", bin, ".")
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=")
		if out, err := cmd.CombinedOutput(); err != nil {
			return &Measure{Err: "skipped: go build of hello world: " + oneLine(err.Error()+" "+string(out))}
		}
	}
	var s []float64
	start := time.Now()
	for i := 0; i < runs && (i < 3 || time.Since(start) < r.sc.ctlDur); i++ {
		cmd := exec.CommandContext(r.ctx, bin)
		cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
		t := time.Now()
		if out, err := cmd.CombinedOutput(); err != nil || string(out) != "hello, world\n" {
			return failed(fmt.Errorf("hello world: %v: %q", err, out))
		}
		s = append(s, time.Since(t).Seconds()*1e3)
	}
	return &Measure{Value: median(s), Samples: s}
}
