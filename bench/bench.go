// Package bench measures super side by side with Supervisor 4.2 (the
// oracle): the same scenarios, run against both daemons interleaved in one
// run, on unix sockets and 127.0.0.1 inside one temp dir.
//
// Every process the harness starts descends from it: the harness makes
// itself a child subreaper, so programs a daemon leaves behind are
// reparented to it, and every daemon stop ends with a sweep that kills and
// reaps whatever is left below the harness. Nothing outside that tree is
// ever signalled.
//
// `make bench` runs the whole set (bounded to 12 minutes) and writes the raw
// numbers to bin/bench.json; BENCH=quick makes a short smoke run and
// BENCH_CASES=spawn,rpc,... picks case families (see Cases).
package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"
)

// Cases are the case families a run can select.
var Cases = []string{"spawn", "stop_all", "memory", "cpu", "rpc", "log", "ctl", "churn", "scale"}

// Options configure a run.
type Options struct {
	Mode   string   // "full" (default) or "quick"
	Cases  []string // families to run; empty means all
	Ours   Impl
	Oracle Impl
	// WorkDir holds every config, socket and log of the run; a temp dir
	// when empty. It is removed at the end unless KeepWorkDir.
	WorkDir     string
	KeepWorkDir bool
	// Budget bounds the whole run; cases not reached in time are reported
	// as skipped.
	Budget time.Duration
	// Progress receives one line per step (nil: silent).
	Progress io.Writer
}

// scale is the size of every case for one mode.
type scale struct {
	spawnNs        []int
	reps           map[int]int // spawn repetitions per N (default 1)
	mid, big       int         // the 100 / 500 program roles
	settle         time.Duration
	cpuWindow      time.Duration
	rpcMin, rpcMax int
	rpcDur         time.Duration
	clients        int
	concDur        time.Duration
	logBytes       int64
	logMax         string // stdout_logfile_maxbytes
	logBackups     int
	logRounds      int // direct write + daemon pairs per implementation
	ctlStatusRuns  int
	ctlRestartRuns int
	ctlDur         time.Duration // stop repeating after this (at least 3 runs)
	churnProgs     int
	churnWarm      time.Duration
	churnWindow    time.Duration
	spawnTimeout   time.Duration
	scaleNs        []int // the scale family's sizes, smallest first
}

func scaleFor(mode string) scale {
	if mode == "quick" {
		return scale{
			spawnNs: []int{1, 20}, reps: map[int]int{}, mid: 20, big: 40,
			settle: 100 * time.Millisecond, cpuWindow: time.Second,
			rpcMin: 10, rpcMax: 200, rpcDur: 200 * time.Millisecond, clients: 8, concDur: 300 * time.Millisecond,
			logBytes: 10_000_000, logMax: "3MB", logBackups: 3, logRounds: 1,
			ctlStatusRuns: 3, ctlRestartRuns: 2, ctlDur: time.Second,
			churnProgs: 5, churnWarm: 300 * time.Millisecond, churnWindow: 2 * time.Second,
			spawnTimeout: 30 * time.Second,
			scaleNs:      []int{10},
		}
	}
	return scale{
		// 500 programs is a target figure, and one start of it varies by a
		// quarter from run to run (and so does the floor): the median of 3.
		// 1,000 programs and more are the scale family's (scale.go).
		spawnNs: []int{1, 100, 500}, reps: map[int]int{1: 3, 100: 3, 500: 3}, mid: 100, big: 500,
		settle: time.Second, cpuWindow: 10 * time.Second,
		rpcMin: 10, rpcMax: 3000, rpcDur: 2 * time.Second, clients: 8, concDur: 3 * time.Second,
		// 200 MB decimal is under the 4 × 50 MiB the rotation keeps, so
		// every byte must still be on disk at the end.
		logBytes: 200_000_000, logMax: "50MB", logBackups: 3,
		// The direct write varies two-fold from one run to the next on a
		// shared disk (616 to 1,633 MB/s in one evening), so one pair's
		// share says little: the share is the median of several pairs.
		logRounds:     5,
		ctlStatusRuns: 20, ctlRestartRuns: 10, ctlDur: 8 * time.Second,
		churnProgs: 50, churnWarm: 2 * time.Second, churnWindow: 30 * time.Second,
		spawnTimeout: 120 * time.Second,
		scaleNs:      []int{1000, 5000},
	}
}

// OracleImpl returns Debian's Supervisor 4.2, or an Impl saying why it is
// unavailable.
func OracleImpl() Impl {
	im := Impl{Name: "oracle", Supervisord: []string{"/usr/bin/supervisord"}, Supervisorctl: []string{"/usr/bin/supervisorctl"}}
	if _, err := os.Stat(im.Supervisord[0]); err != nil {
		im.Unavailable = "skipped: /usr/bin/supervisord not installed"
	} else if err := exec.Command("/usr/bin/python3", "-c", "import supervisor").Run(); err != nil {
		im.Unavailable = "skipped: python3 cannot import supervisor"
	}
	return im
}

// OursImpl returns super's applets found in binDir.
func OursImpl(binDir string) Impl {
	if abs, err := filepath.Abs(binDir); err == nil {
		binDir = abs
	}
	im := Impl{Name: "ours", Supervisord: []string{filepath.Join(binDir, "supervisord")}, Supervisorctl: []string{filepath.Join(binDir, "supervisorctl")}}
	if _, err := os.Stat(im.Supervisord[0]); err != nil {
		im.Unavailable = "skipped: " + im.Supervisord[0] + " missing (make build)"
	}
	return im
}

type runner struct {
	opts   Options
	sc     scale
	ctx    context.Context
	parent context.Context // the caller's: done means interrupted
	work   string
	rep    *Report
	rows   map[string]*Result
	impls  [2]*Impl
	turn   int
	prefix string
}

func (r *runner) want(c string) bool {
	return len(r.opts.Cases) == 0 || slices.Contains(r.opts.Cases, c)
}

func (r *runner) logf(format string, args ...any) {
	if r.opts.Progress != nil {
		fmt.Fprintf(r.opts.Progress, "bench: "+format+"\n", args...)
	}
}

// row returns the table row for case/metric, creating it in run order.
func (r *runner) row(c, metric, unit string, lower bool) *Result {
	key := c + "\x00" + metric
	if res, ok := r.rows[key]; ok {
		return res
	}
	res := &Result{Case: c, Metric: metric, Unit: unit, LowerIsBetter: lower}
	r.rows[key] = res
	r.rep.Results = append(r.rep.Results, res)
	return res
}

func (r *runner) set(res *Result, im *Impl, m *Measure) {
	if im.Name == "ours" {
		res.Ours = m
	} else {
		res.Oracle = m
	}
}

func (r *runner) get(res *Result, im *Impl) *Measure {
	if im.Name == "ours" {
		return res.Ours
	}
	return res.Oracle
}

// order returns both implementations, alternating which goes first from
// one call to the next, so neither always runs on a warmer machine.
func (r *runner) order() []*Impl {
	r.turn++
	if r.turn%2 == 0 {
		return []*Impl{r.impls[1], r.impls[0]}
	}
	return []*Impl{r.impls[0], r.impls[1]}
}

func failed(err error) *Measure {
	return &Measure{Err: "failed: " + oneLine(err.Error())}
}

// budgetErr is the figure of a case the run did not reach: the budget
// ran out, or the run was interrupted.
func (r *runner) budgetErr() *Measure {
	if r.parent.Err() != nil {
		return &Measure{Err: "skipped: interrupted"}
	}
	return &Measure{Err: "skipped: time budget"}
}

// fail marks every row in rows as failed (or skipped) for im.
func (r *runner) fail(im *Impl, m *Measure, rows ...*Result) {
	for _, res := range rows {
		if r.get(res, im) == nil {
			r.set(res, im, m)
		}
	}
}

func (r *runner) errMeasure(err error) *Measure {
	if strings.HasPrefix(err.Error(), "skipped:") {
		return &Measure{Err: err.Error()}
	}
	if r.ctx.Err() != nil {
		return r.budgetErr()
	}
	return failed(err)
}

// Run performs the selected cases and returns the report. Cleanup of every
// process started is done before it returns, whatever happened.
func Run(ctx context.Context, opts Options) (rep *Report, err error) {
	if opts.Mode == "" {
		opts.Mode = "full"
	}
	if opts.Mode != "full" && opts.Mode != "quick" {
		return nil, fmt.Errorf("unknown mode %q (full or quick)", opts.Mode)
	}
	for _, c := range opts.Cases {
		if !slices.Contains(Cases, c) {
			return nil, fmt.Errorf("unknown case %q (one of %s)", c, strings.Join(Cases, ","))
		}
	}
	if opts.Budget <= 0 {
		opts.Budget = 12 * time.Minute
	}
	// 1,000 programs need some 5,000 descriptors in the daemon; the
	// daemons inherit this limit.
	var lim syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim) == nil && lim.Cur < lim.Max {
		lim.Cur = lim.Max
		syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim)
	}
	if err := becomeSubreaper(); err != nil {
		return nil, fmt.Errorf("prctl(PR_SET_CHILD_SUBREAPER): %w", err)
	}
	work := opts.WorkDir
	if work == "" {
		if work, err = os.MkdirTemp("", "super-bench-"); err != nil {
			return nil, err
		}
	} else if err := os.MkdirAll(work, 0o755); err != nil {
		return nil, err
	}
	if !opts.KeepWorkDir {
		defer os.RemoveAll(work)
	}
	rctx, cancel := context.WithTimeout(ctx, opts.Budget)
	defer cancel()
	start := time.Now()
	r := &runner{
		opts: opts, sc: scaleFor(opts.Mode), ctx: rctx, parent: ctx, work: work,
		rows: map[string]*Result{},
		rep: &Report{
			Date: start.UTC().Format(time.RFC3339), Mode: opts.Mode, Host: hostInfo(),
			Ours: strings.Join(opts.Ours.Supervisord, " "), Oracle: strings.Join(opts.Oracle.Supervisord, " "),
		},
	}
	r.rep.Load[0] = loadAvg()
	r.impls = [2]*Impl{&opts.Ours, &opts.Oracle}
	r.rep.Ours += version(opts.Ours)
	r.rep.Oracle += version(opts.Oracle)
	defer func() {
		// Whatever happened (a panic included), nothing started may survive.
		if serr := sweep(10 * time.Second); serr != nil {
			r.rep.Problems = append(r.rep.Problems, "final sweep: "+serr.Error())
		}
		r.rep.Seconds = time.Since(start).Seconds()
		r.rep.Load[1] = loadAvg()
		rep = r.rep
	}()
	r.runAll()
	return r.rep, nil
}

func version(im Impl) string {
	if im.Unavailable != "" {
		return " (" + im.Unavailable + ")"
	}
	out, err := exec.Command(im.Supervisord[0], "-v").CombinedOutput()
	if err != nil {
		return ""
	}
	return " " + strings.TrimSpace(string(out))
}

func (r *runner) runAll() {
	sc := r.sc
	if r.want("memory") {
		r.session(0, 1, r.idle)
	}
	for _, n := range sc.spawnNs {
		r.spawnSession(n)
	}
	if sc.big != 0 && !slices.Contains(sc.spawnNs, sc.big) && (r.want("rpc") || r.want("stop_all") || r.want("memory") || r.want("ctl")) {
		r.session(sc.big, 1, r.afterSpawn)
	}
	if r.want("log") {
		r.logCase()
	}
	if r.want("churn") {
		r.churnCase()
	}
	// The most expensive family runs last: if the budget runs out, the
	// fewest figures are lost.
	if r.want("scale") {
		r.scaleCase()
	}
}

// spawnSession runs the session of n programs if a selected case needs it.
func (r *runner) spawnSession(n int) {
	sc := r.sc
	need := r.want("spawn")
	switch n {
	case sc.mid:
		need = need || r.want("memory") || r.want("cpu") || r.want("rpc") || r.want("ctl") || r.want("stop_all")
	case sc.big:
		need = need || r.want("memory") || r.want("rpc") || r.want("ctl") || r.want("stop_all")
	}
	if need {
		r.session(n, max(1, sc.reps[n]), r.afterSpawn)
	}
}

// session runs reps rounds of: the fork/exec floor, then each
// implementation's daemon on n sleepers until all are RUNNING; after the
// last round's spawn, after(d) measures the rest on the running daemon.
func (r *runner) session(n, reps int, after func(im *Impl, n int, d *daemon, spawnErr error)) {
	var spawnRow, floorRow *Result
	if n > 0 && r.want("spawn") {
		spawnRow = r.row(fmt.Sprintf("spawn_%d", n), "start→all RUNNING", "s", true)
		spawnRow.RefName = "floor"
		floorRow = spawnRow
	}
	samples := map[string][]float64{}
	forkedS := map[string][]float64{} // start → all n children exist
	var floors []float64
	var floorErr, lastErr = error(nil), map[string]error{}
	for rep := range reps {
		last := rep == reps-1
		if floorRow != nil && r.ctx.Err() == nil {
			f, err := spawnFloor(n)
			if err != nil {
				floorErr = err
			} else {
				floors = append(floors, f.Seconds())
			}
			if err := sweep(10 * time.Second); err != nil {
				r.rep.Problems = append(r.rep.Problems, "floor: "+err.Error())
			}
		}
		for _, im := range r.order() {
			if im.Unavailable != "" {
				if spawnRow != nil {
					r.set(spawnRow, im, &Measure{Err: im.Unavailable})
				}
				if last {
					after(im, n, nil, errors.New(im.Unavailable))
				}
				continue
			}
			if r.ctx.Err() != nil {
				lastErr[im.Name] = r.ctx.Err()
				if last {
					after(im, n, nil, r.ctx.Err())
				}
				continue
			}
			dir := filepath.Join(r.work, fmt.Sprintf("n%d-%s-%d", n, im.Name, rep))
			r.logf("%s: %d programs, round %d/%d", im.Name, n, rep+1, reps)
			d, err := startDaemon(im, dir, sleepers(n))
			if err == nil {
				var took, forked time.Duration
				took, forked, err = d.waitSpawned(r.ctx, n, r.sc.spawnTimeout)
				if err == nil {
					samples[im.Name] = append(samples[im.Name], took.Seconds())
					forkedS[im.Name] = append(forkedS[im.Name], forked.Seconds())
					r.logf("%s: %d programs RUNNING after %v", im.Name, n, took.Round(time.Millisecond))
				}
			}
			if err != nil {
				lastErr[im.Name] = err
				r.logf("%s: %d programs: %v", im.Name, n, err)
			}
			if last {
				after(im, n, d, err)
			}
			if d != nil {
				if serr := d.stop(30 * time.Second); serr != nil {
					r.rep.Problems = append(r.rep.Problems, fmt.Sprintf("%s n=%d: %v", im.Name, n, serr))
				}
			}
			os.RemoveAll(dir)
		}
	}
	if spawnRow == nil {
		return
	}
	for _, im := range r.impls {
		if im.Unavailable != "" {
			continue
		}
		if s := samples[im.Name]; len(s) > 0 {
			r.set(spawnRow, im, &Measure{Value: median(s), Samples: s,
				Extra: map[string]float64{"children_s": median(forkedS[im.Name])}})
		} else if err := lastErr[im.Name]; err != nil {
			r.set(spawnRow, im, r.errMeasure(err))
		} else {
			r.set(spawnRow, im, r.budgetErr())
		}
	}
	if len(floors) > 0 {
		spawnRow.Ref = &Measure{Value: median(floors), Samples: floors}
	} else if floorErr != nil {
		spawnRow.Ref = failed(floorErr)
	} else {
		spawnRow.Ref = r.budgetErr()
	}
}

// spawnFloor fork/execs n sleeps from a bare loop holding no other
// descriptors: what any supervisor's spawning costs at least on this
// machine. It forks with syscall.ForkExec, the daemon's own call, rather
// than os/exec: since Go 1.23 each started exec.Cmd keeps a pidfd open,
// so a loop of exec.Command grows its own descriptor table with every
// child and the floor itself would cost more per child as n grows (5,000
// sleeps: 6.4-9.4 s against 2.4-4.0 s, same machine, same minute).
func spawnFloor(n int) (time.Duration, error) {
	path, err := exec.LookPath("sleep")
	if err != nil {
		return 0, err
	}
	null, err := syscall.Open(os.DevNull, syscall.O_RDWR|syscall.O_CLOEXEC, 0)
	if err != nil {
		return 0, err
	}
	defer syscall.Close(null)
	pids := make([]int, 0, n)
	defer func() {
		for _, pid := range pids {
			syscall.Kill(pid, syscall.SIGKILL)
		}
		for _, pid := range pids {
			var ws syscall.WaitStatus
			syscall.Wait4(pid, &ws, 0, nil)
		}
	}()
	argv := []string{"sleep", "900"}
	attr := &syscall.ProcAttr{Files: []uintptr{uintptr(null), uintptr(null), uintptr(null)}}
	t := time.Now()
	for range n {
		pid, err := syscall.ForkExec(path, argv, attr)
		if err != nil {
			return 0, err
		}
		pids = append(pids, pid)
	}
	return time.Since(t), nil
}

// idle measures the RSS of a daemon without programs.
func (r *runner) idle(im *Impl, _ int, d *daemon, err error) {
	row := r.row("memory_idle", "rss", "MiB", true)
	if err != nil {
		r.fail(im, r.errMeasure(err), row)
		return
	}
	if err := d.waitRPC(r.ctx, 30*time.Second); err != nil {
		r.fail(im, r.errMeasure(err), row)
		return
	}
	time.Sleep(r.sc.settle)
	v, err := rssMiB(d.pid)
	if err != nil {
		r.fail(im, failed(err), row)
		return
	}
	r.set(row, im, &Measure{Value: v})
}
