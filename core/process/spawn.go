package process

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/user"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"super/core/cgroup"
	"super/core/config"
	"super/core/pyrepr"
)

// CommandErrorKind classifies why a command cannot be run; the RPC layer
// maps NotFound to NO_FILE and the others to NOT_EXECUTABLE, as 4.2's
// startProcess does.
type CommandErrorKind int

// Kinds of CommandError (4.2's BadCommand, NotFound, NotExecutable,
// NoPermission).
const (
	BadCommand CommandErrorKind = iota
	NotFound
	NotExecutable
	NoPermission
)

// CommandError is a command that cannot be run; Msg is 4.2's text
// ("can't find command 'foo'").
type CommandError struct {
	Kind CommandErrorKind
	Msg  string
}

func (e *CommandError) Error() string { return e.Msg }

// SearchPath is the list of directories a program name without "/" is
// looked up in: PATH from the process's environment, else from the
// supervisord section's environment, else supervisord's own PATH, else
// 4.2's default.
func SearchPath(cfg *config.ProcessConfig, daemonEnv map[string]string) []string {
	if p, ok := cfg.Environment["PATH"]; ok {
		return strings.Split(p, ":")
	}
	if p, ok := daemonEnv["PATH"]; ok {
		return strings.Split(p, ":")
	}
	if p := os.Getenv("PATH"); p != "" {
		return strings.Split(p, ":")
	}
	return []string{"/bin", "/usr/bin", "/usr/local/bin"}
}

// ResolveCommand splits the command and finds the program as 4.2's
// get_execv_args does: shell-like splitting, a PATH search for names
// without "/", and checks that the file exists, is not a directory and is
// executable. daemonEnv is the [supervisord] environment.
func ResolveCommand(cfg *config.ProcessConfig, daemonEnv map[string]string) (string, []string, error) {
	return resolveIn(cfg, SearchPath(cfg, daemonEnv))
}

// resolveIn is ResolveCommand looking in the directories search.
func resolveIn(cfg *config.ProcessConfig, search []string) (string, []string, error) {
	argv, err := Split(cfg.Command)
	if err != nil {
		return "", nil, &CommandError{BadCommand, fmt.Sprintf("can't parse command %s: %s", pyrepr.Str(cfg.Command), err)}
	}
	if len(argv) == 0 {
		return "", nil, &CommandError{BadCommand, "command is empty"}
	}
	program := argv[0]
	filename := program
	// syscall.Stat into a local struct: os.Stat allocates its result (and
	// an error for each directory the program is not in), and a start of
	// 5,000 programs made 27 MB of such garbage.
	var st syscall.Stat_t
	found := false
	if strings.Contains(program, "/") {
		found = statNoEINTR(program, &st) == nil
	} else {
		for _, dir := range search {
			path := program
			switch {
			case dir == "":
			case strings.HasSuffix(dir, "/"):
				path = dir + program
			default:
				path = dir + "/" + program
			}
			if statNoEINTR(path, &st) == nil {
				found, filename = true, path
				break
			}
		}
	}
	switch {
	case !found:
		return "", nil, &CommandError{NotFound, "can't find command " + pyrepr.Str(filename)}
	case st.Mode&syscall.S_IFMT == syscall.S_IFDIR:
		return "", nil, &CommandError{NotExecutable, "command at " + pyrepr.Str(filename) + " is a directory"}
	case st.Mode&0o111 == 0:
		return "", nil, &CommandError{NotExecutable, "command at " + pyrepr.Str(filename) + " is not executable"}
	case syscall.Access(filename, 1) != nil: // X_OK
		return "", nil, &CommandError{NoPermission, "no permission to run command " + pyrepr.Str(filename)}
	}
	return filename, argv, nil
}

// statNoEINTR is syscall.Stat (following links, as os.Stat) retried on
// EINTR, as os.Stat does.
func statNoEINTR(path string, st *syscall.Stat_t) error {
	for {
		if err := syscall.Stat(path, st); err != syscall.EINTR {
			return err
		}
	}
}

// SinkFactory opens where one output stream of a process goes ("stdout" or
// "stderr"). It is called at every spawn; the Launcher closes the writer
// once the stream is drained. Writes come from one goroutine per stream.
type SinkFactory func(p *config.ProcessConfig, stream string) (io.WriteCloser, error)

// Launcher is the real Spawner: it forks and execs children with pipes for
// their standard streams.
type Launcher struct {
	// DaemonEnv is the [supervisord] environment, applied over supervisord's
	// own environment and under the process's.
	DaemonEnv map[string]string
	// ServerURL is SUPERVISOR_SERVER_URL for processes whose serverurl is
	// AUTO ("" = do not set it).
	ServerURL string
	// Sinks opens the output streams; nil discards output.
	Sinks SinkFactory
	// LogFile maps a configured log file value to the real path (for AUTO);
	// nil keeps it as configured.
	LogFile func(p *config.ProcessConfig, stream string) string
	// Stdin, when set, may give the file the child gets as fd 0 instead of
	// a stdin pipe (the shared socket of a [fcgi-program:x] pool; f nil =
	// use a pipe). release is called once when the child has been reaped,
	// or at once when the spawn fails. An error fails the spawn with its
	// text.
	Stdin func(p *config.ProcessConfig) (f *os.File, release func(), err error)
	// NotifySocket is NOTIFY_SOCKET for notify=true and watchdog programs
	// (notify.go); it may make the socket at its first call. nil: such
	// programs fail to spawn.
	NotifySocket func() (string, error)

	envOnce sync.Once
	env     *launcherEnv
}

// PidSink is a sink that wants the child's pid (for event payloads): the
// Launcher calls SetPid after the fork, before any output is copied to it.
type PidSink interface {
	SetPid(pid int)
}

// Launched is a child started by a Launcher.
type Launched struct {
	pid   int
	stdin *os.File
	mu    sync.Mutex // guards stdin against Finished while a write is under way
	outs  []*outPipe
	sinks []io.WriteCloser
	// unwatched are the output pipes (read ends, in the order of sinks)
	// until WatchOutput hands them to the poller. Like outs, only the
	// goroutine that spawned and reaps the child touches it.
	unwatched []int
	done      sync.WaitGroup

	release func() // Launcher.Stdin's release; nil when none or done
}

// ReopenLogs reopens the output sinks that can (SIGUSR2).
func (r *Launched) ReopenLogs() {
	for _, s := range r.sinks {
		if ro, ok := s.(interface{ Reopen() error }); ok {
			ro.Reopen()
		}
	}
}

// RemoveLogs removes and reopens the sinks' log files (clearProcessLogs);
// the first error is returned.
func (r *Launched) RemoveLogs() error {
	var first error
	for _, s := range r.sinks {
		if rm, ok := s.(interface{ Remove() error }); ok {
			if err := rm.Remove(); err != nil && first == nil {
				first = err
			}
		}
	}
	return first
}

// LogSinks are the child's output sinks, stdout's first, then stderr's
// (none with redirect_stderr): rotate on demand reaches the log streams
// through them. They do not change after the spawn.
func (r *Launched) LogSinks() []io.WriteCloser { return r.sinks }

// Pid is the child's pid.
func (r *Launched) Pid() int { return r.pid }

// DrainGrace is how long output readers keep reading after the child was
// reaped, for grandchildren still holding the pipes (4.2 reads once and
// closes).
const DrainGrace = 500 * time.Millisecond

// Finished closes stdin and lets the output readers finish: they stop at
// end of file or DrainGrace from now, whichever comes first.
func (r *Launched) Finished() {
	r.mu.Lock()
	if r.stdin != nil {
		r.stdin.Close()
		r.stdin = nil
	}
	release := r.release
	r.release = nil
	r.mu.Unlock()
	if release != nil {
		release()
	}
	r.WatchOutput()
	if len(r.outs) > 0 {
		outs := r.outs
		time.AfterFunc(DrainGrace, func() {
			for _, o := range outs {
				o.stop()
			}
		})
	}
}

// FlushOutput copies what the child's output pipes hold now into their
// sinks before it returns. The supervisor loop calls it for a child it has
// reaped, before it processes the exit: what the child wrote before it
// exited then reaches every sink (log files, the activity log's debug
// copy, the console, PROCESS_LOG events) before its "exited:" line, state
// change and PROCESS_STATE event, as in 4.2, whose loop reads every
// readable pipe before it reaps. See outPipe.flush.
func (r *Launched) FlushOutput() {
	r.WatchOutput()
	for _, o := range r.outs {
		o.flush()
	}
}

// Wait blocks until the output readers have written everything they read
// and closed their sinks.
func (r *Launched) Wait() { r.done.Wait() }

// ErrNoStdin is returned by WriteStdin when the child's stdin is closed
// (4.2's EPIPE, mapped to NO_FILE).
var ErrNoStdin = errors.New("process stdin is closed")

// WriteStdin writes data to the child's stdin. It may block until the child
// reads; it must not be called from the supervisor loop.
func (r *Launched) WriteStdin(data []byte) error {
	r.mu.Lock()
	f := r.stdin
	r.mu.Unlock()
	if f == nil {
		return ErrNoStdin
	}
	if _, err := f.Write(data); err != nil {
		if errors.Is(err, syscall.EPIPE) || errors.Is(err, os.ErrClosed) {
			return ErrNoStdin
		}
		return err
	}
	return nil
}

// bufPool holds read buffers; a reader takes one only while a pipe has
// data, so idle children cost no buffer memory.
var bufPool = sync.Pool{New: func() any { b := make([]byte, 64<<10); return &b }}

// spawnMu keeps forks away from a umask changed for one program's fork
// (the umask is process-wide): that fork holds it exclusively, every
// other fork shares it.
var spawnMu sync.RWMutex

// ForkExec is syscall.ForkExec for the daemon's other children (health
// check commands): it forks under the same lock as Spawn, so such a child
// never inherits a program's umask set for the moment of that program's
// fork.
func ForkExec(path string, argv []string, attr *syscall.ProcAttr) (pid int, err error) {
	fds, remap := spawnFDs(attr)
	onSpawnerThread(fds, func(local []int) {
		spawnMu.RLock()
		defer spawnMu.RUnlock()
		pid, err = syscall.ForkExec(path, argv, localAttr(attr, local, remap))
	})
	return pid, err
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
func (discard) Close() error                { return nil }

// credential is the uid/gid switch for cfg, nil when none is needed, or
// 4.2's drop_privileges message.
func credential(cfg *config.ProcessConfig) (*syscall.Credential, string) {
	if cfg.User == "" || cfg.UID < 0 {
		return nil, ""
	}
	if os.Getuid() == cfg.UID {
		return nil, ""
	}
	if os.Getuid() != 0 {
		return nil, "Can't drop privilege as nonroot user"
	}
	groups := []uint32{uint32(cfg.GID)}
	if u, err := user.LookupId(strconv.Itoa(cfg.UID)); err == nil {
		if ids, err := u.GroupIds(); err == nil {
			for _, id := range ids {
				if g, err := strconv.Atoi(id); err == nil && g != cfg.GID {
					groups = append(groups, uint32(g))
				}
			}
		}
	}
	return &syscall.Credential{Uid: uint32(cfg.UID), Gid: uint32(cfg.GID), Groups: groups}, ""
}

// Spawn starts p's child: pipes for stdin/stdout/stderr (stderr joins
// stdout with redirect_stderr), its own process group, directory, umask,
// user and environment; the output pipes are watched by the shared poller
// (outpoll.go), which copies into the stream's sink so the child never
// blocks on a full pipe.
func (l *Launcher) Spawn(p *Process) (Child, error) {
	j, err := l.prepare(p)
	if err != nil {
		return nil, err
	}
	j.fork()
	return j.finish()
}

// Start is Spawn in two halves: it prepares the child (pipes, sinks,
// environment) on the calling goroutine and runs the fork and exec on
// another, so the caller can prepare the next child while the kernel
// copies and closes this one's descriptor table. wait, called later on the
// goroutine that called Start, returns what Spawn would have. Until wait
// has returned no child of the daemon may be reaped with wait4(-1):
// ForkExec reaps a child that failed before exec itself.
func (l *Launcher) Start(p *Process) (wait func() (Child, error)) {
	j, err := l.prepare(p)
	if err != nil {
		return func() (Child, error) { return nil, err }
	}
	done := make(chan struct{})
	go func() {
		j.fork()
		close(done)
	}()
	return func() (Child, error) {
		<-done
		return j.finish()
	}
}

// forkJob is one child being started: what prepare made for it, and the
// outcome of its fork.
type forkJob struct {
	cfg       *config.ProcessConfig
	filename  string
	argv      []string
	attr      *syscall.ProcAttr
	cred      *syscall.Credential
	setuidErr string            // 4.2's drop_privileges message, known before forking
	rlimits   []rlimitStep      // rlimit_* keys: set by the trampoline (rlimits.go)
	place     *cgroup.Placement // the process's cgroup (cgroups.go); nil without one
	placeErr  error             // entering the v1 cgroups for the fork failed

	sinks   []io.WriteCloser
	inR     *os.File // the child's end of the stdin pipe; nil with Stdin's file
	inW     *os.File // the daemon's end
	outR    []int    // output pipes, daemon's (read) ends
	outW    []int    // and the child's (write) ends
	release func()   // Launcher.Stdin's release; nil when none or done

	pid       int
	err       error // the fork's outcome, after the retry
	failedErr error // ForkExec's own error, before the retry
}

// closeChildEnds closes the daemon's copies of the child's pipe ends.
func (j *forkJob) closeChildEnds() {
	closeFile(&j.inR)
	closeFDs(&j.outW)
}

// abandon releases everything prepare made, for a spawn that failed.
func (j *forkJob) abandon() {
	j.closeChildEnds()
	j.place.Close()
	closeFile(&j.inW)
	closeFDs(&j.outR)
	if j.release != nil {
		j.release()
		j.release = nil
	}
	for _, s := range j.sinks {
		s.Close()
	}
}

func closeFile(f **os.File) {
	if *f != nil {
		(*f).Close()
		*f = nil
	}
}

func closeFDs(fds *[]int) {
	for _, fd := range *fds {
		syscall.Close(fd)
	}
	*fds = nil
}

// prepare does everything of a spawn before the fork: the command, the
// sinks, the pipes, the environment.
func (l *Launcher) prepare(p *Process) (*forkJob, error) {
	cfg := p.Config
	env, search, err := l.environ(cfg)
	if err != nil {
		return nil, err
	}
	if search == nil {
		search = SearchPath(cfg, l.DaemonEnv)
	}
	filename, argv, err := resolveIn(cfg, search)
	if err != nil {
		return nil, err
	}
	j := &forkJob{cfg: cfg, filename: filename, argv: argv}
	if j.rlimits, err = rlimitSteps(cfg); err != nil {
		return nil, err
	}

	streams := []string{"stdout"}
	if !cfg.RedirectStderr {
		streams = append(streams, "stderr")
	}
	j.sinks = make([]io.WriteCloser, 0, 2)
	for _, stream := range streams {
		var w io.WriteCloser = discard{}
		if l.Sinks != nil {
			c := cfg
			if l.LogFile != nil {
				cp := *cfg
				cp.Stdout.Logfile = l.LogFile(cfg, "stdout")
				cp.Stderr.Logfile = l.LogFile(cfg, "stderr")
				c = &cp
			}
			w, err = l.Sinks(c, stream)
			if err != nil {
				j.abandon()
				return nil, fmt.Errorf("unknown error making dispatchers for '%s': %s", cfg.Name, errnoOf(err))
			}
		}
		j.sinks = append(j.sinks, w)
	}

	// A user switch known to fail (4.2 checks before trying) is reported
	// by the retry child without a first attempt.
	j.cred, j.setuidErr = credential(cfg)

	pipeErr := func(err error) error {
		j.abandon()
		if errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE) {
			return fmt.Errorf("too many open files to spawn '%s'", cfg.Name)
		}
		return fmt.Errorf("unknown error making dispatchers for '%s': %s", cfg.Name, errnoOf(err))
	}
	var stdinFile *os.File
	if l.Stdin != nil {
		f, release, err := l.Stdin(cfg)
		if err != nil {
			j.abandon()
			return nil, err
		}
		stdinFile, j.release = f, release
	}
	var files []uintptr
	if stdinFile != nil {
		files = []uintptr{stdinFile.Fd()}
	} else {
		inR, inW, err := os.Pipe()
		if err != nil {
			return nil, pipeErr(err)
		}
		j.inR, j.inW = inR, inW
		files = []uintptr{inR.Fd()}
	}
	// Output pipes stay raw descriptors: the parent's read ends go to the
	// shared poller (outpoll.go), the write ends to the child (blocking).
	for range streams {
		var p [2]int
		err := syscall.Pipe2(p[:], syscall.O_CLOEXEC)
		if err == nil {
			j.outR, j.outW = append(j.outR, p[0]), append(j.outW, p[1])
			err = syscall.SetNonblock(p[0], true)
		}
		if err != nil {
			return nil, pipeErr(err)
		}
		files = append(files, uintptr(p[1]))
	}
	if cfg.RedirectStderr {
		files = append(files, files[1])
	}

	j.attr = &syscall.ProcAttr{
		Dir:   cfg.Directory,
		Env:   env,
		Files: files,
		Sys: &syscall.SysProcAttr{
			// Own process group: Ctrl-C on a foreground supervisord does not
			// reach children, and stopasgroup/killasgroup signal -pid.
			Setpgid:    true,
			Credential: j.cred,
		},
	}
	if err := j.placeInCgroup(p); err != nil {
		j.abandon()
		return nil, err
	}
	return j, nil
}

// fork forks and execs the child, retrying through a child of ours when
// one of the child's own steps failed (childfail.go). It touches nothing
// but j, so it may run on any goroutine; the fork itself happens on the
// spawner thread (spawner.go).
func (j *forkJob) fork() {
	fds, remap := spawnFDs(j.attr)
	onSpawnerThread(fds, func(local []int) {
		j.forkWith(localAttr(j.attr, local, remap))
	})
}

// forkWith is fork on the thread that forks, with attr's descriptors as
// that thread knows them.
func (j *forkJob) forkWith(attr *syscall.ProcAttr) {
	cfg := j.cfg
	// The umask is process-wide: a spawn that sets one forks alone.
	if cfg.Umask >= 0 {
		spawnMu.Lock()
		defer spawnMu.Unlock()
		old := syscall.Umask(cfg.Umask)
		defer syscall.Umask(old)
	} else {
		spawnMu.RLock()
		defer spawnMu.RUnlock()
	}
	// The child starts in its cgroup (cgroups.go): the thread that forks
	// is in the v1 ones meanwhile.
	leave, err := j.place.Enter()
	if err != nil {
		j.placeErr = err
		return
	}
	defer leave()
	switch {
	case j.rlimits != nil:
		// The trampoline sets the limits, then does the steps ForkExec
		// would (rlimits.go); its failures are reported by the child.
		j.pid, err = forkSteps(childSteps{File: j.filename, Argv: j.argv, Dir: attr.Dir, UID: cfg.UID,
			SetuidErr: j.setuidErr, Rlimits: j.rlimits, WatchdogPID: cfg.WatchdogSecs > 0}, attr, j.cred)
		j.failedErr, j.err = err, err
		return
	case j.setuidErr != "":
		err = syscall.EPERM
	case cfg.WatchdogSecs > 0:
		j.pid, err = forkWithWatchdogPID(j.filename, j.argv, attr, j.cred, cfg.UID)
	default:
		j.pid, err = syscall.ForkExec(j.filename, j.argv, attr)
	}
	j.failedErr = err
	if childFailed(err) {
		j.pid, err = retryInChild(j.filename, j.argv, attr, j.cred, cfg.UID, j.setuidErr)
	}
	j.err = err
}

// finish completes the spawn after the fork: the daemon's copies of the
// child's pipe ends are closed and the output pipes handed to the poller;
// after a failed fork, everything is released and 4.2's message returned.
func (j *forkJob) finish() (Child, error) {
	cfg, err := j.cfg, j.err
	j.closeChildEnds()
	j.place.Close()
	if j.placeErr != nil {
		j.abandon()
		return nil, fmt.Errorf("cannot give '%s' its cgroup: %v", cfg.Name, j.placeErr)
	}
	if err != nil {
		switch {
		case errors.Is(err, syscall.EAGAIN):
			j.abandon()
			return nil, fmt.Errorf("Too many processes in process table to spawn '%s'", cfg.Name)
		case errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE):
			// ForkExec opens a pipe of its own before forking; running out
			// of descriptors there is 4.2's failure to make the child's
			// pipes, not an exec error in the child.
			j.abandon()
			return nil, fmt.Errorf("too many open files to spawn '%s'", cfg.Name)
		case !childFailed(j.failedErr):
			j.abandon()
			return nil, fmt.Errorf("unknown error during fork for '%s': %s", cfg.Name, errnoOf(err))
		}
		// What 4.2's child would have written to its stderr before exiting
		// 127, when even the retry in a child of ours (childfail.go) could
		// not be started: the failure is then reported from here.
		msg := guessChildFailure(cfg, j.argv, cfg.UID, j.setuidErr, j.failedErr)
		io.WriteString(j.sinks[len(j.sinks)-1], "supervisor: "+msg+"\nsupervisor: child process was not spawned\n")
		j.abandon()
		return nil, errors.New(msg)
	}
	r := &Launched{pid: j.pid, stdin: j.inW, sinks: j.sinks, release: j.release}
	for _, s := range j.sinks {
		if ps, ok := s.(PidSink); ok {
			ps.SetPid(j.pid)
		}
	}
	r.unwatched = j.outR
	r.done.Add(len(j.outR))
	return r, nil
}

// WatchOutput hands the output pipes to the poller: from now on what the
// child writes is copied into its sinks. The process calls it once it has
// logged "spawned:", so the child's output never comes before that line
// (4.2 logs it right after the fork, before its loop polls the pipes);
// until then the pipes hold what the child writes. Only the first call
// does anything; FlushOutput and Finished make it.
func (r *Launched) WatchOutput() {
	fds := r.unwatched
	r.unwatched = nil
	for i, fd := range fds {
		o, err := outputs.add(fd, r.sinks[i], &r.done)
		if err != nil {
			// No poller: the child runs, its output on this stream is lost.
			syscall.Close(fd)
			r.sinks[i].Close()
			r.done.Done()
			continue
		}
		r.outs = append(r.outs, o)
	}
}

func errnoOf(err error) string {
	var e syscall.Errno
	if errors.As(err, &e) {
		return ErrnoName(e)
	}
	return err.Error()
}
