package events

import (
	"io"
	"testing"
)

type nopLog struct{}

func (nopLog) Error(string, ...any) {}
func (nopLog) Warn(string, ...any)  {}
func (nopLog) Info(string, ...any)  {}
func (nopLog) Debug(string, ...any) {}

// answering is a listener that answers OK to every event at once.
type answering struct{ out io.Writer }

func (a answering) WriteStdin([]byte) error {
	a.out.Write([]byte("RESULT 2\nOKREADY\n"))
	return nil
}

// BenchmarkPublishDispatch is the cost of one process state event published
// by the supervisor loop and delivered to a listener that answers at once.
func BenchmarkPublishDispatch(b *testing.B) {
	bus := NewBus("", nopLog{})
	p := bus.AddPool(PoolConfig{Name: "p", Events: []Type{Event}, BufferSize: 1 << 20, Listeners: []string{"l"}})
	l := p.Listener("l")
	out := l.Open()
	l.SetStdin(answering{out})
	l.SetRunning(true)
	out.Write([]byte("READY\n"))
	m, _ := ProcessState("RUNNING", ProcessStateFields{Name: "cat", Group: "cat", From: "STARTING", Pid: 4242})
	b.ReportAllocs()
	for b.Loop() {
		bus.Publish(m)
	}
}

// BenchmarkPublishBuffered is the cost on the loop when no listener is
// free: the event is only buffered (and the oldest dropped when full).
func BenchmarkPublishBuffered(b *testing.B) {
	bus := NewBus("", nopLog{})
	bus.AddPool(PoolConfig{Name: "p", Events: []Type{Event}, BufferSize: 10, Listeners: []string{"l"}})
	m, _ := ProcessState("RUNNING", ProcessStateFields{Name: "cat", Group: "cat", From: "STARTING", Pid: 4242})
	b.ReportAllocs()
	for b.Loop() {
		bus.Publish(m)
	}
}
