package config

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// Log keys of issue 26: how output lines look on the console, and more.
// Every one is off by default, and a config without them writes exactly
// what 4.2 writes.
//
// [supervisord]
//
//	container_logs_format = plain      plain: "name | line"; json: one JSON
//	                                   object per line (time, program, group,
//	                                   process, stream, line), the activity
//	                                   log's echo too
//	container_logs_timestamps = false  plain lines start with the time they
//	                                   were read (RFC 3339, milliseconds)
//
// Both need container_logs = true.
//
// [program:x] (and the other process sections), for stdout_ and stderr_
//
//	stdout_logfile_timestamps = false  each line in the log file starts with
//	                                   the time it was read (RFC 3339,
//	                                   milliseconds) and a space
//	stdout_logfile_rotate = never      hourly, daily: also rotate at the first
//	                                   write of each hour or day of the local
//	                                   clock (beside the size rule)
//	stdout_logfile_maxage = 0          days: a rotation deletes the backups
//	                                   last written longer ago
//	stdout_logfile_compress = false    rotated backups are gzipped (.N.gz) in
//	                                   the background
//
// [supervisord]: logfile_rotate, logfile_maxage, logfile_compress, the
// same for the activity log.
//
// [program:x], [fcgi-program:x]
//
//	ready_log_line =                   a regular expression (Go's RE2
//	                                   syntax): the process is RUNNING once a
//	                                   line of its output matches; startsecs
//	                                   is then the time it has to (0: no
//	                                   limit), as with notify
//
// maxage and compress need backups (*_logfile_backups > 0).

// RotateEvery is a time rule of rotation.
type RotateEvery int

const (
	RotateNever  RotateEvery = iota // by size only, as 4.2
	RotateHourly                    // at the first write of each hour
	RotateDaily                     // at the first write of each day
)

func (r RotateEvery) String() string {
	switch r {
	case RotateHourly:
		return "hourly"
	case RotateDaily:
		return "daily"
	}
	return "never"
}

// ParseRotateEvery reads a *_logfile_rotate value.
func ParseRotateEvery(s string) (RotateEvery, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "never", "":
		return RotateNever, nil
	case "hourly":
		return RotateHourly, nil
	case "daily":
		return RotateDaily, nil
	}
	return 0, fmt.Errorf("invalid rotate value %q: expected hourly, daily or never", strings.TrimSpace(s))
}

// rotationKeys reads PREFIX_rotate, PREFIX_maxage and PREFIX_compress
// ("logfile" or "stdout_logfile"…) of a section.
func (l *loader) rotationKeys(section, prefix string, backups int, exp map[string]any) (every RotateEvery, maxage int, compress bool, err error) {
	if every, err = parsed(l, section, prefix+"_rotate", "never", exp, ParseRotateEvery); err != nil {
		return
	}
	if maxage, err = l.integer(section, prefix+"_maxage", "0", exp); err != nil {
		return
	}
	if maxage < 0 {
		err = l.errAt(section, prefix+"_maxage", fmt.Sprintf("%s_maxage must be 0 (no limit) or more days, not %d", prefix, maxage))
		return
	}
	if compress, err = l.boolean(section, prefix+"_compress", "false", exp); err != nil {
		return
	}
	needsBackups := func(key string) error {
		return l.errAt(section, key, fmt.Sprintf("%s needs %s_backups > 0: no backup is kept", key, prefix))
	}
	switch {
	case backups > 0:
	case maxage > 0:
		err = needsBackups(prefix + "_maxage")
	case compress:
		err = needsBackups(prefix + "_compress")
	}
	return
}

// readSupervisordLogs reads the log keys of [supervisord] into s.
func (l *loader) readSupervisordLogs(s *Supervisord, exp map[string]any) error {
	const sec = "supervisord"
	var err error
	if s.ContainerLogsJSON, err = parsed(l, sec, "container_logs_format", "plain", exp, parseConsoleFormat); err != nil {
		return err
	}
	if s.ContainerLogsTimestamps, err = l.boolean(sec, "container_logs_timestamps", "false", exp); err != nil {
		return err
	}
	if !s.ContainerLogs {
		for _, k := range []string{"container_logs_format", "container_logs_timestamps"} {
			if _, ok := l.raw(sec, k); ok {
				return l.errAt(sec, k, k+" is set but container_logs is not true")
			}
		}
	}
	if s.ContainerLogsJSON && s.ContainerLogsTimestamps {
		return l.errAt(sec, "container_logs_timestamps", "container_logs_timestamps is for container_logs_format=plain: JSON lines always have their time")
	}
	s.LogfileRotate, s.LogfileMaxage, s.LogfileCompress, err = l.rotationKeys(sec, "logfile", s.LogfileBackups, exp)
	return err
}

// parseConsoleFormat reads container_logs_format: true for json.
func parseConsoleFormat(s string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "plain":
		return false, nil
	case "json":
		return true, nil
	}
	return false, fmt.Errorf("invalid container_logs_format %q: expected plain or json", strings.TrimSpace(s))
}

// processLogs reads the log keys of a process section into p (after 4.2's
// keys and the other extras).
func (l *loader) processLogs(section string, p *ProcessConfig, exp map[string]any) error {
	for _, ch := range []struct {
		name string
		lc   *LogConfig
	}{{"stdout", &p.Stdout}, {"stderr", &p.Stderr}} {
		var err error
		if ch.lc.Timestamps, err = l.boolean(section, ch.name+"_logfile_timestamps", "false", exp); err != nil {
			return err
		}
		if ch.lc.Rotate, ch.lc.Maxage, ch.lc.Compress, err = l.rotationKeys(section, ch.name+"_logfile", ch.lc.Backups, exp); err != nil {
			return err
		}
	}
	return l.readyLogLine(section, p, exp)
}

// readyLogLine reads ready_log_line into p, checking that it compiles and
// is not combined with what it cannot go with.
func (l *loader) readyLogLine(section string, p *ProcessConfig, exp map[string]any) error {
	const key = "ready_log_line"
	if _, ok := l.raw(section, key); !ok {
		p.ReadyLogLine = ""
		return nil
	}
	v, err := l.value(section, key, "", exp)
	if err != nil {
		return err
	}
	if err := CheckReadyLogLine(v); err != nil {
		return l.errAt(section, key, err.Error())
	}
	switch {
	case p.IsEventListener:
		// A listener is RUNNING to take events; its stdout is the protocol.
		return l.errAt(section, key, "ready_log_line cannot be used in an [eventlistener:x] section")
	case p.Notify:
		return l.errAt(section, key, "ready_log_line and notify=true are two ways to say a program is ready: set one")
	case p.Oneshot:
		return l.errAt(section, key, "oneshot=true cannot be used with ready_log_line: a one-shot is never RUNNING")
	}
	p.ReadyLogLine = v
	return nil
}

// CheckReadyLogLine checks a ready_log_line value: a regular expression
// in Go's RE2 syntax that cannot match an empty line (it would make every
// program ready at its first line, whatever it says).
func CheckReadyLogLine(v string) error {
	if strings.TrimSpace(v) == "" {
		return errors.New("ready_log_line is empty: give a regular expression a line of the program's output matches when it is ready")
	}
	re, err := regexp.Compile(v)
	if err != nil {
		return fmt.Errorf("invalid ready_log_line %q: %v", v, err)
	}
	if re.MatchString("") {
		return fmt.Errorf("ready_log_line %q matches an empty line: it would match any output", v)
	}
	return nil
}
