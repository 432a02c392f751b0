package logging

import (
	"regexp"
	"sync"
	"time"
	"unicode/utf8"

	"super/core/config"
	"super/core/pyrepr"
)

// StreamOptions describe one output stream (stdout or stderr) of one
// process.
type StreamOptions struct {
	Process string // process name: syslog prefix and activity log texts
	Channel string // "stdout" or "stderr"

	// Log is the stream's config. Logfile must be a real path, "/dev/stdout",
	// "/dev/stderr" or config.LogNone: resolve config.LogAuto once per
	// process with AutoChildLogName first. The deprecated
	// Logfile = config.LogSyslog is treated as Syslog = true with no file,
	// as 4.2 rewrites it.
	Log config.LogConfig

	// Auto says Log.Logfile is an AUTO log (AutoChildLogPath), which
	// may not exist yet: it is not opened before the first output, and
	// that open creates it with mkstemp's mode 0600 when missing.
	Auto bool

	// StripANSI is [supervisord] strip_ansi: ANSI escape sequences are
	// removed before the output goes anywhere.
	StripANSI bool

	// Activity receives errors about the log file (once per failure
	// episode) and, when its level is debug or lower, 4.2's copy of the
	// output ("'x' stdout output:\n…") and "emitted a comm event" lines.
	Activity *Logger

	// Syslog is the client for Log.Syslog; nil = DefaultSyslog.
	Syslog *Syslog

	// OnLog, when set and Log.EventsEnabled, is called with each piece of
	// output logged (after strip_ansi, captured text included, as 4.2): the
	// PROCESS_LOG_STDOUT/STDERR event hook. The slice is the callee's.
	OnLog func(data []byte)

	// OnCapture, when set and Log.CaptureMaxbytes > 0, is called with the
	// body of every <!--XSUPERVISOR:BEGIN-->…<!--XSUPERVISOR:END--> block:
	// the PROCESS_COMMUNICATION_STDOUT/STDERR event hook. The body is
	// bounded as 4.2's capture buffer (see boundedBuffer). The slice is the
	// callee's.
	OnCapture func(data []byte)

	// Console, when set, receives the output as lines prefixed with
	// ConsoleName and " | " ([supervisord] container_logs): the same bytes
	// as the log file (after strip_ansi, capture-mode blocks left out), in
	// addition to it.
	Console     *Console
	ConsoleName string
	// ConsoleFormat and ConsoleSource: container_logs_format and
	// container_logs_timestamps, and the names a JSON line carries
	// (ConsoleSource.Name defaults to ConsoleName).
	ConsoleFormat ConsoleFormat
	ConsoleSource ConsoleSource

	// Now is the clock of timestamps and time-based rotation; nil = the
	// log path's clock (see TestClockEnv). For tests.
	Now func() time.Time

	// ReadyLine, when set (ready_log_line), is matched against each line
	// of the output (what the log file gets) until one matches; then
	// OnReady is called, once, on the goroutine writing the output (it
	// must not block), and matching stops.
	ReadyLine *regexp.Regexp
	OnReady   func()
}

// Stream is where a process's pipe reader writes one output stream. Write
// never blocks on a full disk or a dead syslog and never fails, so the
// child never stalls on its pipe; problems go to the activity log.
//
// Write, Reopen, Remove and Close may be called from different goroutines
// (the pipe reader, the supervisor loop on SIGUSR2 or clearProcessLogs).
type Stream struct {
	opts streamKept

	mu      sync.Mutex
	file    *fileSink      // nil: no file
	syslog  *Syslog        // nil: no syslog
	console *ConsoleWriter // nil: container_logs off
	strip   ansiStripper
	// escCapturing: the mode of the piece whose trailing ESC strip holds.
	escCapturing bool
	parser       *captureParser // nil: capture mode off
	capbuf       boundedBuffer
	closed       bool

	syslogPrefix string // "name ", as 4.2's syslog format

	stripped []byte // strip_ansi output, reused

	ready     *readyMatcher // nil unless ReadyLine, and once it matched (ready.go)
	stamper   *lineStamper  // nil unless Log.Timestamps and a file (stamp.go)
	fileWrite func([]byte)  // file.Write, made once (NewStream) for stamper
}

// streamKept is what a Stream uses of its options once made: the whole
// StreamOptions (280 bytes, two streams per program) made each Stream 432
// bytes, 4.3 MB at 5,000 programs; with this it is 224.
type streamKept struct {
	process, channel         string
	activity                 *Logger
	onLog, onCapture         func(data []byte)
	now                      func() time.Time
	eventsEnabled, stripANSI bool
}

// NewStream opens the stream's log file (if any). An error means the file
// could not be opened: 4.2 refuses to spawn then ("unknown error making
// dispatchers for 'x': …"); the returned Stream is nonetheless usable —
// it drops output and retries the open — for callers that prefer to run
// the child anyway.
func NewStream(opts StreamOptions) (*Stream, error) {
	if opts.Now == nil {
		opts.Now = now
	}
	s := &Stream{opts: streamKept{
		process: opts.Process, channel: opts.Channel, activity: opts.Activity,
		onLog: opts.OnLog, onCapture: opts.OnCapture, now: opts.Now,
		eventsEnabled: opts.Log.EventsEnabled, stripANSI: opts.StripANSI,
	}}
	lc := opts.Log
	if lc.Logfile == config.LogSyslog {
		lc.Logfile, lc.Syslog = config.LogNone, true
	}
	if lc.Syslog {
		s.syslog = opts.Syslog
		s.syslogPrefix = opts.Process + " "
		if s.syslog == nil {
			s.syslog = DefaultSyslog
		}
	}
	if lc.CaptureMaxbytes > 0 {
		s.capbuf.max = lc.CaptureMaxbytes
		s.parser = &captureParser{out: s.logPiece, toggled: s.toggled}
	}
	if opts.Console != nil {
		src := opts.ConsoleSource
		if src.Name == "" {
			src.Name = opts.ConsoleName
		}
		s.console = opts.Console.FormatWriter(src, opts.ConsoleFormat, s.reportConsoleError)
	}
	if opts.ReadyLine != nil && opts.OnReady != nil {
		s.ready = &readyMatcher{re: opts.ReadyLine, onMatch: opts.OnReady, max: readyLineMax}
	}
	var err error
	switch {
	case lc.Logfile == config.LogNone:
	case opts.Auto:
		s.file = newFileSink(lc.Logfile, rotationOf(lc, opts.Now), s.reportFileError)
		s.file.firstMode = 0o600
	default:
		s.file, err = openFileSink(lc.Logfile, rotationOf(lc, opts.Now), s.reportFileError)
		if err != nil {
			s.reportFileError(err)
		}
	}
	if lc.Timestamps && s.file != nil {
		s.stamper, s.fileWrite = &lineStamper{}, s.file.Write
	}
	return s, err
}

func (s *Stream) reportFileError(err error) {
	s.opts.activity.Error("%s %s log: %v", pyrepr.Str(s.opts.process), s.opts.channel, err)
}

func (s *Stream) reportConsoleError(err error) {
	s.opts.activity.Error("%s %s to the console: %v", pyrepr.Str(s.opts.process), s.opts.channel, err)
}

// Path is the stream's log file ("" when none), for readProcess*Log and
// tailProcess*Log.
func (s *Stream) Path() string {
	if s.file == nil {
		return ""
	}
	return s.file.path
}

// Write stores a chunk read from the child's pipe. It always returns
// len(p), nil. p is not retained.
func (s *Stream) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return len(p), nil
	}
	if s.parser != nil {
		s.parser.write(p)
	} else {
		s.logPiece(p, false)
	}
	return len(p), nil
}

// logPiece is 4.2's POutputDispatcher._log; s.mu is held.
func (s *Stream) logPiece(p []byte, capturing bool) {
	if len(p) == 0 {
		return
	}
	if s.opts.stripANSI {
		if s.strip.pendingESC && capturing != s.escCapturing {
			// A capture token came between the ESC and these bytes: no
			// sequence spans them.
			s.flushESC()
		}
		s.stripped = s.strip.appendStripped(s.stripped[:0], p)
		s.escCapturing = capturing
		p = s.stripped
		if len(p) == 0 {
			return
		}
	}
	s.emit(p, capturing)
}

// flushESC writes out an ESC the stripper held back; s.mu is held.
func (s *Stream) flushESC() {
	if esc := s.strip.flush(s.stripped[:0]); len(esc) > 0 {
		s.stripped = esc
		s.emit(esc, s.escCapturing)
	}
}

// emit sends a piece of output (stripped already) where it goes; s.mu is
// held.
func (s *Stream) emit(p []byte, capturing bool) {
	if capturing {
		s.capbuf.write(p)
	} else {
		if s.file != nil {
			if s.stamper != nil {
				s.stamper.write(s.fileWrite, p, s.opts.now())
			} else {
				s.file.Write(p)
			}
		}
		if s.syslog != nil {
			s.syslog.sendLines(s.syslogPrefix, p)
		}
		if s.console != nil {
			s.console.Write(p)
		}
		if s.ready != nil && s.ready.write(p) {
			s.ready = nil
		}
	}
	if a := s.opts.activity; a != nil && a.Enabled(config.LevelDebug) {
		a.Debug("%s %s output:\n%s", pyrepr.Str(s.opts.process), s.opts.channel, decodeForLog(p))
	}
	if s.opts.eventsEnabled && s.opts.onLog != nil {
		s.opts.onLog(append([]byte(nil), p...))
	}
}

// toggled runs after each capture token; s.mu is held.
func (s *Stream) toggled(capturing bool) {
	if capturing {
		return
	}
	body := append([]byte(nil), s.capbuf.buf...)
	s.capbuf.buf = s.capbuf.buf[:0]
	if s.opts.onCapture != nil {
		s.opts.onCapture(body)
	}
	s.opts.activity.Debug("%s %s emitted a comm event", pyrepr.Str(s.opts.process), s.opts.channel)
}

// Reopen reopens the log file at its path (SIGUSR2).
func (s *Stream) Reopen() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.file == nil || s.closed {
		return nil
	}
	return s.file.Reopen()
}

// Remove deletes the log file (backups are kept, as in 4.2) and starts an
// empty one: clearProcessLogs. The capture buffer is emptied too.
func (s *Stream) Remove() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.capbuf.buf = s.capbuf.buf[:0]
	if s.file == nil || s.closed {
		return nil
	}
	return s.file.Remove()
}

// Close writes out output held back by capture-mode token matching and
// closes the file. Later writes are dropped.
func (s *Stream) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	if s.parser != nil {
		s.parser.flush()
	}
	s.flushESC()
	if s.ready != nil {
		s.ready.close()
		s.ready = nil
	}
	s.closed = true
	if s.console != nil {
		s.console.Close()
	}
	if s.file != nil {
		return s.file.Close()
	}
	return nil
}

// decodeForLog is the text 4.2 puts in the activity log for a piece of
// output: the UTF-8 text, or "Undecodable: b'…'" (Python's bytes repr).
func decodeForLog(p []byte) string {
	if utf8.Valid(p) {
		return string(p)
	}
	return "Undecodable: " + pyrepr.Bytes(p)
}
