package logging

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"sync"
	"time"

	"super/core/config"
)

// Logger is the activity log (supervisord.log): lines formatted as 4.2's
//
//	2026-11-25 10:00:00,123 INFO spawned: 'x' with pid 42
//
// (local time, milliseconds truncated) written to the configured sinks:
// a file with size rotation, syslog, and an echo stream in the foreground.
//
// A Logger made by NewStartupLogger keeps every message in memory until
// Configure installs the sinks, so what the daemon says before the config
// is known (and before it switches user) is not lost — 4.2 does the same
// with its parse_criticals/warnings/infos. All methods are safe for
// concurrent use; a nil *Logger discards everything.
type Logger struct {
	mu         sync.Mutex
	level      config.LogLevel
	configured bool
	pending    []record // before Configure

	path   string    // file path; "" when no file (NONE or syslog)
	file   *fileSink // nil when no file
	syslog *Syslog   // nil unless logfile=syslog
	echo   io.Writer // nil unless nodaemon and not silent

	// echoJSON: the echo gets JSON lines (container_logs_format=json).
	echoJSON bool
	stamps   stampCache
	jbuf     []byte

	buf []byte
	now func() time.Time
}

type record struct {
	t     time.Time
	level config.LogLevel
	msg   string
}

// LoggerOptions are what New/Configure need beyond the config section.
type LoggerOptions struct {
	// Echo receives every line as well, unbuffered. 4.2 writes the log to
	// stdout when run with -n and without -s (options.make_logger); pass
	// EchoFor(cfg, os.Stdout) to get exactly that rule.
	Echo io.Writer
	// Syslog is the syslog client for logfile=syslog; nil = DefaultSyslog.
	Syslog *Syslog
	// EchoJSON writes the lines Echo receives as JSON objects, as
	// container_logs_format=json writes programs' lines; the file and
	// syslog keep 4.2's format.
	EchoJSON bool
	// Now stamps lines; nil = the log path's clock (time.Now unless the
	// test clock is set, see TestClockEnv). For tests.
	Now func() time.Time
}

// EchoFor returns w when 4.2 would also log to the standard output
// (nodaemon and not silent), else nil.
func EchoFor(cfg config.Supervisord, w io.Writer) io.Writer {
	if cfg.Nodaemon && !cfg.Silent {
		return w
	}
	return nil
}

// New returns a configured activity log. An error means the log file could
// not be opened (4.2 exits then); the Logger is still usable and keeps
// trying to open the file.
func New(cfg config.Supervisord, opts LoggerOptions) (*Logger, error) {
	l := &Logger{}
	err := l.Configure(cfg, opts)
	return l, err
}

// NewStartupLogger returns a Logger that accepts messages at every level
// and holds them until Configure.
func NewStartupLogger() *Logger {
	return &Logger{level: config.LevelBlather}
}

// Configure installs the sinks described by cfg (Logfile: path, LogNone or
// LogSyslog; LogfileMaxbytes 0 = no rotation; LogfileBackups; Loglevel) and
// writes out, with their original timestamps, the held messages that pass
// the configured level. It may be called again on restart (SIGHUP): the old
// sinks are closed.
func (l *Logger) Configure(cfg config.Supervisord, opts LoggerOptions) error {
	if l == nil {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.closeSinks()
	l.level = cfg.Loglevel
	if l.level == 0 {
		l.level = config.LevelInfo
	}
	l.echo = opts.Echo
	l.echoJSON = opts.EchoJSON
	l.now = opts.Now
	var err error
	switch cfg.Logfile {
	case config.LogNone:
	case config.LogSyslog:
		l.syslog = opts.Syslog
		if l.syslog == nil {
			l.syslog = DefaultSyslog
		}
	default:
		l.path = cfg.Logfile
		l.file, err = openFileSink(cfg.Logfile, rotation{maxBytes: cfg.LogfileMaxbytes, backups: cfg.LogfileBackups,
			every: cfg.LogfileRotate, maxAge: days(cfg.LogfileMaxage), compress: cfg.LogfileCompress, now: l.clock}, nil)
	}
	l.configured = true
	for _, r := range l.pending {
		if r.level >= l.level {
			l.emit(r.t, r.level, r.msg)
		}
	}
	l.pending = nil
	return err
}

func (l *Logger) closeSinks() {
	if l.file != nil {
		l.file.Close()
	}
	l.file, l.syslog, l.echo, l.path = nil, nil, nil, ""
}

// Level is the configured threshold.
func (l *Logger) Level() config.LogLevel {
	if l == nil {
		return config.LevelCritical + 1
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.level
}

// Enabled reports whether a message at level would be written; use it to
// skip building expensive messages.
func (l *Logger) Enabled(level config.LogLevel) bool {
	if l == nil {
		return false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return level >= l.level
}

// Path is the log file's path for readLog/clearLog; "" when the log goes
// to syslog or nowhere (4.2 answers NO_FILE then).
func (l *Logger) Path() string {
	if l == nil {
		return ""
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.path
}

// Log writes one message at level. With args the message is
// fmt.Sprintf(format, args...); without, format is the message verbatim
// (so a '%' in it is safe), as 4.2 only %-formats when given arguments.
func (l *Logger) Log(level config.LogLevel, format string, args ...any) {
	if l == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if level < l.level {
		return
	}
	msg := format
	if len(args) > 0 {
		msg = fmt.Sprintf(format, args...)
	}
	if !l.configured {
		l.pending = append(l.pending, record{l.clock(), level, msg})
		return
	}
	l.emit(l.clock(), level, msg)
}

func (l *Logger) Critical(format string, args ...any) { l.Log(config.LevelCritical, format, args...) }
func (l *Logger) Error(format string, args ...any)    { l.Log(config.LevelError, format, args...) }
func (l *Logger) Warn(format string, args ...any)     { l.Log(config.LevelWarn, format, args...) }
func (l *Logger) Info(format string, args ...any)     { l.Log(config.LevelInfo, format, args...) }
func (l *Logger) Debug(format string, args ...any)    { l.Log(config.LevelDebug, format, args...) }
func (l *Logger) Trace(format string, args ...any)    { l.Log(config.LevelTrace, format, args...) }
func (l *Logger) Blather(format string, args ...any)  { l.Log(config.LevelBlather, format, args...) }

// emit formats and writes one line; l.mu is held.
func (l *Logger) emit(t time.Time, level config.LogLevel, msg string) {
	b := appendLine(l.buf[:0], t, level, msg)
	l.buf = b
	if l.echo != nil {
		if l.echoJSON {
			l.jbuf = appendActivityJSON(l.jbuf[:0], &l.stamps, t, level, msg)
			l.echo.Write(l.jbuf)
		} else {
			l.echo.Write(b)
		}
	}
	if l.file != nil {
		l.file.Write(b)
	}
	if l.syslog != nil {
		// 4.2 sends each line of the message through the same format,
		// newline included.
		prefix := len(b) - len(msg) - 1
		head := b[:prefix]
		rest := b[prefix : len(b)-1]
		for len(rest) > 0 && rest[len(rest)-1] == '\n' {
			rest = rest[:len(rest)-1]
		}
		for {
			i := indexByte(rest, '\n')
			line := rest
			if i >= 0 {
				line = rest[:i]
			}
			m := make([]byte, 0, len(head)+len(line)+1)
			m = append(append(append(m, head...), line...), '\n')
			l.syslog.Send("", m)
			if i < 0 {
				break
			}
			rest = rest[i+1:]
		}
	}
}

// appendLine appends "YYYY-MM-DD HH:MM:SS,mmm LEVL msg\n".
func appendLine(b []byte, t time.Time, level config.LogLevel, msg string) []byte {
	b = t.AppendFormat(b, "2006-01-02 15:04:05")
	b = append(b, ',')
	ms := t.Nanosecond() / 1e6
	if ms < 100 {
		b = append(b, '0')
	}
	if ms < 10 {
		b = append(b, '0')
	}
	b = strconv.AppendInt(b, int64(ms), 10)
	b = append(b, ' ')
	name := LevelName(level)
	if name == "" {
		name = strconv.Itoa(int(level))
	}
	b = append(b, name...)
	b = append(b, ' ')
	b = append(b, msg...)
	return append(b, '\n')
}

// Reopen reopens the log file at its configured path after logging
// "supervisord logreopen", as 4.2 does on SIGUSR2.
func (l *Logger) Reopen() error {
	if l == nil {
		return nil
	}
	l.Info("supervisord logreopen")
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.file == nil {
		return nil
	}
	return l.file.Reopen()
}

// Clear is clearLog: it removes the log file and starts a new one.
// ErrNoFile when there is no log file, ErrFailed when it cannot be removed.
// As in 4.2, "reopening log file" is logged once per sink, before the
// reopen — so it lands in the removed file and on the echo stream, not in
// the new file.
func (l *Logger) Clear() error {
	if l == nil {
		return ErrNoFile
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.file == nil || !exists(l.path) {
		return ErrNoFile
	}
	if err := os.Remove(l.path); err != nil {
		return ErrFailed
	}
	n := 1
	if l.echo != nil {
		n++
	}
	for i := 0; i < n; i++ {
		if config.LevelInfo >= l.level {
			l.emit(l.clock(), config.LevelInfo, "reopening log file")
		}
	}
	l.file.Reopen()
	return nil
}

func (l *Logger) clock() time.Time {
	if l.now != nil {
		return l.now()
	}
	return now()
}

// Close closes the log file; later messages are dropped.
func (l *Logger) Close() error {
	if l == nil {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.closeSinks()
	l.configured = true
	l.level = config.LevelCritical + 1
	return nil
}
