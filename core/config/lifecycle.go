package config

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// Lifecycle keys (issue 22): how a program is started again and when it is
// started at all. Every one is off by default, and a config without them
// behaves as under 4.2.
//
// [program:x], [eventlistener:x], [fcgi-program:x]
//
//	restart_delay = 0        seconds to wait before every automatic restart
//	                         (after an exit with autorestart, before each
//	                         BACKOFF retry instead of 4.2's 1, 2, 3… s)
//	restart_delay_max =      cap of the delay, which doubles with each
//	                         automatic restart in a row; = restart_delay
//	startretries = infinite  never FATAL for too many failed starts
//	oneshot = false          the program runs to completion: an expected exit
//	                         is success (EXITED, never restarted); not for
//	                         [eventlistener:x], nor with healthcheck, notify
//	                         or watchdog_secs
//	schedule =               cron spec (5 fields, @hourly…, @every 30s,
//	                         CRON_TZ= prefix): started at each tick when not
//	                         running, never autorestarted; not for
//	                         [eventlistener:x]

// RetryForever is Startretries for startretries=infinite: no count of
// failed starts in a row reaches it (2^31 starts, each a second apart at
// least, take 68 years), and it is still an XML-RPC int for
// getAllConfigInfo.
const RetryForever = math.MaxInt32

// parseStartretries is 4.2's integer, or "infinite".
func parseStartretries(s string) (int, error) {
	if strings.EqualFold(pyStrip(s), "infinite") {
		return RetryForever, nil
	}
	return pyInt(s)
}

// processLifecycle reads the lifecycle keys of a process section into p
// (after 4.2's keys and the other extras).
func (l *loader) processLifecycle(section string, p *ProcessConfig, exp map[string]any) error {
	var err error
	if p.RestartDelay, err = parsed(l, section, "restart_delay", "0", exp, delaySeconds("restart_delay")); err != nil {
		return err
	}
	p.RestartDelayMax = p.RestartDelay
	if _, ok := l.raw(section, "restart_delay_max"); ok {
		if p.RestartDelayMax, err = parsed(l, section, "restart_delay_max", "", exp, delaySeconds("restart_delay_max")); err != nil {
			return err
		}
		switch {
		case p.RestartDelay == 0:
			return l.errAt(section, "restart_delay_max", "restart_delay_max is set but restart_delay is not")
		case p.RestartDelayMax < p.RestartDelay:
			return l.errAt(section, "restart_delay_max", fmt.Sprintf("restart_delay_max (%s) is less than restart_delay (%s)",
				FormatSeconds(p.RestartDelayMax), FormatSeconds(p.RestartDelay)))
		}
	}
	if p.Oneshot, err = l.boolean(section, "oneshot", "false", exp); err != nil {
		return err
	}
	if p.Oneshot {
		switch {
		case p.IsEventListener:
			// A listener must run to take events: it never runs to an end.
			return l.errAt(section, "oneshot", "oneshot cannot be used in an [eventlistener:x] section")
		case p.Healthcheck != nil, p.Notify, p.WatchdogSecs > 0:
			// These are about a RUNNING process, which a one-shot never is.
			return l.errAt(section, "oneshot", "oneshot=true cannot be used with healthcheck, notify or watchdog_secs")
		}
	}
	v, err := l.value(section, "schedule", "", exp)
	if err != nil {
		return err
	}
	if p.Schedule = strings.TrimSpace(v); p.Schedule != "" {
		if p.IsEventListener {
			return l.errAt(section, "schedule", "schedule cannot be used in an [eventlistener:x] section")
		}
		if _, err := ParseSchedule(p.Schedule); err != nil {
			return l.errAt(section, "schedule", err.Error())
		}
	}
	return nil
}

// delaySeconds reads a delay in seconds (fractions allowed), 0 or more.
func delaySeconds(key string) func(string) (time.Duration, error) {
	return func(s string) (time.Duration, error) {
		d, err := seconds(s)
		if err != nil {
			return 0, fmt.Errorf("invalid %s value %q: expected a number of seconds, 0 or more", key, strings.TrimSpace(s))
		}
		return d, nil
	}
}

// FormatSeconds writes a delay as the config and the activity log say it:
// "8", "0.25".
func FormatSeconds(d time.Duration) string {
	return strings.TrimRight(strings.TrimRight(fmt.Sprintf("%.3f", d.Seconds()), "0"), ".")
}

// Schedule is a parsed schedule= value: the time of the tick after t (the
// zero time when there is none).
type Schedule interface {
	Next(t time.Time) time.Time
}

// scheduleParser is cron's standard five fields (minute, hour, day of
// month, month, day of week) and its @descriptors.
var scheduleParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// ParseSchedule reads a schedule= value: five cron fields ("*/5 * * * *"),
// a descriptor (@yearly, @annually, @monthly, @weekly, @daily, @midnight,
// @hourly) or "@every DURATION" (whole seconds, at least 1s), optionally
// after "CRON_TZ=Zone " (or "TZ=Zone ") naming the time zone the fields are
// read in (the daemon's local time otherwise). A schedule that never
// fires (30 February) is an error too.
func ParseSchedule(spec string) (Schedule, error) {
	spec = strings.TrimSpace(spec)
	body := spec
	if strings.HasPrefix(body, "CRON_TZ=") || strings.HasPrefix(body, "TZ=") {
		// cron's parser slices up to the first space without looking
		// for one: "TZ=UTC" alone would make it panic.
		_, rest, ok := strings.Cut(body, " ")
		if !ok || strings.TrimSpace(rest) == "" {
			return nil, fmt.Errorf("invalid schedule %q: a time zone must be followed by the schedule", spec)
		}
		body = strings.TrimSpace(rest)
	}
	if after, ok := strings.CutPrefix(body, "@every"); ok {
		d, err := time.ParseDuration(strings.TrimSpace(after))
		switch {
		case err != nil || strings.TrimSpace(after) == "":
			return nil, fmt.Errorf("invalid schedule %q: @every needs a duration such as 30s, 5m or 1h30m", spec)
		case d < time.Second || d%time.Second != 0:
			// cron would round it to whole seconds, at least one.
			return nil, fmt.Errorf("invalid schedule %q: @every needs a whole number of seconds, at least 1s", spec)
		}
	}
	s, err := scheduleParser.Parse(spec)
	if err != nil {
		return nil, fmt.Errorf("invalid schedule %q: %v", spec, err)
	}
	if s.Next(time.Now()).IsZero() {
		return nil, fmt.Errorf("invalid schedule %q: it never fires", spec)
	}
	return s, nil
}
