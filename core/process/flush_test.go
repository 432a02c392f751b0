package process

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"super/core/config"
	"super/core/testbin"
)

// recSink records what it got and whether it was closed; slow makes every
// write take a while, as a console nobody reads quickly does.
type recSink struct {
	slow   time.Duration
	mu     sync.Mutex
	buf    bytes.Buffer
	closed bool
}

func (s *recSink) Write(p []byte) (int, error) {
	time.Sleep(s.slow) // the slow consumer being modelled (0: none)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		panic("write after close")
	}
	s.buf.Write(p)
	return len(p), nil
}

func (s *recSink) Close() error {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	return nil
}

func (s *recSink) state() (int, string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.Len(), s.buf.String(), s.closed
}

func spawnInto(t *testing.T, command string, sink io.WriteCloser) *Launched {
	t.Helper()
	l := &Launcher{Sinks: func(*config.ProcessConfig, string) (io.WriteCloser, error) { return sink, nil }}
	cfg := &config.ProcessConfig{Name: "x", Group: "x", Command: command,
		RedirectStderr: true, Umask: -1, UID: -1, GID: -1, Exitcodes: []int{0}}
	child, err := l.Spawn(New(cfg, Options{}))
	if err != nil {
		t.Fatal(err)
	}
	r := child.(*Launched)
	r.WatchOutput() // as the process does once it has logged "spawned:"
	return r
}

func reapChild(t *testing.T, pid int) {
	t.Helper()
	var ws syscall.WaitStatus
	if _, err := syscall.Wait4(pid, &ws, 0, nil); err != nil {
		t.Fatal(err)
	}
}

// A child writes more than its pipe holds to a slow sink and exits: once
// FlushOutput returns, the sink has every byte, though a reader was busy
// with the pipe when it was called (it hands the pipe over between
// chunks, so nothing is written twice or out of order).
func TestFlushOutputTakesOverFromABusyReader(t *testing.T) {
	const total = 3 << 20
	sink := &recSink{slow: 20 * time.Millisecond}
	r := spawnInto(t, "head -c 3145728 /dev/zero", sink)
	reapChild(t, r.Pid())
	r.FlushOutput()
	if n, _, _ := sink.state(); n != total {
		t.Fatalf("after FlushOutput the sink has %d of the %d bytes the child wrote", n, total)
	}
	r.Finished()
	r.Wait()
	if n, _, closed := sink.state(); n != total || !closed {
		t.Fatalf("at the end the sink has %d of %d bytes (closed %v)", n, total, closed)
	}
}

// A child's last words without a newline: FlushOutput sees the end of the
// pipe and closes the sink (so a console writes out its partial line)
// before it returns.
func TestFlushOutputClosesAPipeAtEndOfFile(t *testing.T) {
	for i := range 20 {
		sink := &recSink{}
		r := spawnInto(t, "printf 'last words '"+strconv.Itoa(i), sink)
		reapChild(t, r.Pid())
		r.FlushOutput()
		if _, got, closed := sink.state(); got != "last words "+strconv.Itoa(i) || !closed {
			t.Fatalf("after FlushOutput the sink has %q (closed %v)", got, closed)
		}
		r.Finished()
		r.Wait()
	}
}

// A grandchild that keeps writing into the pipe after the child exited
// does not hold FlushOutput: it reads what the pipe held and returns; the
// readers carry on with the rest until the drain grace is over.
func TestFlushOutputReturnsWhileAGrandchildFloods(t *testing.T) {
	dir := t.TempDir()
	pidfile := filepath.Join(dir, "yes.pid")
	sink := &recSink{}
	r := spawnInto(t, "sh -c 'yes & echo $! > "+pidfile+"'", sink)
	reapChild(t, r.Pid())
	b, err := os.ReadFile(pidfile)
	if err != nil {
		t.Fatal(err)
	}
	yes, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Kill(yes, syscall.SIGKILL) })
	// The grandchild is writing: the readers have copied some of it.
	if err := testbin.Poll(30*time.Second, func() bool { n, _, _ := sink.state(); return n > 0 }); err != nil {
		t.Fatalf("the grandchild's output never reached the sink: %v", err)
	}
	done := make(chan struct{})
	go func() { r.FlushOutput(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second): // a hang, not a slow run
		t.Fatal("FlushOutput did not return while a grandchild kept writing")
	}
	syscall.Kill(yes, syscall.SIGKILL)
	r.Finished()
	r.Wait()
	if _, _, closed := sink.state(); !closed {
		t.Fatal("the sink was not closed once the grandchild was gone")
	}
}
