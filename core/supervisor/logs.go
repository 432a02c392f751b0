package supervisor

import (
	"errors"
	"io"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"

	"super/core/config"
	"super/core/logging"
	"super/core/process"
)

// consoleOf is how a process stream's lines look on the console
// (container_logs_format, container_logs_timestamps) and the names its
// JSON lines carry.
func consoleOf(sd config.Supervisord, c *config.ProcessConfig, stream string) (logging.ConsoleFormat, logging.ConsoleSource) {
	program := c.Section
	if i := strings.IndexByte(program, ':'); i >= 0 {
		program = program[i+1:]
	}
	return logging.ConsoleFormat{JSON: sd.ContainerLogsJSON, Timestamps: sd.ContainerLogsTimestamps},
		logging.ConsoleSource{Name: Namespec(c.Group, c.Name), Program: program, Group: c.Group, Process: c.Name, Stream: stream}
}

// RotateLogs rotates the log files of the processes spec names now: one
// process ("name", "group:name"), a group ("group:*"), or every process
// (""). A running program's files are rotated by its output streams,
// between two chunks, so nothing it writes meanwhile is lost or doubled;
// the files of a program that does not run are rotated by their paths.
// Each process gets a result: SUCCESS (rotated, or nothing to rotate:
// empty files), NO_FILE (no log file that can be rotated), FAILED (the
// error). The rotations run on the caller's goroutine, not the loop's.
func (s *Supervisor) RotateLogs(spec string) ([]Result, error) {
	type job struct {
		t        target
		launched *process.Launched
		paths    []string // stdout's, then stderr's (none with redirect_stderr)
	}
	var jobs []job
	err := s.call(func() error {
		if err := s.checkMood(); err != nil {
			return err
		}
		var targets []target
		switch {
		case spec == "":
			targets, _ = s.allTargets()
		case IsGroupSpec(spec):
			gname, _ := SplitNamespec(spec)
			t, err := s.groupTargets(gname)()
			if err != nil {
				return err
			}
			targets = t
		default:
			g, p, err := s.lookup(spec)
			if err != nil {
				return err
			}
			targets = []target{{g, p}}
		}
		for _, t := range targets {
			j := job{t: t, launched: t.p.launched, paths: []string{t.p.stdoutLog}}
			if !t.p.Config.RedirectStderr {
				j.paths = append(j.paths, t.p.stderrLog)
			}
			jobs = append(jobs, j)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	results := make([]Result, 0, len(jobs))
	for _, j := range jobs {
		var sinks []io.WriteCloser
		if j.launched != nil {
			sinks = j.launched.LogSinks()
		}
		cfg := j.t.p.Config
		rotated, errs := 0, []string(nil)
		for i, path := range j.paths {
			lc := cfg.Stdout
			if i == 1 {
				lc = cfg.Stderr
			}
			err := logging.ErrStreamClosed
			if i < len(sinks) {
				if r, ok := sinks[i].(interface{ Rotate() error }); ok {
					err = r.Rotate()
				}
			}
			if errors.Is(err, logging.ErrStreamClosed) {
				err = logging.RotateFile(path, lc)
			}
			switch {
			case err == nil:
				rotated++
			case errors.Is(err, logging.ErrNoLogFile), errors.Is(err, logging.ErrNotRotatable):
			default:
				errs = append(errs, err.Error())
			}
		}
		r := result(j.t, nil)
		switch {
		case len(errs) > 0:
			r.Status, r.Description = Failed, strings.Join(errs, "; ")
		case rotated == 0:
			r.Status, r.Description = NoFile, "no log file to rotate"
		}
		results = append(results, r)
	}
	return results, nil
}

// ready_log_line (issue 26): a program is RUNNING once a line of its
// output matches, through the readiness path notify=true takes
// (process.Ready; core/process/notify.go). The output readers match
// (logging.StreamOptions.ReadyLine) and, at the first match, wake the loop
// with one request from a goroutine of its own (a reader must never wait
// for the loop: the loop may be waiting for the reader, FlushOutput). The
// process's ready probe sees the match at once, so the loop counts it
// before declaring startsecs over and before judging an exit, however
// late the request comes.

// readyWatch is one spawn's: set once a line matched.
type readyWatch struct{ matched atomic.Bool }

// readyRegexps are the compiled ready_log_line values (checked when the
// config was loaded), by their text: compiled once, not at every spawn.
var (
	readyMu      sync.Mutex
	readyRegexps = map[string]*regexp.Regexp{}
)

func readyRegexp(expr string) *regexp.Regexp {
	readyMu.Lock()
	defer readyMu.Unlock()
	re := readyRegexps[expr]
	if re == nil {
		var err error
		if re, err = regexp.Compile(expr); err != nil {
			return nil
		}
		readyRegexps[expr] = re
	}
	return re
}

// readyLineOpts gives a ready_log_line program's stream its matcher, on
// the loop, at each spawn (stdout's stream is made first: a new watch).
func (s *Supervisor) readyLineOpts(c *config.ProcessConfig, stream string, opts *logging.StreamOptions) {
	if c.ReadyLogLine == "" {
		return
	}
	g := s.groups[c.Group]
	if g == nil {
		return
	}
	p := g.proc(c.Name)
	if p == nil {
		return
	}
	re := readyRegexp(c.ReadyLogLine)
	if re == nil {
		return
	}
	if stream == "stdout" || p.rl == nil {
		p.rl = &readyWatch{}
		p.SetReadyProbe(p.rl.matched.Load)
	}
	w := p.rl
	opts.ReadyLine = re
	opts.OnReady = func() {
		if !w.matched.CompareAndSwap(false, true) {
			return
		}
		go func() {
			select {
			case s.reqs <- func() {
				if p.rl == w {
					p.Ready()
				}
			}:
			case <-s.done:
			}
		}()
	}
}
