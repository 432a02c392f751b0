package web

import (
	"context"
	"io"
	"os"
	"syscall"
	"time"
)

// truncated is what 4.2's tail -f producer writes when the file shrank.
const truncated = "==> File truncated <==\n"

// follower is `tail -f` on one file, as 4.2's tail_f_producer: it starts
// tailBytes before the end, writes whatever is appended, reports a
// truncation, and reopens the path when the file is replaced (rotation,
// clearProcessLogs), reading the new file from its start.
type follower struct {
	path  string
	f     *os.File
	ino   uint64
	pos   int64
	mtime time.Time
	w     watcher
	buf   []byte
}

// watcher wakes the follower when the file may have changed.
type watcher interface {
	// changed receives a value after the file or its directory changed.
	changed() <-chan struct{}
	// rewatch moves the watch to the file now at the path.
	rewatch()
	close()
}

func openFollower(path string) (*follower, error) {
	fl := &follower{path: path}
	if err := fl.open(); err != nil {
		return nil, err
	}
	fi, err := fl.f.Stat()
	if err != nil {
		fl.f.Close()
		return nil, err
	}
	fl.mtime = fi.ModTime()
	if fi.Size() >= tailBytes {
		fl.pos = fi.Size() - tailBytes
	}
	fl.w = newWatcher(path)
	return fl, nil
}

func (fl *follower) open() error {
	f, err := os.Open(fl.path)
	if err != nil {
		return err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return err
	}
	if fl.f != nil {
		fl.f.Close()
	}
	fl.f, fl.ino, fl.pos = f, inode(fi), 0
	return nil
}

func (fl *follower) close() {
	fl.w.close()
	fl.f.Close()
}

// run writes the tail and then every change until ctx ends or a write
// fails.
func (fl *follower) run(ctx context.Context, w io.Writer, flush func() error) {
	fl.buf = make([]byte, 32<<10)
	for {
		if err := fl.step(w); err != nil {
			return
		}
		if flush() != nil {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-fl.w.changed():
		}
	}
}

// step writes what was appended since the last step.
func (fl *follower) step(w io.Writer) error {
	if fi, err := os.Stat(fl.path); err == nil && inode(fi) != fl.ino {
		// Replaced (rotated or cleared): finish the old file first, so
		// the lines written just before the rotation are not skipped,
		// then follow the new one (if it can be opened; else keep the
		// old one until the next change).
		if err := fl.drain(w); err != nil {
			return err
		}
		if fl.open() == nil {
			fl.w.rewatch()
		}
	}
	return fl.drain(w)
}

// drain writes what the open file holds past pos; a file that shrank
// below pos was truncated in place and is followed from its start.
func (fl *follower) drain(w io.Writer) error {
	fi, err := fl.f.Stat()
	if err != nil {
		return nil
	}
	size := fi.Size()
	if size < fl.pos {
		fl.pos = 0
		if _, err := io.WriteString(w, truncated); err != nil {
			return err
		}
	}
	for fl.pos < size {
		n := int64(len(fl.buf))
		if size-fl.pos < n {
			n = size - fl.pos
		}
		m, err := fl.f.ReadAt(fl.buf[:n], fl.pos)
		if m > 0 {
			fl.pos += int64(m)
			if _, werr := w.Write(fl.buf[:m]); werr != nil {
				return werr
			}
		}
		if err != nil {
			break // shrank meanwhile: the next step sees it
		}
	}
	return nil
}

func inode(fi os.FileInfo) uint64 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Ino)
	}
	return 0
}

// pollWatcher is the fallback when the kernel cannot tell us about
// changes: it looks as often as 4.2 does.
type pollWatcher struct {
	c    chan struct{}
	done chan struct{}
}

const pollInterval = 100 * time.Millisecond

func newPollWatcher() *pollWatcher {
	p := &pollWatcher{c: make(chan struct{}, 1), done: make(chan struct{})}
	go func() {
		t := time.NewTicker(pollInterval)
		defer t.Stop()
		for {
			select {
			case <-p.done:
				return
			case <-t.C:
				select {
				case p.c <- struct{}{}:
				default:
				}
			}
		}
	}()
	return p
}

func (p *pollWatcher) changed() <-chan struct{} { return p.c }
func (p *pollWatcher) rewatch()                 {}
func (p *pollWatcher) close()                   { close(p.done) }
