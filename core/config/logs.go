package config

import (
	"fmt"
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
	return nil
}
