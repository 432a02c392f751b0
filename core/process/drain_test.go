package process

import (
	"io"
	"sync"
	"syscall"
	"testing"
	"time"

	"super/core/config"
)

// slowSink takes its time over every write, as a console nobody reads
// quickly does; it counts what it got.
type slowSink struct {
	mu     sync.Mutex
	n      int
	closed bool
}

func (s *slowSink) Write(p []byte) (int, error) {
	time.Sleep(150 * time.Millisecond) // the slow consumer being modelled
	s.mu.Lock()
	s.n += len(p)
	s.mu.Unlock()
	return len(p), nil
}

func (s *slowSink) Close() error {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	return nil
}

// A child that writes more than its pipe holds and exits: everything it
// wrote reaches a slow sink, even when draining what the pipe still holds
// takes longer than DrainGrace.
func TestDrainOutlastsGraceForSlowSink(t *testing.T) {
	const total = 3 << 20
	sink := &slowSink{}
	l := &Launcher{Sinks: func(*config.ProcessConfig, string) (io.WriteCloser, error) { return sink, nil }}
	cfg := &config.ProcessConfig{Name: "flood", Group: "flood", Command: "head -c 3145728 /dev/zero",
		RedirectStderr: true, Umask: -1, UID: -1, GID: -1, Exitcodes: []int{0}}
	child, err := l.Spawn(New(cfg, Options{}))
	if err != nil {
		t.Fatal(err)
	}
	child.(*Launched).WatchOutput()
	var ws syscall.WaitStatus
	if _, err := syscall.Wait4(child.Pid(), &ws, 0, nil); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	child.Finished()
	child.(*Launched).Wait()
	took := time.Since(start)
	sink.mu.Lock()
	defer sink.mu.Unlock()
	if sink.n != total || !sink.closed {
		t.Fatalf("the sink got %d of %d bytes (closed %v) in %v after the reap", sink.n, total, sink.closed, took)
	}
	t.Logf("drained for %v after the reap (grace %v)", took, DrainGrace)
}
