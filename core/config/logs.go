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
	return nil
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
	}
	return nil
}
