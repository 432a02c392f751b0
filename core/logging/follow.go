package logging

import (
	"context"
	"os"
	"syscall"
	"time"
)

// Truncated is what 4.2's tail -f producer writes when the file shrank.
const Truncated = "==> File truncated <==\n"

// Follower is `tail -f` on one file, as 4.2's tail_f_producer (behind
// /logtail, /mainlogtail and the JSON API's event stream): it starts some
// bytes before the end, hands on whatever is appended, reports a
// truncation, and reopens the path when the file is replaced (rotation,
// clearProcessLogs), reading the new file from its start. It reads the
// file, never the stream that writes it: a slow reader costs the programs
// and their logs nothing.
type Follower struct {
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

// OpenFollower opens path to follow it from back bytes before its end
// (from its start when it is shorter).
func OpenFollower(path string, back int64) (*Follower, error) {
	fl := &Follower{path: path}
	if err := fl.open(); err != nil {
		return nil, err
	}
	fi, err := fl.f.Stat()
	if err != nil {
		fl.f.Close()
		return nil, err
	}
	fl.mtime = fi.ModTime()
	if fi.Size() >= back {
		fl.pos = fi.Size() - back
	}
	fl.w = newWatcher(path)
	return fl, nil
}

// ModTime is the file's modification time when it was opened.
func (fl *Follower) ModTime() time.Time { return fl.mtime }

func (fl *Follower) open() error {
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

// Close releases the file and the watch.
func (fl *Follower) Close() {
	fl.w.close()
	fl.f.Close()
}

// Run hands out what the file holds past the start and then every change
// until ctx ends or out or flush fail. out gets each piece of the file
// with its offset; an offset of -1 (and no bytes) says the file was
// truncated or replaced and what follows starts over from its beginning.
// flush is called after each round of pieces.
func (fl *Follower) Run(ctx context.Context, out func(data []byte, offset int64) error, flush func() error) {
	fl.buf = make([]byte, 32<<10)
	for {
		if err := fl.step(out); err != nil {
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

// step hands out what was appended since the last step.
func (fl *Follower) step(out func([]byte, int64) error) error {
	if fi, err := os.Stat(fl.path); err == nil && inode(fi) != fl.ino {
		// Replaced (rotated or cleared): finish the old file first, so
		// the lines written just before the rotation are not skipped,
		// then follow the new one (if it can be opened; else keep the
		// old one until the next change).
		if err := fl.drain(out); err != nil {
			return err
		}
		if fl.open() == nil {
			fl.w.rewatch()
		}
	}
	return fl.drain(out)
}

// drain hands out what the open file holds past pos; a file that shrank
// below pos was truncated in place and is followed from its start.
func (fl *Follower) drain(out func([]byte, int64) error) error {
	fi, err := fl.f.Stat()
	if err != nil {
		return nil
	}
	size := fi.Size()
	if size < fl.pos {
		fl.pos = 0
		if err := out(nil, -1); err != nil {
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
			at := fl.pos
			fl.pos += int64(m)
			if werr := out(fl.buf[:m], at); werr != nil {
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
