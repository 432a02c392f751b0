package process

import (
	"io"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Children's output pipes are watched by one epoll instance for the whole
// daemon instead of a reader goroutine per pipe: a goroutine exists only
// while a pipe has data to drain. With hundreds of mostly quiet children
// this saves two parked goroutines (and their stacks) per child, which
// were most of the daemon's memory per program.
//
// Each pipe is registered edge-free with EPOLLONESHOT: a readiness event
// disarms it, a goroutine reads until EAGAIN (writing into the sink) and
// then re-arms it. So at most one goroutine ever reads a pipe, and a busy
// pipe is drained at full speed without a trip through epoll per read.

// A child that floods its output is throttled by the pipe: with the
// default 64 KiB a writer of big blocks sleeps and wakes every 64 KiB,
// and each pause costs the reader an epoll round trip. So the first time a
// read fills the buffer (the pipe was full: the child is waiting on us),
// the pipe is grown to floodPipeSize and later reads take up to
// floodReadSize, 4.2's read size, so that a chunk reaching the log is
// never larger than in 4.2 (a log file overshoots maxbytes by less than
// one chunk, and a PROCESS_LOG event carries one chunk). Quiet pipes keep
// the default: a pipe's capacity counts against its user's pipe quota
// (fs.pipe-user-pages-soft) whether filled or not, hence also the cap on
// how many pipes are grown at once.
const (
	floodPipeSize = 1 << 20 // the default fs.pipe-max-size
	floodReadSize = 2 << 16 // 4.2's readfd
	maxGrownPipes = 16      // 16 MiB of a 64 MiB default quota
)

var (
	grownPipes atomic.Int32
	floodBufs  = sync.Pool{New: func() any { b := make([]byte, floodReadSize); return &b }}
)

// outPipe is the parent's read end of one output pipe of a child.
type outPipe struct {
	id uint64 // epoll data; never reused, so a stale event finds nothing
	fd int
	w  io.WriteCloser
	wg *sync.WaitGroup // Done once fd and w are closed

	stopping atomic.Bool // drain grace over: finish once the pipe is empty

	// grown: the pipe was enlarged (and counts in grownPipes); noGrow: it
	// cannot be. Only the pipe's one reader touches them.
	grown, noGrow bool

	// wantPipe is set while the supervisor loop waits for a busy reader
	// to hand the pipe over (flush); the reader checks it after each chunk.
	wantPipe atomic.Bool

	mu       sync.Mutex
	busy     bool // a goroutine owns the pipe (draining or flushing); epoll is disarmed
	closed   bool
	handover chan struct{} // closed by the owner when it hands the pipe to a waiting flush
}

type outPoller struct {
	once sync.Once
	epfd int
	err  error

	mu    sync.Mutex
	pipes map[uint64]*outPipe
	next  uint64
}

var outputs outPoller

// count is how many output pipes are watched: about the descriptors the
// daemon holds for its children (spawner.go).
func (p *outPoller) count() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.pipes)
}

func (p *outPoller) start() error {
	p.once.Do(func() {
		p.epfd, p.err = syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
		if p.err != nil {
			return
		}
		p.pipes = map[uint64]*outPipe{}
		go p.run()
	})
	return p.err
}

func epollEvent(id uint64) *syscall.EpollEvent {
	return &syscall.EpollEvent{
		Events: syscall.EPOLLIN | syscall.EPOLLONESHOT,
		Fd:     int32(uint32(id)),
		Pad:    int32(uint32(id >> 32)),
	}
}

// add starts watching fd (non-blocking, the parent's read end) and copying
// what the child writes into w; wg.Done is called once both are closed.
func (p *outPoller) add(fd int, w io.WriteCloser, wg *sync.WaitGroup) (*outPipe, error) {
	if err := p.start(); err != nil {
		return nil, err
	}
	p.mu.Lock()
	p.next++
	o := &outPipe{id: p.next, fd: fd, w: w, wg: wg}
	p.pipes[o.id] = o
	p.mu.Unlock()
	if err := syscall.EpollCtl(p.epfd, syscall.EPOLL_CTL_ADD, fd, epollEvent(o.id)); err != nil {
		p.mu.Lock()
		delete(p.pipes, o.id)
		p.mu.Unlock()
		return nil, err
	}
	return o, nil
}

func (p *outPoller) run() {
	events := make([]syscall.EpollEvent, 64)
	for {
		n, err := syscall.EpollWait(p.epfd, events, -1)
		if err != nil {
			if err == syscall.EINTR {
				continue
			}
			// Not expected on a valid epoll descriptor; back off rather
			// than spin.
			time.Sleep(10 * time.Millisecond)
			continue
		}
		for _, ev := range events[:n] {
			id := uint64(uint32(ev.Fd)) | uint64(uint32(ev.Pad))<<32
			p.mu.Lock()
			o := p.pipes[id]
			p.mu.Unlock()
			if o == nil {
				continue
			}
			o.mu.Lock()
			if o.closed || o.busy {
				o.mu.Unlock()
				continue
			}
			o.busy = true
			o.mu.Unlock()
			go o.drain()
		}
	}
}

// drain reads until the pipe is empty, then re-arms it; at end of file,
// on an error, or when it finds the pipe empty once the drain grace is
// over, it closes the pipe. What the pipe holds is always read first: a
// slow sink (a console nobody reads quickly) delays the close, it never
// drops the child's last output.
func (o *outPipe) drain() {
	pool := &bufPool
	if o.grown {
		pool = &floodBufs
	}
	bp := pool.Get().(*[]byte)
	defer func() { pool.Put(bp) }()
	buf := *bp
	for {
		n, err := syscall.Read(o.fd, buf)
		if n > 0 {
			o.w.Write(buf[:n])
			if n == len(buf) && !o.grown && !o.noGrow && o.grow() {
				pool.Put(bp)
				pool = &floodBufs
				bp = pool.Get().(*[]byte)
				buf = *bp
			}
			if o.wantPipe.Load() && o.handOver() {
				return
			}
			continue
		}
		switch err {
		case syscall.EINTR:
			continue
		case syscall.EAGAIN:
			o.release()
			return
		}
		o.finish() // end of file or a read error
		return
	}
}

// release gives up ownership of a pipe found empty: to a flush waiting
// for it, else back to epoll, or it is closed once the drain grace is
// over. Looking for a waiting flush under the same lock that makes the
// pipe idle means a flush never waits for a reader that has left.
func (o *outPipe) release() {
	o.mu.Lock()
	if ch := o.handover; ch != nil {
		o.handover = nil
		o.wantPipe.Store(false)
		o.mu.Unlock()
		close(ch)
		return
	}
	if o.stopping.Load() {
		o.mu.Unlock()
		o.finish()
		return
	}
	o.busy = false
	err := syscall.EpollCtl(outputs.epfd, syscall.EPOLL_CTL_MOD, o.fd, epollEvent(o.id))
	o.mu.Unlock()
	if err != nil {
		o.finish()
	}
}

// handOver passes the pipe from its reader to a flush waiting for it (see
// flush); false when none waits. Everything the reader read has been
// written to the sink by then.
func (o *outPipe) handOver() bool {
	o.mu.Lock()
	ch := o.handover
	o.handover = nil
	o.wantPipe.Store(false)
	o.mu.Unlock()
	if ch == nil {
		return false
	}
	close(ch)
	return true
}

// flush copies what the pipe holds now into the sink before it returns.
// The supervisor loop calls it for a child it has just reaped, before it
// logs the exit and changes the state: everything the child wrote before
// it exited is in the pipe or already with a reader, so its output reaches
// the log files, the activity log, the console and PROCESS_LOG events
// before its exit does (4.2's loop reads every readable pipe before it
// reaps).
//
// A reader busy with the pipe hands it over at its next chunk boundary
// (after writing what it read), so no byte is copied out of order. Then
// flush reads what the pipe holds at that moment (FIONREAD) and no more:
// a grandchild that keeps writing cannot hold the loop. For a child whose
// output was all read already it costs an ioctl and a read per output
// pipe (which then sees end of file and closes the pipe here, sparing a
// reader's wake-up); with a busy reader, one handover more.
func (o *outPipe) flush() {
	o.mu.Lock()
	if o.closed {
		o.mu.Unlock()
		return
	}
	if o.busy {
		ch := make(chan struct{})
		o.handover = ch
		o.wantPipe.Store(true)
		o.mu.Unlock()
		<-ch
		o.mu.Lock()
		if o.closed { // the reader reached end of file
			o.mu.Unlock()
			return
		}
	} else {
		o.busy = true
	}
	o.mu.Unlock()

	// The pipe is ours now (busy). Read what it held, then once more: a
	// pipe whose writers are all gone is closed now (and its sink: a
	// console's partial last line is written out), one a grandchild still
	// holds goes back to the readers.
	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	buf := *bp
	left, err := unix.IoctlGetInt(o.fd, unix.TIOCINQ) // FIONREAD: bytes in the pipe
	if err != nil {
		left = floodPipeSize // cannot be more than a pipe holds
	}
	more := true
	for {
		n, err := syscall.Read(o.fd, buf)
		if n > 0 {
			o.w.Write(buf[:n])
			if left -= n; left > 0 {
				continue
			}
			if more {
				more = false
				continue
			}
			o.release() // a grandchild writes: the readers take it from here
			return
		}
		switch err {
		case syscall.EINTR:
			continue
		case syscall.EAGAIN:
			o.release()
			return
		}
		o.finish() // end of file or a read error
		return
	}
}

// grow enlarges a flooded pipe (see floodPipeSize). When the cap on grown
// pipes is reached it tries again at a later full read; when the kernel
// refuses (a lowered fs.pipe-max-size, the user's pipe quota) it gives up
// on this pipe.
func (o *outPipe) grow() bool {
	if grownPipes.Add(1) > maxGrownPipes {
		grownPipes.Add(-1)
		return false
	}
	if _, err := unix.FcntlInt(uintptr(o.fd), unix.F_SETPIPE_SZ, floodPipeSize); err != nil {
		grownPipes.Add(-1)
		o.noGrow = true
		return false
	}
	o.grown = true
	return true
}

// stop ends the drain grace: a busy pipe is closed when its reader finds
// it empty; an idle one is read here once (data may have come after its
// last event) and closed.
func (o *outPipe) stop() {
	o.stopping.Store(true)
	o.mu.Lock()
	idle := !o.busy && !o.closed
	if idle {
		o.busy = true // no reader may start now; this one owns the pipe
	}
	o.mu.Unlock()
	if idle {
		o.drain()
	}
}

// finish closes the pipe and the sink; only the pipe's owner (a reader,
// a flush, or stop on an idle pipe) calls it, once. The sink is closed
// before a flush waiting for the pipe is let go: what Close writes out (a
// console's partial last line, bytes capture mode held back) comes before
// the exit too.
func (o *outPipe) finish() {
	outputs.mu.Lock()
	delete(outputs.pipes, o.id)
	outputs.mu.Unlock()
	syscall.EpollCtl(outputs.epfd, syscall.EPOLL_CTL_DEL, o.fd, nil)
	syscall.Close(o.fd)
	if o.grown {
		grownPipes.Add(-1)
	}
	o.w.Close()
	o.mu.Lock()
	o.closed = true
	ch := o.handover
	o.handover = nil
	o.mu.Unlock()
	if ch != nil {
		close(ch) // the flush finds the pipe closed: nothing is left
	}
	o.wg.Done()
}
