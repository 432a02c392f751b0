// Package supervisor owns every process group of a running supervisord and
// serialises every change of their state on one goroutine (the loop run by
// Run). Requests from other goroutines (RPC handlers), reaped children,
// timers and signals to the daemon are all messages to that loop, so no
// process state is ever shared or locked.
package supervisor

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/signal"
	"runtime/debug"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"super/core/config"
	"super/core/events"
	"super/core/health"
	"super/core/logging"
	"super/core/process"
)

// Logger is the activity log; core/logging's *Logger satisfies it.
type Logger = process.Logger

// Deps are what a Supervisor takes from its surroundings.
type Deps struct {
	// Logger is the activity log (nil: discard).
	Logger Logger
	// Sinks opens a process's output stream at each spawn. nil: the
	// configured stdout_logfile/stderr_logfile through core/logging.
	Sinks process.SinkFactory
	// Reload re-reads the configuration for a restart (SIGHUP, Restart).
	// nil: Run returns ErrRestart instead and the caller starts over.
	Reload func() (*config.Config, error)
	// ReopenLogs reopens the activity log on SIGUSR2 (nil: nothing).
	ReopenLogs func()
	// HandleSignals makes Run handle SIGTERM, SIGINT, SIGQUIT (shut down),
	// SIGHUP (restart) and SIGUSR2 (reopen logs) sent to the daemon.
	HandleSignals bool
	// ServerURL is SUPERVISOR_SERVER_URL for serverurl=AUTO; "" derives it
	// from the config as 4.2 does (the unix socket, else the inet port).
	ServerURL string
	// Subreaper makes the daemon a child subreaper (PR_SET_CHILD_SUBREAPER)
	// so orphaned grandchildren are re-parented to it and reaped.
	Subreaper bool
	// Quiet is called when the daemon has gone quiet after some work, just
	// before unused heap is handed back to the system: what is kept only
	// to serve bursts faster (answer buffers) can be dropped then.
	Quiet func()
	// Busy is called when work begins after a quiet time, and again
	// every releaseQuiet while it goes on; Quiet follows each burst.
	Busy func()
}

// ErrRestart is returned by Run after a restart request when Deps.Reload
// is nil: every child has been stopped and the caller should load the
// configuration again and run a new Supervisor (as 4.2's main loop does).
var ErrRestart = errors.New("supervisor: restart requested")

// State is supervisord's own state (4.2's SupervisorStates).
type State int

// supervisord states, with 4.2's codes.
const (
	StateFatal      State = 2
	StateRunning    State = 1
	StateRestarting State = 0
	StateShutdown   State = -1
)

// String is the state's name as getState returns it ("RUNNING").
func (s State) String() string {
	switch s {
	case StateFatal:
		return "FATAL"
	case StateRunning:
		return "RUNNING"
	case StateRestarting:
		return "RESTARTING"
	case StateShutdown:
		return "SHUTDOWN"
	}
	return fmt.Sprintf("State(%d)", int(s))
}

// Supervisor runs the process groups of one configuration.
type Supervisor struct {
	deps Deps
	log  Logger

	reqs    chan func()
	sigs    chan os.Signal
	done    chan struct{} // closed when Run returns
	running chan struct{} // closed when the loop is serving requests

	subMu    sync.Mutex
	subs     map[int]func(Event)
	nextSub  int
	detailed atomic.Int32 // subscribers that want Event.Info and Stats (snapshot.go)

	bus *events.Bus // listener pools; safe for any goroutine

	release releaser // returns idle heap after bursts of work

	autoLogs *autoLogMaker // creates AUTO log files off the loop

	// Everything below is owned by the loop goroutine.
	cfg        *config.Config
	mood       process.Mood
	groups     map[string]*group
	order      []*group // priority order
	orderGen   int      // changes whenever order does
	listed     []*proc  // all processes by group and name, as of listedGen
	listedGen  int
	pids       map[int]*proc
	waits      []*waiter
	launcher   *process.Launcher
	stopping   bool
	stopGroups []*group
	lastReport time.Time
	dep        depGraph        // depends_on relations (depends.go)
	sched      schedules       // the scheduled processes (schedule.go)
	exit       exitState       // the exit policy's status (exitpolicy.go)
	probeKids  health.Children // exec health checks' children, shared with the reaper (health.go)
	draining   sync.WaitGroup  // output readers of reaped children still copying (awaitOutput)
	notif      *notifyHub      // the sd_notify socket; nil until a process needs it (notify.go)
	cgroups    cgroupState     // the daemon's cgroup tree (resources.go)
	act        activity        // which processes the next pass looks at (active.go)
	reaping    reapState       // the exits the loop expects, the last look at every child (reap.go)
}

type group struct {
	cfg    *config.GroupConfig
	procs  []*proc          // priority order
	byName map[string]*proc // by process name; nil for a group of one (see proc)
	pool   *events.Pool     // [eventlistener:x] only
	sock   *fcgiSocket      // [fcgi-program:x] only
}

// proc finds a process of the group by name (nil: none). Most groups are
// one program's one process: they have no map (a map of one costs about
// 200 bytes, a megabyte at 5,000 programs).
func (g *group) proc(name string) *proc {
	if g.byName != nil {
		return g.byName[name]
	}
	if len(g.procs) == 1 && g.procs[0].Name() == name {
		return g.procs[0]
	}
	return nil
}

// inNameOrder is the group's processes by name, each name once (the last
// of a name, as the map keeps it).
func (g *group) inNameOrder() []*proc {
	if g.byName == nil {
		return g.procs
	}
	out := make([]*proc, 0, len(g.byName))
	for _, name := range sortedKeys(g.byName) {
		out = append(out, g.byName[name])
	}
	return out
}

type proc struct {
	*process.Process
	group     *group
	stdoutLog string // log file paths with AUTO resolved; "" = none
	stderrLog string
	launched  *process.Launched
	stats                  // super's own counters and health (stats.go)
	dep       depState     // depends_on relations (depends.go)
	hc        *healthRun   // health checking; nil without a healthcheck (health.go)
	nt        *notifyState // sd_notify status and watchdog; nil unless notify or watchdog_secs (notify.go)
	res       resState     // OOM kills, memory_restart (resources.go)
	sched     *scheduleRun // schedule=; nil without one (schedule.go)
	rl        *readyWatch  // ready_log_line: the watch of the latest spawn; nil without the key (logs.go)
	pos       int          // its place in the loop's pass order (active.go)
	desc      descCache    // its last description, kept while it reads the same (infos.go)
}

// waiter is a request that completes on a later state change (4.2's
// deferred callbacks for wait=true).
type waiter struct {
	check    func() (bool, error) // true when finished, with the outcome
	deadline func() time.Time     // next time check must run regardless of events; may be nil
	done     chan error
}

type discardLogger struct{}

func (discardLogger) Critical(string, ...any) {}
func (discardLogger) Error(string, ...any)    {}
func (discardLogger) Warn(string, ...any)     {}
func (discardLogger) Info(string, ...any)     {}
func (discardLogger) Debug(string, ...any)    {}
func (discardLogger) Trace(string, ...any)    {}
func (discardLogger) Blather(string, ...any)  {}

// New returns a Supervisor for cfg; nothing starts before Run.
func New(cfg *config.Config, deps Deps) *Supervisor {
	s := &Supervisor{
		deps:    deps,
		log:     deps.Logger,
		reqs:    make(chan func()),
		sigs:    make(chan os.Signal, 8),
		done:    make(chan struct{}),
		running: make(chan struct{}),
		subs:    map[int]func(Event){},
		cfg:     cfg,
		mood:    process.MoodRunning,
	}
	s.release.quiet, s.release.onBusy = deps.Quiet, deps.Busy
	if s.log == nil {
		s.log = discardLogger{}
	}
	s.bus = events.NewBus(cfg.Supervisord.Identifier, s.log)
	s.autoLogs = newAutoLogMaker(s.log)
	return s
}

// serverURL is 4.2's fallback SUPERVISOR_SERVER_URL: the unix socket, else
// the inet server (host "localhost" when empty).
func serverURL(cfg *config.Config) string {
	if cfg.UnixHTTP != nil {
		return "unix://" + cfg.UnixHTTP.File
	}
	if cfg.InetHTTP != nil {
		host := cfg.InetHTTP.Host
		if host == "" {
			host = "localhost"
		}
		return fmt.Sprintf("http://%s:%d", host, cfg.InetHTTP.Port)
	}
	return ""
}

// setup (re)creates the groups of s.cfg; all processes start STOPPED.
func (s *Supervisor) setup() {
	url := s.deps.ServerURL
	if url == "" {
		url = serverURL(s.cfg)
	}
	s.launcher = &process.Launcher{
		DaemonEnv: s.cfg.Supervisord.Environment,
		ServerURL: url,
		Sinks:     s.deps.Sinks,
		LogFile:   s.logFile,
	}
	if s.launcher.Sinks == nil {
		s.launcher.Sinks = s.openSink
	}
	s.launcher.Sinks = s.eventSinks(s.launcher.Sinks)
	s.launcher.Stdin = s.fcgiStdin
	s.launcher.NotifySocket = s.notifySocket
	for _, g := range s.order { // a restart: the old pools go
		if g.pool != nil {
			g.pool.Remove()
		}
	}
	s.bus.SetIdentifier(s.cfg.Supervisord.Identifier)
	s.autoLogs.hold()
	s.groups = map[string]*group{}
	s.order = nil
	s.orderGen++
	s.pids = map[int]*proc{}
	s.stopping = false
	s.stopGroups = nil
	dir := &dirCheck{} // childlogdir is looked at once for all the groups
	for _, g := range s.cfg.Groups {
		s.addGroupChecked(g, dir)
	}
	s.touchAll() // active.go
}

// logFile maps a process's configured log file to its path, resolving AUTO
// to the file created for the process.
func (s *Supervisor) logFile(c *config.ProcessConfig, stream string) string {
	g := s.groups[c.Group]
	if g != nil {
		if p := g.proc(c.Name); p != nil {
			if stream == "stdout" {
				return p.stdoutLog
			}
			return p.stderrLog
		}
	}
	if stream == "stdout" {
		return c.Stdout.Logfile
	}
	return c.Stderr.Logfile
}

// openSink is the default SinkFactory: a core/logging stream writing the
// configured log file (rotation, syslog, strip_ansi included).
func (s *Supervisor) openSink(c *config.ProcessConfig, stream string) (io.WriteCloser, error) {
	lc := c.Stdout
	if stream == "stderr" {
		lc = c.Stderr
	}
	if lc.Logfile == config.LogAuto { // not resolved (no childlogdir): drop
		lc.Logfile = config.LogNone
	}
	opts := logging.StreamOptions{
		Process:   c.Name,
		Channel:   stream,
		Log:       lc,
		StripANSI: s.cfg.Supervisord.StripANSI,
		Auto:      s.isAutoLog(c, stream),
	}
	if al, ok := s.log.(*logging.Logger); ok {
		opts.Activity = al
	} else {
		opts.Activity = quietLogger
	}
	if s.cfg.Supervisord.ContainerLogs && !(c.IsEventListener && stream == "stdout") { // a listener's stdout is the protocol
		opts.Console, opts.ConsoleName = logging.StdoutConsole, Namespec(c.Group, c.Name)
		if stream == "stderr" {
			opts.Console = logging.StderrConsole
		}
		opts.ConsoleFormat, opts.ConsoleSource = consoleOf(s.cfg.Supervisord, c, stream)
	}
	s.readyLineOpts(c, stream, &opts)
	es := s.streamEvents(c, stream, &opts)
	st, err := logging.NewStream(opts)
	if err != nil {
		st.Close()
		return nil, err
	}
	es.Stream = st
	return es, nil
}

// isAutoLog reports whether c's stream logs to an AUTO file (c carries the
// resolved path by now; the process's own config still says AUTO).
func (s *Supervisor) isAutoLog(c *config.ProcessConfig, stream string) bool {
	g := s.groups[c.Group]
	if g == nil {
		return false
	}
	p := g.proc(c.Name)
	if p == nil {
		return false
	}
	if stream == "stdout" {
		return p.Config.Stdout.Logfile == config.LogAuto && p.stdoutLog != ""
	}
	return p.Config.Stderr.Logfile == config.LogAuto && p.stderrLog != ""
}

// quietLogger receives log-file problems when the activity log is not a
// core/logging Logger (tests with fakes).
var quietLogger *logging.Logger // nil: a Logger that drops everything

func (s *Supervisor) addGroup(gc *config.GroupConfig) bool {
	return s.addGroupChecked(gc, &dirCheck{})
}

// addGroupChecked is addGroup with dir as what is known of childlogdir.
func (s *Supervisor) addGroupChecked(gc *config.GroupConfig, dir *dirCheck) bool {
	if _, ok := s.groups[gc.Name]; ok {
		return false
	}
	g := &group{cfg: gc}
	if len(gc.Processes) > 1 {
		g.byName = make(map[string]*proc, len(gc.Processes))
	}
	switch {
	case gc.Kind == config.KindEventListener:
		g.pool = s.newPool(gc)
	case gc.Kind == config.KindFCGI && gc.Socket != nil:
		g.sock = &fcgiSocket{cfg: gc.Socket, log: s.log}
		if err := g.sock.check(); err != nil {
			s.log.Error("%v", err)
		}
	}
	auto := autoBatch{dir: dir}
	for _, pc := range gc.Processes {
		p := &proc{group: g}
		if pc.Healthcheck != nil {
			p.health = HealthStarting
		}
		p.stdoutLog = s.resolveLog(pc, pc.Stdout.Logfile, "stdout", &auto)
		p.stderrLog = s.resolveLog(pc, pc.Stderr.Logfile, "stderr", &auto)
		cg, noCgroup := s.cgroupFor(pc)
		p.Process = process.New(pc, process.Options{
			Log:       s.log,
			Spawner:   s.launcher,
			Notify:    s.onChange,
			Cgroup:    cg,
			CgroupErr: noCgroup,
		})
		g.procs = append(g.procs, p)
		if g.byName != nil {
			g.byName[pc.Name] = p
		}
	}
	sort.SliceStable(g.procs, func(i, j int) bool { return g.procs[i].Config.Priority < g.procs[j].Config.Priority })
	s.autoLogs.add(auto.files...)
	s.groups[gc.Name] = g
	// After every group of the same or a lower priority number, as a
	// stable sort would put it (sorting all the groups again at each
	// addition was a fifth of building 500 of them).
	at := sort.Search(len(s.order), func(i int) bool { return s.order[i].cfg.Priority > gc.Priority })
	s.order = slices.Insert(s.order, at, g)
	s.orderGen++
	s.emit(Event{Type: GroupAdded, Group: gc.Name})
	return true
}

func (s *Supervisor) resolveLog(pc *config.ProcessConfig, v, stream string, auto *autoBatch) string {
	switch v {
	case config.LogAuto:
		dir := s.cfg.Supervisord.Childlogdir
		if dir == "" {
			dir = os.TempDir()
		}
		ident := s.cfg.Supervisord.Identifier
		if ident == "" {
			ident = "supervisor"
		}
		path, err := logging.AutoChildLogPath(dir, pc.Name, ident, stream)
		if err == nil {
			err = auto.checkDir(dir, path)
		}
		if err != nil {
			s.log.Error("could not create %s log for %s: %v", stream, pc.Name, err)
			return ""
		}
		auto.files = append(auto.files, autoLog{path: path, process: pc.Name, channel: stream})
		return path
	case config.LogSyslog:
		return ""
	}
	return v
}

// autoBatch collects the AUTO logs of one group being built.
type autoBatch struct {
	files []autoLog
	dir   *dirCheck
}

// dirCheck is what os.Stat said of childlogdir, asked once per setup (or
// per group added later).
type dirCheck struct {
	checked bool
	err     error // from os.Stat of childlogdir; nil: a directory
	notDir  bool
}

// checkDir reports a missing or unusable childlogdir now, as 4.2's mkstemp
// fails at this point, rather than at the first output; the directory is
// looked at once, not per log.
func (b *autoBatch) checkDir(dir, path string) error {
	c := b.dir
	if !c.checked {
		c.checked = true
		st, err := os.Stat(dir)
		c.err, c.notDir = err, err == nil && !st.IsDir()
	}
	if c.notDir {
		return &fs.PathError{Op: "open", Path: path, Err: syscall.ENOTDIR}
	}
	return c.err
}

func (s *Supervisor) unstopped(g *group) []*proc {
	var out []*proc
	for _, p := range g.procs {
		if !p.State().IsStopped() {
			out = append(out, p)
		}
	}
	return out
}

func (s *Supervisor) removeGroup(name string) bool {
	g := s.groups[name]
	if len(s.unstopped(g)) > 0 {
		return false
	}
	delete(s.groups, name)
	if g.pool != nil {
		g.pool.Remove()
	}
	if g.sock != nil {
		g.sock.remove()
	}
	for i, x := range s.order {
		if x == g {
			s.order = append(s.order[:i:i], s.order[i+1:]...)
			s.orderGen++
			break
		}
	}
	s.emit(Event{Type: GroupRemoved, Group: name})
	return true
}

func (s *Supervisor) onChange(c process.Change) {
	p := c.Process
	if q := s.procOf(p); q != nil {
		s.mark(q) // active.go
		s.expectChange(q, c)
		if c.To == process.Starting {
			q.starts++
		}
	}
	s.healthChange(c)
	s.notifyChange(c)
	s.memoryChange(c)
	if g := s.groups[p.Config.Group]; g != nil && g.pool != nil {
		if l := g.pool.Listener(p.Name()); l != nil {
			l.SetRunning(c.To == process.Running)
		}
	}
	s.emit(Event{
		Type: ProcessState, Name: p.Name(), Group: p.Config.Group,
		From: c.From, To: c.To, Expected: c.Expected, Pid: p.Pid(), Tries: p.Backoff(),
		Time: time.Now(),
	})
	s.exitPolicy(c)
}

// spawn starts p, as asked for (a request: a restart delay starts over),
// and records its pid for the reaper.
func (s *Supervisor) spawn(p *proc) {
	before := p.Pid()
	p.Start()
	s.track(p, before)
}

// transition runs every process's due decisions, in priority order, as
// 4.2's main loop does on each pass.
//
// Automatic starts of consecutive processes overlap: while one child
// forks and execs (most of a spawn is the kernel copying and closing the
// daemon's descriptor table for it), the loop prepares the next one; at
// most spawnWindow are under way. Each is finished ("spawned:" logged, pid
// recorded) in order, and all of them before the pass does anything else:
// another transition, a request, the reaper. So the log reads as if they
// were one after the other; only a failed start's BACKOFF event may come
// after the next process's STARTING.
//
// A spawn waits for the child's exec, a few milliseconds on a busy
// machine, so a pass that starts many programs would keep requests
// waiting for all of them: once a spawn is done, requests already waiting
// are served. One that adds or removes a group ends the pass; the next
// pass goes on in the new order.
func (s *Supervisor) transition() {
	s.resolveDeps()
	s.tickSchedules()
	gen := s.orderGen
	spawned := 0
	var forking []func() // starts under way, oldest first
	finish := func(n int) {
		for _, f := range forking[:n] {
			f()
		}
		forking = append(forking[:0], forking[n:]...)
	}
	defer func() {
		finish(len(forking))
		if spawned > 0 {
			s.release.touch()
		}
	}()
	flat, marks := s.passList() // active.go
	for i, p := range flat {
		if !marks[i] {
			continue
		}
		if s.dep.any && (len(p.dep.on) > 0 || len(p.dep.missing) > 0) {
			// Whether p waits, and what the log says about it, depends
			// on how the starts before it went: finished first.
			finish(len(forking))
			if s.holdStart(p) {
				continue
			}
		}
		if !p.AutoStartNow(s.mood) {
			finish(len(forking)) // what p does next may show
		}
		before := p.Pid()
		if f := p.StartTransition(s.mood); f != nil {
			spawned++
			forking = append(forking, func() {
				f()
				s.track(p, before)
				s.visited(p)
			})
			if len(forking) == spawnWindow {
				finish(1)
			}
			select {
			case fn := <-s.reqs:
				// A request waits: it sees no start half done.
				finish(len(forking))
				s.serve(fn)
			default:
				continue
			}
		} else {
			s.track(p, before)
			s.visited(p)
			if p.Pid() == before {
				continue
			}
			spawned++
		}
		s.serveWaiting()
		if s.orderGen != gen {
			return
		}
	}
}

// spawnWindow is how many automatic starts of one pass may be forking at
// once. With more under way the two cores stay busy while each fork waits
// on the kernel: the pass for 500 programs took (16 alternating runs,
// medians) 504 ms with 2, 505 with 4, 475 with 8 and 480 with 12. Each
// one under way holds a goroutine and its child's pipes, nothing more.
const spawnWindow = 8

// releaser hands unused heap back to the system once the daemon has been
// quiet for releaseQuiet after some work (spawns, requests). Bursts such
// as starting hundreds of programs or answering getAllProcessInfo leave
// their garbage as free heap that the runtime returns only slowly, so a
// daemon that is idle most of the time would hold several MiB it does not
// use. While work goes on nothing is released; a release is one
// collection of a small heap. (A second one, to free what the sync.Pools
// keep in their victim caches, cost an idle daemon 0.3 MiB more than it
// freed: the collector's own structures for the extra cycle.)
//
// A request counts as work from its start to its end (begin, end): one
// that runs longer than releaseQuiet (stopping or starting 5,000 programs
// takes seconds) is not released in the middle, and its garbage is
// released after it. Timed from its start only, the release came during
// the request and the garbage of the rest stayed: 48 MiB at 5,000
// programs after start, stop and restart all, of which 8 MiB free heap
// and 4 MiB garbage.
type releaser struct {
	last  atomic.Int64 // time of the last work, UnixNano
	busy  atomic.Int32 // requests under way
	armed atomic.Bool
	quiet func() // Deps.Quiet; may be nil
	// onBusy is Deps.Busy; may be nil.
	onBusy func()
}

const releaseQuiet = 250 * time.Millisecond

func (r *releaser) touch() {
	r.last.Store(time.Now().UnixNano())
	if r.armed.CompareAndSwap(false, true) {
		if r.onBusy != nil {
			r.onBusy()
		}
		time.AfterFunc(releaseQuiet, r.fire)
	}
}

// begin and end bracket a request: no release while one is under way.
func (r *releaser) begin() {
	r.busy.Add(1)
	r.touch()
}

func (r *releaser) end() {
	r.touch()
	r.busy.Add(-1)
}

func (r *releaser) fire() {
	wait := time.Duration(r.last.Load() + int64(releaseQuiet) - time.Now().UnixNano())
	if r.busy.Load() > 0 {
		wait = releaseQuiet
	}
	if wait > 0 {
		if r.onBusy != nil {
			r.onBusy()
		}
		time.AfterFunc(wait, r.fire)
		return
	}
	r.armed.Store(false)
	if r.quiet != nil {
		r.quiet()
	}
	debug.FreeOSMemory()
}

// serveWaiting runs the requests already waiting for the loop, at most
// maxServedPerPass, without blocking.
func (s *Supervisor) serveWaiting() {
	for range maxServedPerPass {
		select {
		case fn := <-s.reqs:
			s.serve(fn)
		default:
			return
		}
	}
}

// track records a pid p got since it had before, for the reaper.
func (s *Supervisor) track(p *proc, before int) {
	if pid := p.Pid(); pid != 0 && pid != before {
		s.pids[pid] = p
		s.resourcesSpawned(p)
		p.launched, _ = p.Child().(*process.Launched)
		if p.group.pool != nil && p.launched != nil {
			if l := p.group.pool.Listener(p.Name()); l != nil {
				l.SetStdin(p.launched)
			}
		}
	}
}

// reap collects every exited child (wait4(-1, WNOHANG) until none is left)
// and hands each to its process; pids not ours (orphans re-parented to us)
// are just logged, as 4.2 does.
func (s *Supervisor) reap() {
	s.drainNotify() // a READY=1 sent before the exit comes first
	next := s.exits()
	for {
		var ws syscall.WaitStatus
		// Expected children by pid, then wait4(-1, WNOHANG), handing exec
		// health checks' children to their probes (reap.go).
		pid, err := next(&ws)
		if err == syscall.EINTR {
			continue
		}
		if err != nil || pid <= 0 {
			if err != nil && err != syscall.ECHILD {
				s.log.Critical("waitpid error %s; a process may not be cleaned up properly", process.ErrnoName(err))
			}
			return
		}
		s.reaped(pid, ws)
	}
}

// reaped hands one collected exit to its process.
func (s *Supervisor) reaped(pid int, ws syscall.WaitStatus) {
	p := s.pids[pid]
	if p == nil {
		_, msg := process.DecodeWaitStatus(ws)
		s.log.Info("reaped unknown pid %d (%s)", pid, msg)
		return
	}
	delete(s.pids, pid)
	s.mark(p) // active.go
	// No transition first: a child still STARTING whose startsecs
	// have passed goes to RUNNING inside Finish without a "success:"
	// line, as in 4.2. The loop runs every transition before it reaps,
	// so only a child that exited within the pass that started it (or
	// since the pass's transitions) gets there.
	// The child's last output first: what it wrote before it exited
	// is logged (and its PROCESS_LOG events published) before the
	// exit is, as 4.2's loop reads the pipes before it reaps.
	if p.launched != nil {
		p.launched.FlushOutput()
	}
	p.countExit(ws)
	p.Finish(ws)
	s.resourcesReaped(p)
	if p.launched != nil {
		s.draining.Add(1)
		go func(l *process.Launched) {
			l.Wait()
			s.draining.Done()
		}(p.launched)
	}
	p.launched = nil
}

// Event is a change the supervisor announces to subscribers.
type Event struct {
	Type        EventType
	Name, Group string        // process and group (Group only for group events)
	From, To    process.State // ProcessState events
	Expected    bool          // ProcessState: false for an unexpected exit
	Pid         int           // ProcessState: the pid (0 when none)
	Tries       int           // ProcessState: failed starts in a row
	Time        time.Time
	Restart     bool // SupervisorStopping: everything stops for a restart, not a shutdown

	// For SubscribeDetailed's subscribers (snapshot.go): the process as
	// getProcessInfo and Stats show it right after a ProcessState or
	// HealthChanged event.
	Info  *ProcessInfo
	Stats *ProcessStats
}

// EventType says what an Event is about.
type EventType int

// Event types.
const (
	ProcessState       EventType = iota // a process changed state
	SupervisorRunning                   // the supervisor is up and starting processes
	SupervisorStopping                  // the supervisor began stopping everything
	GroupAdded                          // a process group was added
	GroupRemoved                        // a process group was removed
	SupervisorStarted                   // the first start pass is done: the loop waits for the first time
	HealthChanged                       // a process's health verdict changed (snapshot.go)
)

// Subscribe calls fn for every Event, on the supervisor's loop goroutine,
// in order. fn must not block and must not call the Supervisor's methods
// (they wait for the loop); queue the event instead. The returned function
// cancels the subscription.
func (s *Supervisor) Subscribe(fn func(Event)) (cancel func()) {
	s.subMu.Lock()
	id := s.nextSub
	s.nextSub++
	s.subs[id] = fn
	s.subMu.Unlock()
	return func() {
		s.subMu.Lock()
		delete(s.subs, id)
		s.subMu.Unlock()
	}
}

func (s *Supervisor) emit(e Event) {
	s.subMu.Lock()
	fns := make([]func(Event), 0, len(s.subs))
	for _, fn := range s.subs {
		fns = append(fns, fn)
	}
	s.subMu.Unlock()
	if s.detailed.Load() > 0 {
		s.snapshot(&e)
	}
	for _, fn := range fns {
		fn(e)
	}
	s.publish(e)
}

// handleSignal is 4.2's handle_signal.
func (s *Supervisor) handleSignal(sig syscall.Signal) {
	name := process.SignalName(sig)
	switch sig {
	case syscall.SIGTERM, syscall.SIGINT, syscall.SIGQUIT:
		s.log.Warn("received %s indicating exit request", name)
		s.mood = process.MoodShutdown
	case syscall.SIGHUP:
		if s.mood == process.MoodShutdown {
			s.log.Warn("ignored %s indicating restart request (shutdown in progress)", name)
		} else {
			s.log.Warn("received %s indicating restart request", name)
			s.mood = process.MoodRestarting
		}
	case syscall.SIGCHLD:
		s.log.Debug("received %s indicating a child quit", name)
	case syscall.SIGUSR2:
		s.log.Info("received %s indicating log reopen request", name)
		s.reopenLogs()
	default:
		s.log.Blather("received %s indicating nothing", name)
	}
}

func (s *Supervisor) reopenLogs() {
	s.log.Info("supervisord logreopen")
	if s.deps.ReopenLogs != nil {
		s.deps.ReopenLogs()
	}
	for _, g := range s.order {
		for _, p := range g.procs {
			if p.launched != nil {
				p.launched.ReopenLogs()
			}
		}
	}
}

// shutdownStep stops groups in reverse priority order, one group after the
// other (4.2's ordered_stop_groups), and reports whether everything is
// stopped.
func (s *Supervisor) shutdownStep() bool {
	if !s.stopping {
		s.stopping = true
		s.stopGroups = append([]*group(nil), s.order...)
		s.emit(Event{Type: SupervisorStopping, Time: time.Now(), Restart: s.mood == process.MoodRestarting})
	}
	for len(s.stopGroups) > 0 {
		g := s.stopGroups[len(s.stopGroups)-1]
		s.stopAll(g)
		if len(s.unstopped(g)) > 0 {
			break
		}
		s.stopGroups = s.stopGroups[:len(s.stopGroups)-1]
	}
	// While a group is left to stop, the last one has processes still
	// running (that is where the loop above stopped), and nothing starts
	// once the supervisor is stopping: the list of everything unstopped
	// is only needed for the report every 3 s. Making it on every pass
	// made a shutdown of thousands of single-program groups, one pass per
	// group, cost the square of their number.
	now := time.Now()
	report := s.lastReport.IsZero() || now.Sub(s.lastReport) > 3*time.Second
	if len(s.stopGroups) > 0 && !report {
		return false
	}
	var unstopped []*proc
	for _, g := range s.order {
		unstopped = append(unstopped, s.unstopped(g)...)
	}
	if len(unstopped) == 0 {
		return true
	}
	if report {
		names := make([]string, len(unstopped))
		for i, p := range unstopped {
			names[i] = p.Name()
		}
		s.log.Info("waiting for %s to die", strings.Join(names, ", "))
		s.lastReport = now
		for _, p := range unstopped {
			s.log.Blather("%s state: %s", p.Name(), p.State())
		}
	}
	return false
}

// stopAll is 4.2's ProcessGroup.stop_all: in reverse priority order, stop
// what runs and give up what is in BACKOFF.
func (s *Supervisor) stopAll(g *group) {
	for i := len(g.procs) - 1; i >= 0; i-- {
		p := g.procs[i]
		switch p.State() {
		case process.Running, process.Starting:
			if s.dep.any && s.holdStop(p) {
				continue
			}
			p.Stop()
		case process.Backoff:
			p.GiveUp()
		}
	}
}

// nextDeadline is the earliest time the loop must wake without an event.
func (s *Supervisor) nextDeadline() time.Time {
	var next time.Time
	consider := func(t time.Time) {
		if !t.IsZero() && (next.IsZero() || t.Before(next)) {
			next = t
		}
	}
	flat, marks, all := s.deadlineList() // active.go
	for i, p := range flat {
		if !all && !marks[i] {
			continue // idle: no deadline
		}
		if s.dep.any {
			if held, due := s.gatePending(p); held {
				if due {
					consider(time.Now())
				}
				continue
			}
		}
		consider(p.NextDeadline(s.mood))
	}
	for _, w := range s.waits {
		if w.deadline != nil {
			consider(w.deadline())
		}
	}
	consider(s.nextTick())
	consider(s.reaping.due) // reap.go
	if s.stopping && !s.lastReport.IsZero() {
		consider(s.lastReport.Add(3*time.Second + time.Nanosecond))
	}
	return next
}

func (s *Supervisor) checkWaiters() {
	kept := s.waits[:0]
	for _, w := range s.waits {
		if ok, err := w.check(); ok {
			w.done <- err
		} else {
			kept = append(kept, w)
		}
	}
	for i := len(kept); i < len(s.waits); i++ {
		s.waits[i] = nil
	}
	s.waits = kept
}

// Run starts the configured processes and runs the loop until the
// supervisor shuts down (Shutdown, SIGTERM/SIGINT/SIGQUIT with
// HandleSignals, or ctx cancelled): then every child is stopped in reverse
// priority order and Run returns nil. After a restart request it reloads
// through Deps.Reload and carries on, or returns ErrRestart when Reload is
// nil. Run may be called once.
func (s *Supervisor) Run(ctx context.Context) error {
	defer close(s.done)
	// After the other deferred steps: the children are stopped by then.
	defer s.closeCgroups() // resources.go
	// The last output of children that ended (a critical program's dying
	// words, everything written by programs stopped at shutdown) is still
	// being copied to its logs: Run returns once that is done.
	defer s.awaitOutput()
	// Exec health checks still running are killed and collected once the
	// reaper has stopped.
	defer s.probeKids.Close()
	// The notify socket goes with the daemon.
	defer s.closeNotify()
	// The next daemon run clears AUTO logs at startup; none may still be
	// in the making then.
	defer s.autoLogs.stop()
	chld := make(chan os.Signal, 1)
	signal.Notify(chld, syscall.SIGCHLD)
	defer signal.Stop(chld)
	if s.deps.HandleSignals {
		signal.Notify(s.sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGQUIT, syscall.SIGHUP, syscall.SIGUSR2)
		defer signal.Stop(s.sigs)
	}
	if s.deps.Subreaper {
		if err := SetSubreaper(); err != nil {
			s.log.Warn("could not become a child subreaper: %v", err)
		}
	}
	s.setup()
	// setup holds AUTO log creation until the start-up is over: until the
	// loop first waits for something (the spawns, and with startsecs=0
	// their move to RUNNING, done; the requests that came meanwhile
	// answered).
	autoHeld := true
	stopTicks := make(chan struct{})
	defer close(stopTicks)
	go s.tick(stopTicks)
	close(s.running)
	s.emit(Event{Type: SupervisorRunning, Time: time.Now()})

	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	ctxDone := ctx.Done()
	// The loop reaps after a SIGCHLD (and once at the start, for children
	// of a previous run): wait4(-1) looks at every child of the daemon
	// each time it is called, so with thousands of programs reaping on
	// every pass, as 4.2 does, cost a pass more than its transitions. A
	// child that exits after the reap's last wait4 raises SIGCHLD again
	// and the loop comes round for it. The signal is logged after the
	// reap that follows it, as 4.2 handles signals after reaping, so the
	// exits it announces come first in the log.
	chldSeen, reapDue := false, true
	for {
		s.transition()
		if reapDue || chldSeen || s.fullScanDue(time.Now()) {
			reapDue = false
			s.reap()
		}
		if chldSeen {
			chldSeen = false
			s.handleSignal(syscall.SIGCHLD)
		}
		s.settleExit() // the exit policy, on what this pass and reap ended
		s.checkWaiters()
		if s.mood < process.MoodRunning && s.shutdownStep() {
			s.failWaiters()
			if s.mood == process.MoodShutdown {
				return nil
			}
			if s.deps.Reload == nil {
				return ErrRestart
			}
			cfg, err := s.deps.Reload()
			if err != nil {
				return err
			}
			s.cfg = cfg
			s.mood = process.MoodRunning
			s.setup()
			autoHeld = true
			s.emit(Event{Type: SupervisorRunning, Time: time.Now()})
			continue
		}

		wait := time.Hour
		if d := s.nextDeadline(); !d.IsZero() {
			wait = time.Until(d)
		}
		if wait <= 0 {
			// Work is due at once, yet the loop must keep answering: with
			// many programs flapping something is always due, and going
			// round again without a look at the channels would starve
			// RPC requests and signals for seconds. Serve what already
			// waits, without blocking.
			for range maxServedPerPass {
				select {
				case <-ctxDone:
					ctxDone = nil
					s.mood = process.MoodShutdown
				case <-chld:
					chldSeen = true
				case sig := <-s.sigs:
					s.handleSignal(sig.(syscall.Signal))
				case fn := <-s.reqs:
					s.serve(fn)
					continue
				default:
				}
				break
			}
			continue
		}
		if autoHeld {
			s.autoLogs.release()
			autoHeld = false
			s.emit(Event{Type: SupervisorStarted, Time: time.Now()})
		}
		timer.Reset(wait)
		select {
		case <-ctxDone:
			ctxDone = nil
			s.mood = process.MoodShutdown
		case <-chld:
			chldSeen = true
		case sig := <-s.sigs:
			s.handleSignal(sig.(syscall.Signal))
		case fn := <-s.reqs:
			s.serve(fn)
		case <-timer.C:
		}
		if !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
	}
}

// maxServedPerPass bounds the requests one busy pass of the loop serves
// before it runs the due transitions again.
const maxServedPerPass = 64

// failWaiters ends requests still waiting when the supervisor stops.
func (s *Supervisor) failWaiters() {
	for _, w := range s.waits {
		if ok, err := w.check(); ok {
			w.done <- err
		} else {
			w.done <- fault(ShutdownState)
		}
	}
	s.waits = nil
}

// do runs fn on the loop and waits for it. It fails with SHUTDOWN_STATE
// when the loop has ended.
func (s *Supervisor) do(ctx context.Context, fn func()) error {
	s.release.begin()
	defer s.release.end()
	done := make(chan struct{})
	select {
	case s.reqs <- func() { fn(); close(done) }:
	case <-s.done:
		return fault(ShutdownState)
	case <-ctx.Done():
		return ctx.Err()
	}
	<-done
	return nil
}

// await waits for a waiter registered by a request.
func (s *Supervisor) await(ctx context.Context, w *waiter) error {
	s.release.begin()
	defer s.release.end()
	select {
	case err := <-w.done:
		return err
	case <-ctx.Done():
		// The loop still owns w; let it finish into the buffered channel.
		return ctx.Err()
	}
}

// Signal delivers sig to the supervisor as if the daemon had received it
// (TERM/INT/QUIT shut down, HUP restarts, USR2 reopens logs).
func (s *Supervisor) Signal(sig syscall.Signal) {
	select {
	case s.sigs <- sig:
	case <-s.done:
	}
}

// Done is closed when Run has returned.
func (s *Supervisor) Done() <-chan struct{} { return s.done }

// Ready is closed once Run has created the groups and serves requests.
func (s *Supervisor) Ready() <-chan struct{} { return s.running }

// SetSubreaper makes the calling process a child subreaper: orphans of its
// descendants are re-parented to it (and reaped by Run) instead of PID 1.
func SetSubreaper() error {
	const prSetChildSubreaper = 36
	if _, _, e := syscall.RawSyscall(syscall.SYS_PRCTL, prSetChildSubreaper, 1, 0); e != 0 {
		return e
	}
	return nil
}

// outputWait bounds how long a stopping daemon waits for the output of its
// ended children to be copied: a sink that never drains (a console nobody
// reads) must not keep it from exiting.
const outputWait = process.DrainGrace + 5*time.Second

// awaitOutput waits, at most outputWait, until every reaped child's output
// has reached its logs.
func (s *Supervisor) awaitOutput() {
	done := make(chan struct{})
	go func() {
		s.draining.Wait()
		close(done)
	}()
	t := time.NewTimer(outputWait)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
		s.log.Warn("gave up waiting for the output of ended processes to be logged")
	}
}
