// Package health probes a supervised program (a command, an HTTP GET, a
// TCP connect) and turns the probes' results into a verdict: starting,
// healthy or unhealthy. It keeps no process state of its own: the
// supervisor loop owns a Verdict per process, runs probes on their own
// goroutines and feeds each Result back to that Verdict.
package health

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"
	"unicode/utf8"

	"super/core/config"
)

// Status is a process's health: a verdict, or None for a process
// without a healthcheck (the zero value, so "not checked" needs no setup).
type Status int

const (
	None      Status = iota // no healthcheck configured
	Starting                // no verdict yet since the spawn
	Healthy                 // the last probe passed
	Unhealthy               // Retries probes in a row failed
)

func (s Status) String() string {
	switch s {
	case Starting:
		return "starting"
	case Healthy:
		return "healthy"
	case Unhealthy:
		return "unhealthy"
	}
	return "none"
}

// Result is what one probe found.
type Result struct {
	OK bool
	// Output says why a probe failed: the command's output (or its exit
	// status when it printed nothing), the HTTP status, the connect error.
	// At most MaxOutput bytes, trimmed, valid UTF-8. "" when OK.
	Output string
}

// MaxOutput bounds Result.Output: it is kept per process and shown in
// status answers and the activity log.
const MaxOutput = 512

// Probe checks a program once. Check returns within the probe's timeout
// (a probe taking longer fails) or soon after ctx is cancelled.
type Probe interface {
	Check(ctx context.Context) Result
}

// Exec is what an exec probe needs beside the check itself: the checked
// program's config (its PATH, directory and user), the [supervisord]
// environment (PATH fallback, as for command=) and the environment the
// program's child gets. Children is nil when nothing else in this process
// reaps children with wait4(-1); see Children.
type Exec struct {
	Program   *config.ProcessConfig
	DaemonEnv map[string]string
	Env       []string
	Children  *Children
}

// New returns the probe for hc. ex is used only by exec checks.
func New(hc *config.HealthCheck, ex Exec) Probe {
	switch hc.Kind {
	case config.HealthHTTP:
		return NewHTTP(hc.Target, hc.Timeout)
	case config.HealthTCP:
		return NewTCP(hc.Target, hc.Timeout)
	}
	return NewCommand(hc.Target, hc.Timeout, ex)
}

// Verdict turns a sequence of probe results into a Status: Retries
// failures in a row make it Unhealthy, a pass makes it Healthy, and
// failures of probes begun within StartPeriod after the spawn do not count.
// Reset starts over (a new spawn). The zero value with Retries set is a
// fresh verdict; it is a plain value owned by one goroutine.
type Verdict struct {
	Retries     int           // failures in a row that make it unhealthy (at least 1)
	StartPeriod time.Duration // after the spawn, failures do not count

	Status   Status
	Failures int    // counted failures in a row
	Output   string // the last failed probe's Output; "" after a pass
}

// NewVerdict is a fresh verdict for hc.
func NewVerdict(hc *config.HealthCheck) Verdict {
	return Verdict{Retries: hc.Retries, StartPeriod: hc.StartPeriod, Status: Starting}
}

// Reset forgets every result: the process was spawned again.
func (v *Verdict) Reset() {
	v.Status, v.Failures, v.Output = Starting, 0, ""
}

// Record applies the result of a probe that began sinceSpawn after the
// process was spawned, and reports whether the Status changed.
func (v *Verdict) Record(r Result, sinceSpawn time.Duration) (changed bool) {
	before := v.Status
	switch {
	case r.OK:
		v.Status, v.Failures, v.Output = Healthy, 0, ""
	case sinceSpawn < v.StartPeriod:
		// The program may still be coming up: the failure is shown but
		// not counted.
		v.Output = r.Output
	default:
		v.Output = r.Output
		v.Failures++
		if v.Failures >= max(v.Retries, 1) {
			v.Status = Unhealthy
		}
	}
	return v.Status != before
}

// clip trims s and cuts it to MaxOutput bytes of valid UTF-8.
func clip(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > MaxOutput {
		s = s[:MaxOutput]
		// Drop a rune cut in half rather than show a replacement mark.
		for i := 0; i < utf8.UTFMax-1; i++ {
			if r, n := utf8.DecodeLastRuneInString(s); r != utf8.RuneError || n != 1 {
				break
			}
			s = s[:len(s)-1]
		}
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}

func fail(format string, args ...any) Result {
	return Result{Output: clip(fmt.Sprintf(format, args...))}
}

// timedOut reports whether err is the probe's own deadline (not a
// cancellation by the caller).
func timedOut(ctx context.Context, err error) bool {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) || errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// seconds prints a timeout as configured ("1s", "0.5s").
func seconds(d time.Duration) string {
	return fmt.Sprintf("%gs", d.Seconds())
}
