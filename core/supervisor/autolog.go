package supervisor

import (
	"errors"
	"io/fs"
	"runtime"
	"slices"
	"sync"
	"syscall"

	"super/core/logging"
)

// autoLogMaker creates AUTO child log files in the background. 4.2 creates
// each one (mkstemp) while building the process groups, before the first
// spawn; at hundreds of programs those file creations, each a journalled
// directory update (and on ext4 a search past recently deleted inodes),
// were most of the time from daemon start to all RUNNING. The names are
// picked at once (logging.AutoChildLogPath) and reported by the API
// immediately; the files follow here, once the start-up burst of spawns is
// over (held until release), in order, on one low-priority thread.
// Whoever reads a process's logs through the API first makes sure its
// files exist (ensure), and a stream writing first creates its own file,
// so no reader ever sees a missing AUTO log.
type autoLogMaker struct {
	log Logger

	mu       sync.Mutex
	queue    []autoLog
	held     bool      // queued files wait for release
	running  bool      // the creator goroutine is at work
	inflight string    // the file it is creating now
	idle     sync.Cond // signalled when the queue drains or a creation ends
}

type autoLog struct {
	path, process, channel string
}

func newAutoLogMaker(log Logger) *autoLogMaker {
	m := &autoLogMaker{log: log, held: true}
	m.idle.L = &m.mu
	return m
}

// add queues files for creation; it never blocks on the disk.
func (m *autoLogMaker) add(files ...autoLog) {
	if len(files) == 0 {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.queue = append(m.queue, files...)
	m.startLocked()
}

// hold keeps queued files waiting (a start-up burst is coming); release
// lets them be created.
func (m *autoLogMaker) hold() {
	m.mu.Lock()
	m.held = true
	m.mu.Unlock()
}

func (m *autoLogMaker) release() {
	m.mu.Lock()
	m.held = false
	m.startLocked()
	m.mu.Unlock()
}

func (m *autoLogMaker) startLocked() {
	if !m.held && !m.running && len(m.queue) > 0 {
		m.running = true
		go m.run()
	}
}

// ensure creates at once those of paths still queued, for a reader that
// is about to look at them.
func (m *autoLogMaker) ensure(paths ...string) {
	var now []autoLog
	m.mu.Lock()
	for m.inflight != "" && slices.Contains(paths, m.inflight) {
		m.idle.Wait()
	}
	if len(m.queue) > 0 {
		kept := m.queue[:0]
		for _, f := range m.queue {
			if slices.Contains(paths, f.path) {
				now = append(now, f)
			} else {
				kept = append(kept, f)
			}
		}
		m.queue = kept
	}
	m.mu.Unlock()
	for _, f := range now {
		m.create(f)
	}
}

func (m *autoLogMaker) create(f autoLog) {
	err := logging.CreateAutoChildLog(f.path)
	if err != nil && !errors.Is(err, fs.ErrExist) {
		m.log.Error("could not create %s log for %s: %v", f.channel, f.process, err)
	}
}

func (m *autoLogMaker) run() {
	// Creating a file is mostly kernel CPU time (journal, inode and
	// directory updates), and at start-up it would compete with the
	// spawns it was moved away from. This thread runs at the lowest
	// priority, so the creations fill idle time; the thread ends with the
	// goroutine (it stays locked), taking its priority with it.
	runtime.LockOSThread()
	syscall.Setpriority(syscall.PRIO_PROCESS, syscall.Gettid(), 19)
	for {
		m.mu.Lock()
		if len(m.queue) == 0 {
			m.queue = nil
			m.running = false
			m.idle.Broadcast()
			m.mu.Unlock()
			return
		}
		f := m.queue[0]
		m.queue = m.queue[1:]
		m.inflight = f.path
		m.mu.Unlock()
		m.create(f)
		m.mu.Lock()
		m.inflight = ""
		m.idle.Broadcast()
		m.mu.Unlock()
	}
}

// stop drops the files not yet created (the next daemon run clears AUTO
// logs anyway, and a low-priority creator on a busy machine must not hold
// up a shutdown) and returns once the one in progress, if any, is done.
func (m *autoLogMaker) stop() {
	m.mu.Lock()
	m.queue = nil
	for m.running {
		m.idle.Wait()
	}
	m.mu.Unlock()
}
