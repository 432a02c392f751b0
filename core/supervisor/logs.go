package supervisor

import (
	"strings"

	"super/core/config"
	"super/core/logging"
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
