// Package logging is super's logging: the activity log (supervisord.log),
// the writers that store each child's stdout/stderr (rotation, syslog,
// strip_ansi, capture mode, PROCESS_LOG hooks) and the readers behind the
// readLog/tail RPC methods. Formats, texts and rotation rules are Supervisor
// 4.2's.
package logging

import (
	"strings"

	"super/core/config"
)

// LevelName is the four-letter name 4.2 prints in a log line (CRIT, ERRO,
// WARN, INFO, DEBG, TRAC, BLAT); "" for a number that is not a level.
func LevelName(l config.LogLevel) string {
	switch l {
	case config.LevelCritical:
		return "CRIT"
	case config.LevelError:
		return "ERRO"
	case config.LevelWarn:
		return "WARN"
	case config.LevelInfo:
		return "INFO"
	case config.LevelDebug:
		return "DEBG"
	case config.LevelTrace:
		return "TRAC"
	case config.LevelBlather:
		return "BLAT"
	}
	return ""
}

// ParseLevel maps a loglevel value (critical, error, warn, info, debug,
// trace, blather; case-insensitive) to its number. ok is false for anything
// else; 4.2's message for that is "bad logging level name 'x'".
func ParseLevel(s string) (l config.LogLevel, ok bool) {
	switch strings.ToLower(s) {
	case "critical":
		return config.LevelCritical, true
	case "error":
		return config.LevelError, true
	case "warn":
		return config.LevelWarn, true
	case "info":
		return config.LevelInfo, true
	case "debug":
		return config.LevelDebug, true
	case "trace":
		return config.LevelTrace, true
	case "blather":
		return config.LevelBlather, true
	}
	return 0, false
}
