package process

import (
	"io"
	"syscall"
	"testing"

	"super/core/config"
)

type countSink struct{ n int64 }

func (c *countSink) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }
func (c *countSink) Close() error                { return nil }

func benchLauncher(sink io.WriteCloser) *Launcher {
	return &Launcher{Sinks: func(*config.ProcessConfig, string) (io.WriteCloser, error) { return sink, nil }}
}

func benchCfg(command string) *config.ProcessConfig {
	return &config.ProcessConfig{Name: "b", Group: "b", Command: command,
		RedirectStderr: true, Umask: -1, UID: -1, GID: -1, Exitcodes: []int{0}}
}

// BenchmarkSpawnPrintReap is one short-lived child's whole life as the
// loop sees it: spawn, the child prints a line and exits, reap, its
// output flushed (FlushOutput) and its pipes closed.
func BenchmarkSpawnPrintReap(b *testing.B) {
	sink := &countSink{}
	l := benchLauncher(sink)
	p := New(benchCfg("/bin/echo hello"), Options{})
	for b.Loop() {
		child, err := l.Spawn(p)
		if err != nil {
			b.Fatal(err)
		}
		child.(*Launched).WatchOutput()
		var ws syscall.WaitStatus
		if _, err := syscall.Wait4(child.Pid(), &ws, 0, nil); err != nil {
			b.Fatal(err)
		}
		r := child.(*Launched)
		r.FlushOutput()
		r.Finished()
		r.Wait()
	}
	if sink.n != int64(b.N)*6 {
		b.Fatalf("the sink got %d bytes, want %d", sink.n, b.N*6)
	}
}

// BenchmarkOutputFlood is the log path's throughput: a child writes
// 64 MiB as fast as it can, the readers copy it into a sink.
func BenchmarkOutputFlood(b *testing.B) {
	const size = 64 << 20
	sink := &countSink{}
	l := benchLauncher(sink)
	p := New(benchCfg("head -c 67108864 /dev/zero"), Options{})
	b.SetBytes(size)
	for b.Loop() {
		child, err := l.Spawn(p)
		if err != nil {
			b.Fatal(err)
		}
		child.(*Launched).WatchOutput()
		var ws syscall.WaitStatus
		if _, err := syscall.Wait4(child.Pid(), &ws, 0, nil); err != nil {
			b.Fatal(err)
		}
		r := child.(*Launched)
		r.FlushOutput()
		r.Finished()
		r.Wait()
	}
	if sink.n != int64(b.N)*size {
		b.Fatalf("the sink got %d bytes, want %d", sink.n, int64(b.N)*size)
	}
}
