package process

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	"super/core/config"
	"super/core/testbin"
)

// startWorld is a world whose spawner starts children in two halves, as
// the Launcher's Start does; started counts the halves not yet waited for.
type startWorld struct {
	*world
	started int
}

func (w *startWorld) Start(p *Process) func() (Child, error) {
	w.started++
	return func() (Child, error) {
		w.started--
		return w.Spawn(p)
	}
}

func newStartWorld(mod func(c *config.ProcessConfig)) *startWorld {
	w := &startWorld{world: newWorld(mod)}
	w.p.opts.Spawner = w
	return w
}

// An automatic start through a Starter is STARTING, without a pid or a
// "spawned:" line, until it is finished; then it is what Spawn makes.
func TestStartTransitionFinishesLater(t *testing.T) {
	w := newStartWorld(nil)
	finish := w.p.StartTransition(MoodRunning)
	if finish == nil {
		t.Fatal("an autostart through a Starter finished at once")
	}
	w.want(t, Starting)
	if w.p.Pid() != 0 || w.started != 1 || len(w.log.lines) != 0 {
		t.Fatalf("before finish: pid %d, %d started, log %q", w.p.Pid(), w.started, w.log.lines)
	}
	finish()
	if w.p.Pid() != 101 || w.started != 0 {
		t.Fatalf("after finish: pid %d, %d started", w.p.Pid(), w.started)
	}
	w.log.has(t, "INFO spawned: 'x' with pid 101")
	if got := strings.Join(w.changes, " "); got != "STOPPED->STARTING" {
		t.Errorf("changes %s", got)
	}
	// STARTING → RUNNING is not a start: nothing is left to finish.
	w.advance(2e9)
	if f := w.p.StartTransition(MoodRunning); f != nil {
		t.Fatal("STARTING → RUNNING left something to finish")
	}
	w.want(t, Running)
}

// A start that fails is BACKOFF once finished, with the error recorded.
func TestStartTransitionFailure(t *testing.T) {
	w := newStartWorld(nil)
	w.failErr = errors.New("can't find command 'nope'")
	finish := w.p.StartTransition(MoodRunning)
	w.want(t, Starting)
	finish()
	w.want(t, Backoff)
	w.log.has(t, "INFO spawnerr: can't find command 'nope'")
	if w.p.SpawnErr() != "can't find command 'nope'" || w.p.Backoff() != 1 {
		t.Errorf("spawnerr %q, backoff %d", w.p.SpawnErr(), w.p.Backoff())
	}
}

// A BACKOFF retry is done whole: a failure past startretries gives up in
// the same transition, as 4.2 does.
func TestStartTransitionRetryIsWhole(t *testing.T) {
	w := newStartWorld(func(c *config.ProcessConfig) { c.Startretries = 1 })
	w.failErr = errors.New("can't find command 'nope'")
	w.p.StartTransition(MoodRunning)()
	w.want(t, Backoff)
	w.advance(1500e6)
	if f := w.p.StartTransition(MoodRunning); f != nil {
		t.Fatal("a BACKOFF retry was left to finish later")
	}
	w.want(t, Fatal)
	if w.started != 0 {
		t.Errorf("%d starts not waited for", w.started)
	}
}

// Without a Starter, StartTransition is Transition.
func TestStartTransitionWithoutStarter(t *testing.T) {
	w := newWorld(nil)
	if f := w.p.StartTransition(MoodRunning); f != nil {
		t.Fatal("a plain Spawner left something to finish")
	}
	w.want(t, Starting)
	if w.p.Pid() != 101 {
		t.Errorf("pid %d, want 101", w.p.Pid())
	}
}

// bufSink collects one stream's output.
type bufSink struct{ testbin.SyncBuffer }

func (*bufSink) Close() error { return nil }

// Children started with Launcher.Start while others are still forking
// each get their own directory, environment and umask: a program's umask
// never leaks into another's fork, and what fails to start fails as with
// Spawn.
func TestLauncherStartKeepsChildrenApart(t *testing.T) {
	own := syscall.Umask(0o022)
	syscall.Umask(own)
	var mu sync.Mutex
	sinks := map[string]*bufSink{}
	l := &Launcher{Sinks: func(c *config.ProcessConfig, _ string) (io.WriteCloser, error) {
		mu.Lock()
		defer mu.Unlock()
		s := &bufSink{}
		sinks[c.Name] = s
		return s, nil
	}}
	const n = 12
	var waits []func() (Child, error)
	var cfgs []*config.ProcessConfig
	for i := range n {
		dir := t.TempDir()
		cfg := &config.ProcessConfig{Name: fmt.Sprintf("p%d", i), Group: "g",
			Command: "/bin/sh -c 'echo $SUPERVISOR_PROCESS_NAME $(pwd) $(umask)'", Directory: dir,
			RedirectStderr: true, Umask: -1, UID: -1, GID: -1, Exitcodes: []int{0}}
		if i%3 == 1 {
			cfg.Umask = 0o077
		}
		if i == 7 {
			cfg.Directory = filepath.Join(dir, "missing")
		}
		cfgs = append(cfgs, cfg)
		waits = append(waits, l.Start(New(cfg, Options{})))
	}
	for i, wait := range waits {
		cfg := cfgs[i]
		child, err := wait()
		if err != nil {
			t.Fatalf("%s: %v", cfg.Name, err)
		}
		var ws syscall.WaitStatus
		if _, err := syscall.Wait4(child.Pid(), &ws, 0, nil); err != nil {
			t.Fatal(err)
		}
		child.Finished()
		child.(*Launched).Wait()
		got := strings.TrimSpace(sinks[cfg.Name].String())
		if i == 7 {
			// 4.2's message from the retry child, which really ran.
			if ws.ExitStatus() != 127 || !strings.Contains(got, "couldn't chdir to "+cfg.Directory) {
				t.Errorf("%s: exit %d, output %q", cfg.Name, ws.ExitStatus(), got)
			}
			continue
		}
		umask := own
		if cfg.Umask >= 0 {
			umask = cfg.Umask
		}
		want := fmt.Sprintf("%s %s %04o", cfg.Name, cfg.Directory, umask)
		if got != want || ws.ExitStatus() != 0 {
			t.Errorf("%s: output %q (exit %d), want %q", cfg.Name, got, ws.ExitStatus(), want)
		}
	}
	if now := syscall.Umask(own); now != own {
		t.Errorf("the daemon's umask is %#o after the spawns, want %#o", now, own)
	}
}
