package stress

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"super/core/testbin"
)

// stopSignals are the signals that ask supervisord to exit.
var stopSignals = []syscall.Signal{syscall.SIGTERM, syscall.SIGINT}

// A stop signal that arrives while a SIGHUP restart is under way ends the
// daemon: exit status 0, nothing started again, no child left behind.
// "while stopping": the restart is held open by a child that takes a
// moment to stop; "at once": the stop signal follows the SIGHUP directly.
func TestStopSignalDuringRestart(t *testing.T) {
	t.Parallel()
	var tally stopTally
	t.Cleanup(func() {
		t.Logf("figure: stop signal during a SIGHUP restart (SIGTERM, SIGINT × while stopping, at once): %v", &tally)
	})
	for _, sig := range stopSignals {
		for _, when := range []string{"while stopping", "at once"} {
			t.Run(fmt.Sprintf("%s %s", sigName(sig), when), func(t *testing.T) {
				t.Parallel()
				// slow runs its TERM trap only once the current sleep is
				// over, then takes another moment: the restart waits for it.
				d := testbin.Start(t, false, `[program:slow]
command=sh -c 'trap "sleep 0.5; exit 0" TERM; while :; do sleep 0.1; done'
startsecs=0
stopwaitsecs=20

[program:fast]
command=sleep 1000
startsecs=0
`)
				d.WaitState(t, "slow", "RUNNING", 10*time.Second)
				d.WaitState(t, "fast", "RUNNING", 10*time.Second)
				kids := testbin.Descendants(d.Pid())
				if err := d.Signal(syscall.SIGHUP); err != nil {
					t.Fatal(err)
				}
				if when == "while stopping" {
					// The restart reports what it waits for: slow is in its trap.
					if err := testbin.Poll(10*time.Second, func() bool {
						for _, l := range strings.Split(d.Log(), "\n") {
							if strings.Contains(l, "waiting for ") && strings.Contains(l, "slow") && strings.HasSuffix(l, " to die") {
								return true
							}
						}
						return false
					}); err != nil {
						t.Fatalf("no report of the restart waiting for slow:\n%s", d.Log())
					}
				}
				at := len(d.Log())
				if err := d.Signal(sig); err != nil {
					t.Fatal(err)
				}
				tally.add(assertStopped(t, d, at, kids))
				after := d.Log()[at:]
				if when == "while stopping" && !strings.Contains(after, "received "+sigName(sig)+" indicating exit request") {
					t.Errorf("the %s is not logged:\n%s", sigName(sig), after)
				}
			})
		}
	}
}

// The stop signal follows the SIGHUP after delays swept over the whole
// restart (stop, reload, start again and just after): whichever phase it
// hits, the daemon exits 0, starts nothing once it has logged the signal,
// starts the program at most once again, and leaves no child behind.
func TestStopSignalSweptOverRestart(t *testing.T) {
	t.Parallel()
	steps := pick(4, 60)
	// Subtests run one after another: the tallies need no lock.
	var tally stopTally
	respawned := 0
	defer func() {
		t.Logf("figure: stop signal 0–%v after a SIGHUP: %v; the program started again before the exit in %d cases",
			time.Duration(steps-1)*500*time.Microsecond, &tally, respawned)
	}()
	for i := range steps {
		sig := stopSignals[i%len(stopSignals)]
		// A deliberate timing offset, not a wait for a condition.
		delay := time.Duration(i) * 500 * time.Microsecond
		t.Run(fmt.Sprintf("%s after %v", sigName(sig), delay), func(t *testing.T) {
			d := testbin.Start(t, false, "[program:worker]\ncommand=sleep 1000\nstartsecs=0\n")
			d.WaitState(t, "worker", "RUNNING", 10*time.Second)
			kids := testbin.Descendants(d.Pid())
			at := len(d.Log())
			if err := d.Signal(syscall.SIGHUP); err != nil {
				t.Fatal(err)
			}
			time.Sleep(delay)
			if err := d.Signal(sig); err != nil {
				t.Fatal(err)
			}
			t0 := time.Now()
			status, err := d.Wait(30 * time.Second)
			if err != nil {
				t.Fatalf("the daemon ignored the stop signal: %v", err)
			}
			r := stopResult{took: time.Since(t0), status: status}
			defer func() { tally.add(r) }()
			if status != 0 {
				t.Errorf("exit status %d, want 0\n%s", status, d.Log())
			}
			log := d.Log()[at:]
			n := countLines(log, "spawned: ")
			if n > 1 {
				t.Errorf("worker spawned %d times after the SIGHUP:\n%s", n, log)
			}
			if n > 0 {
				respawned++
			}
			if _, after, ok := strings.Cut(log, "received "+sigName(sig)+" indicating exit request"); ok {
				r.spawned = countLines(after, "spawned: ")
				if r.spawned > 0 {
					t.Errorf("spawned after the %s was logged:\n%s", sigName(sig), log)
				}
			}
			r.left = leftBehind(t, d, kids)
		})
	}
}

// A stop signal that arrives while the restart reads the configuration
// again, when no process engine is listening for signals, ends the daemon
// instead of the restart. The configuration includes a named pipe, so the
// daemon waits in the middle of the reload until the test has sent the
// signal.
func TestStopSignalWhileReloading(t *testing.T) {
	t.Parallel()
	var tally stopTally
	t.Cleanup(func() { t.Logf("figure: stop signal while the restart reads its configuration: %v", &tally) })
	for _, sig := range stopSignals {
		t.Run(sigName(sig), func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			fifo := filepath.Join(dir, "programs.ini")
			if err := syscall.Mkfifo(fifo, 0o600); err != nil {
				t.Fatal(err)
			}
			const programs = "[program:worker]\ncommand=sleep 1000\nstartsecs=0\n"
			// The first load reads the pipe while the daemon starts.
			fed := make(chan error, 1)
			go func() { fed <- os.WriteFile(fifo, []byte(programs), 0o600) }()
			d := testbin.StartConf(t, false, dir, testbin.BaseConf(dir)+"[include]\nfiles = "+fifo+"\n")
			if err := <-fed; err != nil {
				t.Fatal(err)
			}
			d.WaitState(t, "worker", "RUNNING", 10*time.Second)
			kids := testbin.Descendants(d.Pid())
			at := len(d.Log())
			if err := d.Signal(syscall.SIGHUP); err != nil {
				t.Fatal(err)
			}
			// Opening the pipe for writing without blocking succeeds once
			// the reload has it open for reading.
			var w *os.File
			if err := testbin.Poll(15*time.Second, func() bool {
				f, err := os.OpenFile(fifo, os.O_WRONLY|syscall.O_NONBLOCK, 0)
				if err == nil {
					w = f
					return true
				}
				if !errors.Is(err, syscall.ENXIO) {
					t.Fatal(err)
				}
				return d.Exited()
			}); err != nil || w == nil {
				t.Fatalf("the restart never read the configuration again (exited=%v): %v\n%s", d.Exited(), err, d.Log())
			}
			if err := d.Signal(sig); err != nil {
				w.Close()
				t.Fatal(err)
			}
			waitTaken(t, d.Pid(), sig)
			// The handler has taken the signal; the daemon's own goroutines
			// still have to pass it on. It is blocked on the pipe, so once
			// none of its threads is runnable they have.
			waitIdle(t, d.Pid())
			_, werr := w.WriteString(programs)
			w.Close()
			tally.add(assertStopped(t, d, at, kids))
			if werr != nil {
				t.Errorf("the daemon gave up reading its configuration: %v", werr)
			}
		})
	}
}

// A stop signal that arrives after the configuration was read again, while
// the restarting daemon sets itself up (here: clearing many stale AUTO
// child logs), ends the daemon before it starts any program.
func TestStopSignalWhileStartingAgain(t *testing.T) {
	t.Parallel()
	var tally stopTally
	var mu sync.Mutex
	var uncleared []int
	t.Cleanup(func() {
		mu.Lock()
		defer mu.Unlock()
		t.Logf("figure: stop signal while the restart clears 5000 stale logs: %v; stale logs left uncleared %v", &tally, uncleared)
	})
	for _, sig := range stopSignals {
		t.Run(sigName(sig), func(t *testing.T) {
			t.Parallel()
			d := testbin.Start(t, false, "[program:worker]\ncommand=sleep 1000\nstartsecs=0\n")
			d.WaitState(t, "worker", "RUNNING", 10*time.Second)
			kids := testbin.Descendants(d.Pid())
			// AUTO logs a previous daemon with this identifier left behind:
			// the restart removes them in name order before it starts
			// anything. They are hard links of one file: creating
			// thousands of files is slow on some file systems, linking is
			// not.
			const stale = 5000
			name := func(i int) string {
				return filepath.Join(d.Dir, fmt.Sprintf("old%05d-stdout---testsup-x.log", i))
			}
			seed := filepath.Join(d.Dir, "seed")
			if err := os.WriteFile(seed, nil, 0o600); err != nil {
				t.Fatal(err)
			}
			for i := range stale {
				if err := os.Link(seed, name(i)); err != nil {
					t.Fatal(err)
				}
			}
			// The signal goes out the moment the first of them is removed.
			deleted := watchDeletes(t, d.Dir)
			at := len(d.Log())
			if err := d.Signal(syscall.SIGHUP); err != nil {
				t.Fatal(err)
			}
			if err := deleted(filepath.Base(name(0)), 15*time.Second); err != nil {
				t.Fatalf("the restart did not clear the child log dir: %v\n%s", err, d.Log())
			}
			if err := d.Signal(sig); err != nil {
				t.Fatal(err)
			}
			waitTaken(t, d.Pid(), sig)
			if _, err := os.Lstat(name(stale - 1)); errors.Is(err, os.ErrNotExist) {
				t.Skipf("the daemon removed %d files before it took the %s: the window this test aims at was missed", stale, sigName(sig))
			}
			tally.add(assertStopped(t, d, at, kids))
			left := 0
			ents, _ := os.ReadDir(d.Dir)
			for _, e := range ents {
				if strings.HasPrefix(e.Name(), "old") {
					left++
				}
			}
			mu.Lock()
			uncleared = append(uncleared, left)
			mu.Unlock()
		})
	}
}

// assertStopped waits for the daemon to exit after a stop signal and checks
// what a user relies on: exit status 0, no program spawned after the
// activity log's offset at, and none of the daemon's children alive (kids
// are the children seen before the restart; the SUPERVISOR_SERVER_URL
// mark finds any started since). It returns what it saw.
func assertStopped(t *testing.T, d *testbin.Daemon, at int, kids []testbin.Proc) stopResult {
	t.Helper()
	t0 := time.Now()
	status, err := d.Wait(30 * time.Second)
	if err != nil {
		t.Fatalf("the daemon ignored the stop signal: %v", err)
	}
	r := stopResult{took: time.Since(t0), status: status}
	if status != 0 {
		t.Errorf("exit status %d, want 0\n%s", status, d.Log())
	}
	log := d.Log()
	if at > len(log) {
		at = len(log)
	}
	if r.spawned = countLines(log[at:], "spawned: "); r.spawned != 0 {
		t.Errorf("%d programs spawned after the stop signal:\n%s", r.spawned, log[at:])
	}
	r.left = leftBehind(t, d, kids)
	return r
}

// leftBehind counts (and reports) the daemon's children still alive after
// it exited: those seen while it ran, and any process carrying its mark.
func leftBehind(t *testing.T, d *testbin.Daemon, kids []testbin.Proc) int {
	t.Helper()
	n := 0
	for _, p := range kids {
		if testbin.Alive(p.Pid) {
			t.Errorf("child %+v outlived the daemon", p)
			n++
		}
	}
	if left := testbin.WithEnv("SUPERVISOR_SERVER_URL=" + d.URL); len(left) > 0 {
		t.Errorf("children left behind: %+v", left)
		n += len(left)
	}
	return n
}

// stopResult is what assertStopped saw of one daemon's exit.
type stopResult struct {
	took          time.Duration // from waiting to the exit
	status        int
	spawned, left int
}

// stopTally sums the stopResults of parallel subtests for one figure line.
type stopTally struct {
	mu                            sync.Mutex
	cases, nonzero, spawned, left int
	maxTook                       time.Duration
}

func (s *stopTally) add(r stopResult) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cases++
	if r.status != 0 {
		s.nonzero++
	}
	s.spawned += r.spawned
	s.left += r.left
	s.maxTook = max(s.maxTook, r.took)
}

func (s *stopTally) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return fmt.Sprintf("%d cases, %d exits with a status other than 0, waited at most %v for the exit, %d spawns after it, %d children left",
		s.cases, s.nonzero, s.maxTook.Round(time.Millisecond), s.spawned, s.left)
}

// watchDeletes watches dir for removals; the function it returns waits
// until the entry name is removed.
func watchDeletes(t *testing.T, dir string) func(name string, timeout time.Duration) error {
	t.Helper()
	fd, err := unix.InotifyInit1(unix.IN_CLOEXEC | unix.IN_NONBLOCK)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := unix.InotifyAddWatch(fd, dir, unix.IN_DELETE); err != nil {
		unix.Close(fd)
		t.Fatal(err)
	}
	f := os.NewFile(uintptr(fd), "inotify")
	t.Cleanup(func() { f.Close() })
	return func(name string, timeout time.Duration) error {
		f.SetReadDeadline(time.Now().Add(timeout))
		buf := make([]byte, 64<<10)
		for {
			n, err := f.Read(buf)
			if err != nil {
				return err
			}
			for off := 0; off+unix.SizeofInotifyEvent <= n; {
				ev := (*unix.InotifyEvent)(unsafe.Pointer(&buf[off]))
				raw := buf[off+unix.SizeofInotifyEvent : off+unix.SizeofInotifyEvent+int(ev.Len)]
				if string(bytes.TrimRight(raw, "\x00")) == name {
					return nil
				}
				off += unix.SizeofInotifyEvent + int(ev.Len)
			}
		}
	}
}

// waitTaken polls until sig is no longer pending for pid: a handler of the
// process has taken it.
func waitTaken(t *testing.T, pid int, sig syscall.Signal) {
	t.Helper()
	if err := testbin.Poll(10*time.Second, func() bool { return !sigPending(pid, sig) }); err != nil {
		t.Fatalf("%s still pending for %d: %v", sigName(sig), pid, err)
	}
}

// waitIdle polls until no thread of pid is runnable, twice in a row.
func waitIdle(t *testing.T, pid int) {
	t.Helper()
	quiet := 0
	if err := testbin.Poll(10*time.Second, func() bool {
		if running(pid) {
			quiet = 0
		} else {
			quiet++
		}
		return quiet >= 2
	}); err != nil {
		t.Fatalf("process %d never idle: %v", pid, err)
	}
}

// running reports whether a thread of pid is runnable (state R).
func running(pid int) bool {
	task := "/proc/" + strconv.Itoa(pid) + "/task"
	ents, _ := os.ReadDir(task)
	for _, e := range ents {
		b, err := os.ReadFile(task + "/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		if i := strings.LastIndexByte(string(b), ')'); i >= 0 && i+2 < len(b) && b[i+2] == 'R' {
			return true
		}
	}
	return false
}

// sigPending reads the process-wide pending signal set (ShdPnd) of pid.
func sigPending(pid int, sig syscall.Signal) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return false
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "ShdPnd:"); ok {
			mask, _ := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
			return mask&(1<<(uint(sig)-1)) != 0
		}
	}
	return false
}

func sigName(sig syscall.Signal) string {
	switch sig {
	case syscall.SIGTERM:
		return "SIGTERM"
	case syscall.SIGINT:
		return "SIGINT"
	}
	return sig.String()
}
