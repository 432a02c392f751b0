// Package daemon assembles a running supervisord from a loaded config: the
// activity log, the process engine, the XML-RPC API on the HTTP servers, the
// pidfile, and 4.2's restart cycle (SIGHUP and supervisor.restart start
// everything over on a freshly read config).
package daemon

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"os/user"
	"strconv"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"

	"super/core/api"
	"super/core/config"
	"super/core/logging"
	"super/core/pyrepr"
	"super/core/rpc"
	"super/core/server"
	"super/core/supervisor"
	"super/core/web"
	"super/core/xmlrpc"
)

// Options are what Run takes beside the config.
type Options struct {
	// Reload reads the configuration again, with the command line's values
	// applied, for a restart and for supervisor.reloadConfig. nil:
	// config.Load of the config's file.
	Reload func() (*config.Config, error)
	// Program is the name usage errors point to ("For help, use
	// supervisord -h"); "" = "supervisord".
	Program string
	// Stdout receives the activity log in the foreground (nodaemon and not
	// silent, as 4.2); Stderr the fatal errors. nil discards.
	Stdout, Stderr io.Writer
	// Context, when set, shuts the daemon down when cancelled (as SIGTERM).
	Context context.Context
	// RemoteCommEvent receives supervisor.sendRemoteCommEvent calls; nil
	// publishes them on the engine's event bus as REMOTE_COMMUNICATION.
	RemoteCommEvent func(typ, data string)
	// Started, when set, is called once the HTTP servers listen and the
	// pidfile is written, at each (re)start.
	Started func(addrs []string)

	ready *os.File // readiness pipe of a detached daemon, until used
}

// Run runs supervisord on cfg until it shuts down and returns its exit
// status. A restart request (SIGHUP, supervisor.restart) stops every
// process, closes the servers and the log, reads the config again and
// starts over, as 4.2 builds a new Supervisor each time.
func Run(cfg *config.Config, opts Options) int {
	tuneGC()
	if opts.Reload == nil {
		file := cfg.File
		opts.Reload = func() (*config.Config, error) { return config.Load(file) }
	}
	if opts.Program == "" {
		opts.Program = "supervisord"
	}
	if opts.Stdout == nil {
		opts.Stdout = io.Discard
	}
	if opts.Stderr == nil {
		opts.Stderr = io.Discard
	}
	if opts.Context == nil {
		opts.Context = context.Background()
	}
	ready, isChild := detachedChild()
	if !cfg.Supervisord.Nodaemon && !isChild {
		return detach(opts.Stderr)
	}
	opts.ready = ready
	sigs := relaySignals()
	defer sigs.close()
	notifier := startNotifier(func(format string, a ...any) {
		fmt.Fprintf(opts.Stderr, "%s: %s\n", opts.Program, fmt.Sprintf(format, a...))
	})
	defer notifier.close()
	for first := true; ; first = false {
		status, restart := runOnce(cfg, &opts, first, sigs, notifier)
		if !restart {
			return status
		}
		if sigs.stopRequested() {
			return 0
		}
		next, err := opts.Reload()
		if err != nil {
			return usage(&opts, err.Error())
		}
		cfg = next
		if sigs.stopRequested() {
			return 0
		}
	}
}

// signalRelay is the one receiver of the daemon's signals for its whole
// life. Were the engine to catch them itself, the default action (death,
// orphaning the children) would apply between two runs (a restart), and a
// stop signal that came after the reload but before the next engine
// listened would be lost: the daemon ran on. The relay passes each signal
// to the running engine, which logs and acts on it as 4.2 does, and
// remembers a stop request for the daemon, to be honoured instead of the
// restart or before the next engine starts anything.
type signalRelay struct {
	ch chan os.Signal

	mu     sync.Mutex
	engine *supervisor.Supervisor // the engine about to run or running; nil between runs
	stop   bool                   // SIGTERM, SIGINT or SIGQUIT arrived
}

func relaySignals() *signalRelay {
	r := &signalRelay{ch: make(chan os.Signal, 16)}
	signal.Notify(r.ch, syscall.SIGTERM, syscall.SIGINT, syscall.SIGQUIT, syscall.SIGHUP, syscall.SIGUSR2)
	go r.loop()
	return r
}

func (r *signalRelay) loop() {
	for sig := range r.ch {
		s := sig.(syscall.Signal)
		r.mu.Lock()
		if s == syscall.SIGTERM || s == syscall.SIGINT || s == syscall.SIGQUIT {
			r.stop = true
		}
		engine := r.engine
		r.mu.Unlock()
		if engine != nil {
			engine.Signal(s) // returns at once when that engine has stopped
		}
	}
}

// attach makes engine the receiver of the signals to come, unless a stop
// signal has arrived: then it reports true and the engine must not run.
func (r *signalRelay) attach(engine *supervisor.Supervisor) (stopped bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stop {
		return true
	}
	r.engine = engine
	return false
}

func (r *signalRelay) detach() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.engine = nil
}

func (r *signalRelay) stopRequested() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.stop
}

func (r *signalRelay) close() {
	signal.Stop(r.ch)
	close(r.ch)
}

// usage is 4.2's options.usage: the message, a pointer to -h, status 2.
func usage(opts *Options, msg string) int {
	fmt.Fprintf(opts.Stderr, "Error: %s\nFor help, use %s -h\n", msg, opts.Program)
	return 2
}

// startupMessages are what 4.2 collects before the log exists
// (parse_criticals, parse_warnings, parse_infos) and logs first.
type startupMessages struct {
	criticals, warnings, infos []string
}

func runOnce(cfg *config.Config, opts *Options, first bool, sigs *signalRelay, notifier *serviceNotifier) (status int, restart bool) {
	msgs := startupMessages{warnings: append([]string(nil), cfg.Warnings...)}
	for _, f := range cfg.IncludedFiles {
		msgs.infos = append(msgs.infos, fmt.Sprintf("Included extra file %q during parsing", f))
	}
	if msg := setUID(cfg.Supervisord.User, &msgs); msg != "" {
		return usage(opts, msg), false
	}
	if first {
		if msg := setRlimits(cfg.Supervisord, &msgs); msg != "" {
			return usage(opts, msg), false
		}
	}

	logOpts := logging.LoggerOptions{Echo: logging.EchoFor(cfg.Supervisord, opts.Stdout)}
	if cfg.Supervisord.ContainerLogs && logOpts.Echo != nil {
		// Programs' lines go to the same stdout: the activity log's lines
		// take their format and the console's lock, so they never land
		// inside a batch.
		logOpts.EchoJSON = cfg.Supervisord.ContainerLogsJSON
		if logOpts.Echo == io.Writer(os.Stdout) {
			logOpts.Echo = logging.StdoutConsole.Raw()
		}
	}
	logger, err := logging.New(cfg.Supervisord, logOpts)
	if err != nil {
		return usage(opts, err.Error()), false
	}
	defer logger.Close()
	for _, m := range msgs.criticals {
		logger.Critical("%s", m)
	}
	for _, m := range msgs.warnings {
		logger.Warn("%s", m)
	}
	for _, m := range msgs.infos {
		logger.Info("%s", m)
	}
	if !cfg.Supervisord.Nocleanup {
		logging.ClearAutoChildLogDir(cfg.Supervisord.Childlogdir, cfg.Supervisord.Identifier, logger)
	}

	var rpcAPI *rpc.API
	engine := supervisor.New(cfg, supervisor.Deps{
		Logger: logger,
		// The engine logs "supervisord logreopen" itself; Logger.Reopen
		// would log it a second time, so reopen by installing the same
		// sinks again.
		ReopenLogs: func() { logger.Configure(cfg.Supervisord, logOpts) },
		// rpcAPI is set below, before Run: nothing goes quiet earlier.
		Quiet: func() {
			xmlrpc.DropAnswerBuffers()
			rpcAPI.DropCachedAnswers()
			tuneGC()
		},
		Busy: gcBusy,
	})
	// sendRemoteCommEvent feeds the engine's event bus unless the caller
	// takes the events itself.
	remoteComm := opts.RemoteCommEvent
	if remoteComm == nil {
		remoteComm = func(typ, data string) { engine.SendRemoteCommEvent(typ, data) }
	}
	reg := xmlrpc.NewRegistry()
	reg.Log = func(level int, msg string) { logger.Log(config.LogLevel(level), "%s", msg) }
	rpcAPI = rpc.New(rpc.Options{
		Engine:          engine,
		Config:          cfg,
		Reread:          opts.Reload,
		Logger:          logger,
		RemoteCommEvent: remoteComm,
	})
	rpcAPI.Register(reg)
	// The JSON API and its event stream: the same engine calls as XML-RPC.
	jsonAPI := api.New(api.Options{Engine: engine, RPC: rpcAPI})
	srv, err := server.Start(server.Options{
		Unix: cfg.UnixHTTP,
		Inet: cfg.InetHTTP,
		RPC:  reg,
		// The web interface also serves /logtail/ and /mainlogtail, which
		// supervisorctl's tail -f and maintail -f read.
		Routes: []server.Route{
			{Prefix: api.Prefix, Handler: jsonAPI},
			{Prefix: "/", Handler: web.New(web.Engine{Sup: engine, Log: logger})},
		},
		Log: func(level config.LogLevel, msg string) { logger.Log(level, "%s", msg) },
		OnServer: func(string) {
			for _, ri := range cfg.RPCInterfaces {
				logger.Info("RPC interface %s initialized", pyrepr.Str(ri.Name))
			}
		},
		Stderr: opts.Stderr,
	})
	if err != nil {
		return usage(opts, err.Error()), false
	}
	defer srv.Close()
	defer jsonAPI.Close() // first: the event streams end, then the servers close

	ready := opts.ready
	if ready != nil {
		becomeDaemon(cfg.Supervisord.Directory, cfg.Supervisord.Umask, logger)
		opts.ready = nil
	}
	pidfile := writePidfile(cfg.Supervisord.Pidfile, logger)
	if ready != nil {
		signalReady(ready)
	}
	if pidfile != "" {
		defer os.Remove(pidfile)
	}
	if opts.Started != nil {
		var addrs []string
		for _, a := range srv.Addrs() {
			addrs = append(addrs, a.String())
		}
		opts.Started(addrs)
	}

	if sigs.attach(engine) {
		return 0, false
	}
	defer sigs.detach()
	defer notifier.attach(engine)()
	switch err := engine.Run(opts.Context); {
	case err == nil:
		// 0 after a shutdown asked for; the exit policy's status after
		// a critical process ended or every process was done.
		return engine.ExitStatus(), false
	case errors.Is(err, supervisor.ErrRestart):
		return 0, true
	default:
		logger.Critical("%v", err)
		return 1, false
	}
}

// writePidfile writes the daemon's pid as 4.2 does and returns the path to
// remove at exit ("" when it could not be written).
func writePidfile(path string, logger *logging.Logger) string {
	if path == "" {
		return ""
	}
	pid := os.Getpid()
	if err := os.WriteFile(path, []byte(strconv.Itoa(pid)+"\n"), 0o644); err != nil {
		logger.Critical("could not write pidfile %s", path)
		return ""
	}
	logger.Info("supervisord started with pid %d", pid)
	return path
}

// setUID is 4.2's set_uid_or_exit: drop to [supervisord] user= when set,
// else warn a root daemon. A non-empty result is the usage error.
func setUID(name string, msgs *startupMessages) string {
	if name == "" {
		if os.Getuid() == 0 {
			msgs.criticals = append(msgs.criticals, "Supervisor is running as root.  "+
				"Privileges were not dropped because no user is specified in the config file.  "+
				"If you intend to run as root, you can set user=root in the config file to avoid this message.")
		}
		return ""
	}
	var u *user.User
	var err error
	if _, nerr := strconv.Atoi(name); nerr == nil {
		if u, err = user.LookupId(name); err != nil {
			return fmt.Sprintf("Can't find uid %s", name)
		}
	} else if u, err = user.Lookup(name); err != nil {
		return fmt.Sprintf("Can't find username %s", pyrepr.Str(name))
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	if os.Getuid() != uid {
		if os.Getuid() != 0 {
			return "Can't drop privilege as nonroot user"
		}
		groups := []int{gid}
		if ids, err := u.GroupIds(); err == nil {
			for _, s := range ids {
				if g, err := strconv.Atoi(s); err == nil && g != gid {
					groups = append(groups, g)
				}
			}
		}
		if err := syscall.Setgroups(groups); err != nil {
			return "Could not set groups of effective user"
		}
		if err := syscall.Setgid(gid); err != nil {
			return "Could not set group id of effective user"
		}
		if err := syscall.Setuid(uid); err != nil {
			return "Could not set user id of effective user"
		}
	}
	msgs.infos = append(msgs.infos, "Set uid to user "+strconv.Itoa(uid)+" succeeded")
	return ""
}

// setRlimits is 4.2's set_rlimits_or_exit: raise the soft limits on open
// files and processes to minfds and minprocs.
func setRlimits(sd config.Supervisord, msgs *startupMessages) string {
	limits := []struct {
		res  int
		min  int
		name string
		msg  string
	}{
		{syscall.RLIMIT_NOFILE, sd.Minfds, "RLIMIT_NOFILE", "The minimum number of file descriptors required " +
			"to run this process is %d as per the \"minfds\" command-line argument or config file setting. " +
			"The current environment will only allow you to open %d file descriptors.  Either raise " +
			"the number of usable file descriptors in your environment (see README.rst) or lower the " +
			"minfds setting in the config file to allow the process to start."},
		{unix.RLIMIT_NPROC, sd.Minprocs, "RLIMIT_NPROC", "The minimum number of available processes required " +
			"to run this program is %d as per the \"minprocs\" command-line argument or config file setting. " +
			"The current environment will only allow you to open %d processes.  Either raise " +
			"the number of usable processes in your environment (see README.rst) or lower the " +
			"minprocs setting in the config file to allow the program to start."},
	}
	const infinity = ^uint64(0)
	for _, l := range limits {
		var rl syscall.Rlimit
		if err := syscall.Getrlimit(l.res, &rl); err != nil {
			continue
		}
		min := uint64(l.min)
		if rl.Cur >= min || rl.Cur == infinity {
			continue
		}
		hard := rl.Max
		if hard < min && hard != infinity {
			hard = min
		}
		if err := syscall.Setrlimit(l.res, &syscall.Rlimit{Cur: min, Max: hard}); err != nil {
			return fmt.Sprintf(l.msg, l.min, int64(hard))
		}
		msgs.infos = append(msgs.infos, fmt.Sprintf("Increased %s limit to %d", l.name, l.min))
	}
	return ""
}
