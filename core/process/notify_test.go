package process

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"super/core/config"
)

func notifyWorld(startsecs int) *world {
	return newWorld(func(c *config.ProcessConfig) {
		c.Notify, c.Startsecs, c.Startretries = true, startsecs, 1
	})
}

// READY=1 makes a STARTING notify=true process RUNNING; startsecs passing
// does not.
func TestNotifyReadyMakesRunning(t *testing.T) {
	w := notifyWorld(5)
	w.p.Transition(MoodRunning)
	w.want(t, Starting)
	w.advance(2 * time.Second)
	w.p.Transition(MoodRunning)
	w.want(t, Starting)
	if !w.p.Ready() {
		t.Fatal("Ready() = false for a STARTING notify process")
	}
	w.want(t, Running)
	w.log.has(t, "INFO success: x entered RUNNING state, process reported ready (READY=1)")
	if w.p.Ready() {
		t.Error("a second READY=1 moved the process again")
	}
	// Exiting within startsecs after READY=1 is an exit, not a failed start.
	w.advance(time.Second)
	w.p.Finish(exitStatus(1))
	w.want(t, Exited)
	if !slices.Equal(w.changes, []string{"STOPPED->STARTING", "STARTING->RUNNING", "RUNNING->EXITED(unexpected)"}) {
		t.Errorf("changes %v", w.changes)
	}
}

func TestReadyIgnoredWithoutNotify(t *testing.T) {
	w := newWorld(nil)
	w.p.Transition(MoodRunning)
	if w.p.Ready() {
		t.Fatal("READY=1 moved a process without notify=true")
	}
	w.want(t, Starting)
}

// No READY=1 within startsecs: the child is stopped, BACKOFF once
// reaped, retried, then FATAL; the description says why.
func TestNotifyNotReadyInTime(t *testing.T) {
	w := notifyWorld(3)
	w.p.Transition(MoodRunning)
	if d := w.p.NextDeadline(MoodRunning); !d.Equal(w.now.Add(3*time.Second + time.Nanosecond)) {
		t.Errorf("STARTING deadline %v, want startsecs from now", d)
	}
	w.advance(3*time.Second + time.Millisecond)
	w.p.Transition(MoodRunning)
	w.want(t, Stopping)
	w.log.has(t, "WARN x did not send READY=1 within 3 seconds (startsecs); stopping it")
	if !slices.Equal(w.kills, []string{"101 SIGTERM"}) {
		t.Errorf("kills %v", w.kills)
	}
	w.p.Finish(signaled(15))
	w.want(t, Backoff)
	w.log.has(t, "WARN stopped: x (terminated by SIGTERM)")
	if w.p.SpawnErr() != "no READY=1 within 3 seconds (startsecs)" {
		t.Errorf("spawnerr %q", w.p.SpawnErr())
	}
	// The usual retry after 1 s, then FATAL (startretries=1).
	w.advance(time.Second + time.Millisecond)
	w.p.Transition(MoodRunning)
	w.want(t, Starting)
	w.advance(4 * time.Second)
	w.p.Transition(MoodRunning)
	w.p.Finish(signaled(15))
	w.p.Transition(MoodRunning)
	w.want(t, Fatal)
	w.log.has(t, "INFO gave up: x entered FATAL state, too many start retries too quickly")
	if !slices.Equal(w.changes, []string{"STOPPED->STARTING", "STARTING->STOPPING", "STOPPING->BACKOFF",
		"BACKOFF->STARTING", "STARTING->STOPPING", "STOPPING->BACKOFF", "BACKOFF->FATAL"}) {
		t.Errorf("changes %v", w.changes)
	}
}

// A stop request while the late start is being stopped wins: STOPPED.
func TestNotifyStopDuringNotReadyStop(t *testing.T) {
	w := notifyWorld(1)
	w.p.Transition(MoodRunning)
	w.advance(2 * time.Second)
	w.p.Transition(MoodRunning)
	w.want(t, Stopping)
	w.p.Stop()
	w.p.Finish(signaled(15))
	w.want(t, Stopped)
}

// Exiting before READY=1 is a failed start however long it ran; with
// startsecs=0 there is no deadline at all.
func TestNotifyExitBeforeReady(t *testing.T) {
	w := notifyWorld(0)
	w.p.Transition(MoodRunning)
	if d := w.p.NextDeadline(MoodRunning); !d.IsZero() {
		t.Errorf("startsecs=0: STARTING deadline %v, want none", d)
	}
	w.advance(time.Hour)
	w.p.Transition(MoodRunning)
	w.want(t, Starting)
	w.p.Finish(exitStatus(0))
	w.want(t, Backoff)
	w.log.has(t, "WARN exited: x (exit status 0; not expected)")
	if w.p.SpawnErr() != "Exited before READY=1 (process log may have details)" {
		t.Errorf("spawnerr %q", w.p.SpawnErr())
	}
}

// A watchdog program gets NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID
// with its own pid (the one the daemon logs and reaps), also in its
// directory; a notify=true one gets NOTIFY_SOCKET over what the
// environment says.
func TestNotifyVariables(t *testing.T) {
	var mu sync.Mutex
	sinks := map[string]*bufSink{}
	l := &Launcher{
		Sinks: func(c *config.ProcessConfig, _ string) (io.WriteCloser, error) {
			mu.Lock()
			defer mu.Unlock()
			s := &bufSink{}
			sinks[c.Name] = s
			return s, nil
		},
		NotifySocket: func() (string, error) { return "/run/test/notify", nil },
	}
	run := func(cfg *config.ProcessConfig) (pid int, out string) {
		t.Helper()
		child, err := l.Spawn(New(cfg, Options{}))
		if err != nil {
			t.Fatal(err)
		}
		var ws syscall.WaitStatus
		if _, err := syscall.Wait4(child.Pid(), &ws, 0, nil); err != nil {
			t.Fatal(err)
		}
		child.Finished()
		child.(*Launched).Wait()
		return child.Pid(), strings.TrimSpace(sinks[cfg.Name].String())
	}
	// The daemon's own WATCHDOG_PID (under systemd) passes to programs
	// without a watchdog and is replaced for those with one.
	t.Setenv("WATCHDOG_PID", "1")
	dir := t.TempDir()
	cmd := "/bin/sh -c 'echo $$ ${WATCHDOG_PID-unset} ${WATCHDOG_USEC-unset} $NOTIFY_SOCKET $(pwd)'"
	wd := &config.ProcessConfig{Name: "wd", Group: "g", Command: cmd, Directory: dir, WatchdogSecs: 7,
		RedirectStderr: true, Umask: -1, UID: -1, GID: -1, Exitcodes: []int{0}}
	pid, out := run(wd)
	if want := fmt.Sprintf("%d %d 7000000 /run/test/notify %s", pid, pid, dir); out != want {
		t.Errorf("watchdog program printed %q, want %q", out, want)
	}
	nt := &config.ProcessConfig{Name: "nt", Group: "g", Command: cmd, Notify: true,
		Environment: map[string]string{"NOTIFY_SOCKET": "/elsewhere"}, OwnEnvironment: map[string]string{"NOTIFY_SOCKET": "/elsewhere"},
		RedirectStderr: true, Umask: -1, UID: -1, GID: -1, Exitcodes: []int{0}}
	pid, out = run(nt)
	if want := fmt.Sprintf("%d 1 unset /run/test/notify", pid); !strings.HasPrefix(out, want) {
		t.Errorf("notify program printed %q, want %q…", out, want)
	}
	l.NotifySocket = nil
	if _, err := l.Spawn(New(nt, Options{})); err == nil {
		t.Error("spawned a notify program without a socket")
	}
}
