package config

import "fmt"

// Readiness notification keys of issue 22 (sd_notify; the daemon's side
// is core/notify and core/supervisor/notify.go). Off by default.
//
// [program:x] (and the other process sections)
//
//	notify = false      the child gets NOTIFY_SOCKET and is RUNNING only once
//	                    it sends READY=1; startsecs is then the time it has to
//	                    (0: no limit); none in time is a failed start
//	watchdog_secs = 0   the child gets NOTIFY_SOCKET, WATCHDOG_USEC and
//	                    WATCHDOG_PID; while RUNNING, no WATCHDOG=1 for this many
//	                    seconds stops and starts it again, like an unhealthy
//	                    process

// processNotify reads notify and watchdog_secs into p.
func (l *loader) processNotify(section string, p *ProcessConfig, exp map[string]any) error {
	var err error
	if p.Notify, err = l.boolean(section, "notify", "false", exp); err != nil {
		return err
	}
	if p.WatchdogSecs, err = l.integer(section, "watchdog_secs", "0", exp); err != nil {
		return err
	}
	if p.WatchdogSecs < 0 {
		return l.errAt(section, "watchdog_secs", fmt.Sprintf("watchdog_secs must be 0 (off) or more, not %d", p.WatchdogSecs))
	}
	return nil
}
