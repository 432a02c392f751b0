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

	mu     sync.Mutex
	busy   bool // a goroutine is draining; epoll is disarmed
	closed bool
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
			continue
		}
		switch err {
		case syscall.EINTR:
			continue
		case syscall.EAGAIN:
			o.mu.Lock()
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
// or stop on an idle pipe) calls it, once.
func (o *outPipe) finish() {
	o.mu.Lock()
	if o.closed {
		o.mu.Unlock()
		return
	}
	o.closed = true
	o.mu.Unlock()
	outputs.mu.Lock()
	delete(outputs.pipes, o.id)
	outputs.mu.Unlock()
	syscall.EpollCtl(outputs.epfd, syscall.EPOLL_CTL_DEL, o.fd, nil)
	syscall.Close(o.fd)
	if o.grown {
		grownPipes.Add(-1)
	}
	o.w.Close()
	o.wg.Done()
}
