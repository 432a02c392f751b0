package logging

import (
	"os"
	"path/filepath"
	"sync"
	"syscall"
)

// inotifyWatcher wakes a follower when its file is written, truncated,
// moved or deleted, or when a file appears in its directory (the new log
// after a rotation or a clear), so an idle stream costs nothing.
type inotifyWatcher struct {
	fd   int
	file *os.File // fd, for reads through the runtime poller
	path string
	mu   sync.Mutex
	wd   int
	c    chan struct{}
}

const fileEvents = syscall.IN_MODIFY | syscall.IN_ATTRIB | syscall.IN_MOVE_SELF | syscall.IN_DELETE_SELF

func newWatcher(path string) watcher {
	fd, err := syscall.InotifyInit1(syscall.IN_NONBLOCK | syscall.IN_CLOEXEC)
	if err != nil {
		return newPollWatcher() // e.g. the per-user instance limit
	}
	if _, err := syscall.InotifyAddWatch(fd, filepath.Dir(path), syscall.IN_CREATE|syscall.IN_MOVED_TO); err != nil {
		syscall.Close(fd)
		return newPollWatcher()
	}
	wd, err := syscall.InotifyAddWatch(fd, path, fileEvents)
	if err != nil {
		syscall.Close(fd)
		return newPollWatcher()
	}
	w := &inotifyWatcher{fd: fd, file: os.NewFile(uintptr(fd), "inotify"), path: path, wd: wd, c: make(chan struct{}, 1)}
	go w.read()
	return w
}

// read turns every batch of events into one wake-up; the follower looks at
// the file itself, so the events need no decoding.
func (w *inotifyWatcher) read() {
	buf := make([]byte, 4096)
	for {
		if _, err := w.file.Read(buf); err != nil {
			return // closed
		}
		select {
		case w.c <- struct{}{}:
		default:
		}
	}
}

func (w *inotifyWatcher) changed() <-chan struct{} { return w.c }

func (w *inotifyWatcher) rewatch() {
	w.mu.Lock()
	defer w.mu.Unlock()
	// The old file may be gone (its watch then went with it); the error
	// is of no interest.
	syscall.InotifyRmWatch(w.fd, uint32(w.wd))
	if wd, err := syscall.InotifyAddWatch(w.fd, w.path, fileEvents); err == nil {
		w.wd = wd
	}
}

func (w *inotifyWatcher) close() { w.file.Close() }
