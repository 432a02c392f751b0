package process

import (
	"errors"
	"fmt"
	"strconv"
	"syscall"
	"time"

	"super/core/config"
)

// Readiness notification (notify=true, issue 22) and readiness from a
// log line (ready_log_line, issue 26) take one path: such a program is
// "gated". A STARTING process of it becomes RUNNING when the program says
// it is ready (READY=1 on the notify socket, or a line of its output
// matching ready_log_line: the engine hears of it and calls Ready), not
// when startsecs have passed. startsecs is instead the time it has to
// (0: no limit): when they pass first, the start failed. The child is then
// stopped as by a stop request (stopsignal, SIGKILL after stopwaitsecs)
// and, once reaped, goes to BACKOFF with the reason as its description, so
// the usual retries and FATAL follow. Exiting before it is ready is a
// failed start too, however long it took.
//
//	STARTING → RUNNING    ready (READY=1, a matching line)
//	STARTING → STOPPING   startsecs passed without it
//	STOPPING → BACKOFF    reaped after that stop
//	STARTING → BACKOFF    exited before it
//
// A signal the engine has not delivered yet (a matching line read by an
// output reader while the loop was busy) is asked for through the ready
// probe before startsecs are declared over and before an exit is judged,
// so a program that was ready in time is counted so.

// gated reports whether the program says itself when it is ready.
func (p *Process) gated() bool { return p.Config.Notify || p.Config.ReadyLogLine != "" }

// readyTexts are how the log and the description name a gated program's
// signal.
type readyTexts struct {
	ready   string // "success: x entered RUNNING state, " + ready
	missing string // "x " + missing + " within 30 seconds (startsecs); stopping it"
	none    string // the description: none + " within 30 seconds (startsecs)"
	exited  string // the description of an exit before it
}

var (
	notifyTexts = readyTexts{
		ready:   "process reported ready (READY=1)",
		missing: "did not send READY=1",
		none:    "no READY=1",
		exited:  "Exited before READY=1 (process log may have details)",
	}
	logLineTexts = readyTexts{
		ready:   "a line of its output matched ready_log_line",
		missing: "printed no line matching ready_log_line",
		none:    "no line matching ready_log_line",
		exited:  "Exited before a line matched ready_log_line (process log may have details)",
	}
)

func (p *Process) readyTexts() readyTexts {
	if p.Config.Notify {
		return notifyTexts
	}
	return logLineTexts
}

// SetReadyProbe sets what tells whether the program has already said it
// is ready without Ready having been called yet (nil: never): the engine
// sets it at each spawn of a ready_log_line program.
func (p *Process) SetReadyProbe(probe func() bool) { p.readyProbe = probe }

// readySaid calls Ready when the program said it is ready and Ready was
// not called yet, and reports whether the process is RUNNING now.
func (p *Process) readySaid() bool {
	if p.readyProbe != nil && p.readyProbe() {
		p.Ready()
	}
	return p.state == Running
}

// Ready records that the child said it is ready: a STARTING process of a
// gated program becomes RUNNING. It reports whether it did.
func (p *Process) Ready() bool {
	if !p.gated() || p.state != Starting {
		return false
	}
	p.delay = time.Time{}
	p.backoff = 0
	p.to(Running, true)
	p.opts.Log.Info("success: %s entered RUNNING state, %s", p.Name(), p.readyTexts().ready)
	return true
}

// notReady is the end of startsecs for a STARTING gated process: a
// failed start. (startsecs=0 sets no deadline; see NextDeadline.)
func (p *Process) notReady() {
	if p.Config.Startsecs <= 0 || p.readySaid() {
		return
	}
	p.opts.Log.Warn("%s %s within %d seconds (startsecs); stopping it", p.Name(), p.readyTexts().missing, p.Config.Startsecs)
	p.Kill(p.Config.Stopsignal)
	if p.state == Stopping {
		p.notReadyStop = true
	}
}

// notReadyStopped is Finish of the child stopped by notReady: BACKOFF,
// with why.
func (p *Process) notReadyStopped() {
	p.notReadyStop = false
	p.spawnerr = fmt.Sprintf("%s within %d seconds (startsecs)", p.readyTexts().none, p.Config.Startsecs)
	p.to(Backoff, true)
}

// exitedTooQuickly is Finish's test for a start that failed by exiting:
// within startsecs (4.2), or for a gated program before it was ready.
func (p *Process) exitedTooQuickly(now time.Time) bool {
	if p.gated() {
		return p.state == Starting && !p.readySaid()
	}
	return now.Sub(p.laststart) < secs(p.Config.Startsecs)
}

// tooQuicklyMessage is the description of a start that failed by exiting.
func (p *Process) tooQuicklyMessage() string {
	if p.gated() {
		return p.readyTexts().exited
	}
	return "Exited too quickly (process log may have details)"
}

// startingDeadline is when a STARTING process's startsecs end; zero for a
// gated program with startsecs=0 (it may take as long as it needs).
func (p *Process) startingDeadline() time.Time {
	if p.gated() && p.Config.Startsecs <= 0 {
		return time.Time{}
	}
	return p.laststart.Add(secs(p.Config.Startsecs) + time.Nanosecond)
}

// WATCHDOG_PID must be the program's own pid, known only after the fork,
// and syscall.ForkExec fixes the environment before it. A watchdog
// program is therefore started through this binary (as the retry of
// childfail.go is): the child of ours does the user switch and chdir
// itself, adds WATCHDOG_PID with its own pid and execs the program, which
// keeps that pid. It costs one exec of this binary per start, and only
// programs with watchdog_secs pay it.

// forkWithWatchdogPID is syscall.ForkExec through this binary, which adds
// WATCHDOG_PID before exec'ing the program.
func forkWithWatchdogPID(filename string, argv []string, attr *syscall.ProcAttr, cred *syscall.Credential, uid int) (int, error) {
	return forkSteps(childSteps{File: filename, Argv: argv, Dir: attr.Dir, UID: uid, WatchdogPID: true}, attr, cred)
}

// watchdogPIDVar is the variable runChildSteps adds when asked.
func watchdogPIDVar(pid int) string { return "WATCHDOG_PID=" + strconv.Itoa(pid) }

// notifyVars sets what a notify=true or watchdog program is told:
// NOTIFY_SOCKET, and WATCHDOG_USEC for a watchdog (WATCHDOG_PID is added
// by the child itself, see above). They are set last: the socket is the
// daemon's, whatever the environment says.
func (l *Launcher) notifyVars(cfg *config.ProcessConfig, set func(k, v string)) error {
	if l.NotifySocket == nil {
		return errors.New("no notify socket")
	}
	addr, err := l.NotifySocket()
	if err != nil {
		return fmt.Errorf("can't make the notify socket: %v", err)
	}
	set("NOTIFY_SOCKET", addr)
	if cfg.WatchdogSecs > 0 {
		set("WATCHDOG_USEC", strconv.FormatInt(int64(cfg.WatchdogSecs)*1e6, 10))
	}
	return nil
}
