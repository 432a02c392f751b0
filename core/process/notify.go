package process

import (
	"errors"
	"fmt"
	"strconv"
	"syscall"
	"time"

	"super/core/config"
)

// Readiness notification (notify=true, issue 22). A STARTING process of
// such a program becomes RUNNING when its program sends READY=1 (the
// engine reads the socket and calls Ready), not when startsecs have
// passed. startsecs is instead the time it has to send it (0: no limit):
// when they pass first, the start failed. The child is then stopped as by
// a stop request (stopsignal, SIGKILL after stopwaitsecs) and, once
// reaped, goes to BACKOFF with the reason as its description, so the
// usual retries and FATAL follow. Exiting before READY=1 is a failed start
// too, however long it took.
//
//	STARTING → RUNNING    READY=1
//	STARTING → STOPPING   startsecs passed without READY=1
//	STOPPING → BACKOFF    reaped after that stop
//	STARTING → BACKOFF    exited before READY=1

// Ready records READY=1 from the child: a STARTING process of a
// notify=true program becomes RUNNING. It reports whether it did.
func (p *Process) Ready() bool {
	if !p.Config.Notify || p.state != Starting {
		return false
	}
	p.delay = time.Time{}
	p.backoff = 0
	p.to(Running, true)
	p.opts.Log.Info("success: %s entered RUNNING state, process reported ready (READY=1)", p.Name())
	return true
}

// notReady is the end of startsecs for a STARTING notify=true process: a
// failed start. (startsecs=0 sets no deadline; see NextDeadline.)
func (p *Process) notReady() {
	if p.Config.Startsecs <= 0 {
		return
	}
	p.opts.Log.Warn("%s did not send READY=1 within %d seconds (startsecs); stopping it", p.Name(), p.Config.Startsecs)
	p.Kill(p.Config.Stopsignal)
	if p.state == Stopping {
		p.notReadyStop = true
	}
}

// notReadyStopped is Finish of the child stopped by notReady: BACKOFF,
// with why.
func (p *Process) notReadyStopped() {
	p.notReadyStop = false
	p.spawnerr = fmt.Sprintf("no READY=1 within %d seconds (startsecs)", p.Config.Startsecs)
	p.to(Backoff, true)
}

// exitedTooQuickly is Finish's test for a start that failed by exiting:
// within startsecs (4.2), or for notify=true before READY=1.
func (p *Process) exitedTooQuickly(now time.Time) bool {
	if p.Config.Notify {
		return p.state == Starting
	}
	return now.Sub(p.laststart) < secs(p.Config.Startsecs)
}

// tooQuicklyMessage is the description of a start that failed by exiting.
func (p *Process) tooQuicklyMessage() string {
	if p.Config.Notify {
		return "Exited before READY=1 (process log may have details)"
	}
	return "Exited too quickly (process log may have details)"
}

// startingDeadline is when a STARTING process's startsecs end; zero for a
// notify=true program with startsecs=0 (it may take as long as it needs).
func (p *Process) startingDeadline() time.Time {
	if p.Config.Notify && p.Config.Startsecs <= 0 {
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
