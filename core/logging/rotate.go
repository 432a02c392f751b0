package logging

import (
	"errors"
	"io/fs"
	"os"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"super/core/config"
)

// retryInterval bounds how often a sink whose file could not be opened tries
// again: often enough to recover soon after the disk is fixed, rarely enough
// that a flooding child does not turn into a stream of failing open calls.
const retryInterval = time.Second

// fileSink is one log file with 4.2's size-based rotation
// (loggers.RotatingFileHandler): every chunk is written whole, then, if the
// file has reached maxBytes, x.log.(n-1) → x.log.n … x.log → x.log.1 and a
// fresh x.log is started. A chunk is never split, so the concatenation of
// x.log.N … x.log.1 x.log is exactly the bytes written, in order; a file may
// exceed maxBytes by less than one chunk, as in 4.2. With backups == 0 the
// file is truncated in place instead (4.2 keeps nothing then).
//
// super's rules beside it (backups.go): a time rule (the first write of
// each hour or day of the local clock rotates first, so the chunk starts
// the new file), an age limit on backups, and gzip compression of backups
// in the background.
//
// Standard streams and other non-regular files (/dev/stdout, a fifo, a tty)
// are never rotated: 4.2 fails there with "Illegal seek", super just writes.
//
// A write or open failure never blocks or panics: the bytes are dropped, the
// first failure of an episode goes to report, and the sink keeps trying
// (opening at most once per retryInterval).
//
// fileSink is not safe for concurrent use; its owner serialises calls.
type fileSink struct {
	path string
	rot  rotation

	f         *os.File
	std       bool  // f is os.Stdout/os.Stderr: never closed or reopened
	rotatable bool  // f is a regular file, reached by a path that renames move
	rotating  bool  // rotatable and a size rule (maxBytes > 0)
	size      int64 // bytes in the current file, counted, not re-stat'ed
	nextAt    time.Time

	failing  bool      // an error was reported and no write succeeded since
	retryAt  time.Time // when a closed sink may next try to open
	rotateAt time.Time // when a failed rotation may be tried again
	report   func(error)
	rotateFn func() error // tests replace rotation to inject failures

	// firstMode, when set, is the mode a missing file is created with by
	// the first open (0600 for an AUTO log, as 4.2's mkstemp); later
	// files (after a rotation) get the usual 0666 less umask.
	firstMode os.FileMode
}

// rotation is when a log file is rotated and what happens to its backups.
type rotation struct {
	maxBytes int64              // size rule (4.2): rotate after a write reaches it; 0 = never
	backups  int                // backups kept (4.2); 0 = truncate in place
	every    config.RotateEvery // time rule: at the first write of each hour or day
	maxAge   time.Duration      // a rotation deletes backups last written longer ago; 0 = none
	compress bool               // backups are gzipped in the background
	now      func() time.Time   // the clock of the time rule and maxAge; nil = the log clock
}

// rotationOf is a child log's rotation as configured.
func rotationOf(lc config.LogConfig, now func() time.Time) rotation {
	return rotation{maxBytes: lc.Maxbytes, backups: lc.Backups, every: lc.Rotate,
		maxAge: days(lc.Maxage), compress: lc.Compress, now: now}
}

func days(n int) time.Duration { return time.Duration(n) * 24 * time.Hour }

func newFileSink(path string, rot rotation, report func(error)) *fileSink {
	if rot.now == nil {
		rot.now = now
	}
	s := &fileSink{path: path, rot: rot, report: report}
	s.rotateFn = s.rotate
	return s
}

// openFileSink opens path for appending. On failure the sink is still
// returned, in its failing state, together with the error: the caller decides
// whether that is fatal (4.2 refuses to spawn then) or not.
func openFileSink(path string, rot rotation, report func(error)) (*fileSink, error) {
	s := newFileSink(path, rot, report)
	err := s.open(false)
	if err != nil {
		s.failing = true
		s.retryAt = time.Now().Add(retryInterval)
		return s, err
	}
	// The file exists now and is known to be writable (a spawn fails
	// otherwise, as in 4.2), but it is only held open once output arrives:
	// most children are quiet, and every descriptor the daemon holds is
	// copied into, then closed in, each child it forks (and costs memory).
	// The first Write opens it again at its path.
	s.closeFile()
	return s, nil
}

func (s *fileSink) open(truncate bool) error {
	switch s.path {
	case "/dev/stdout":
		s.f, s.std, s.rotatable, s.rotating, s.size = os.Stdout, true, false, false, 0
		return nil
	case "/dev/stderr":
		s.f, s.std, s.rotatable, s.rotating, s.size = os.Stderr, true, false, false, 0
		return nil
	}
	flags := os.O_WRONLY | os.O_CREATE | os.O_APPEND
	if truncate {
		flags |= os.O_TRUNC
	}
	mode := os.FileMode(0o666)
	if s.firstMode != 0 {
		mode = s.firstMode
	}
	f, err := os.OpenFile(s.path, flags, mode)
	if err != nil {
		return err
	}
	s.firstMode = 0
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return err
	}
	s.f, s.std = f, false
	s.size = st.Size()
	s.rotatable = st.Mode().IsRegular() && !descriptorAlias(s.path)
	s.rotating = s.rotatable && s.rot.maxBytes > 0
	if s.rotatable && s.rot.every != config.RotateNever && s.nextAt.IsZero() {
		// The file's period is the one it was last written in: a file
		// left from yesterday is rotated at the first write today.
		start := s.rot.now()
		if s.size > 0 {
			start = st.ModTime().In(start.Location())
		}
		s.nextAt = nextRotation(start, s.rot.every)
	}
	return nil
}

// descriptorAlias reports whether path names an open descriptor rather than
// a file in a directory (/dev/fd/1, /proc/self/fd/1 pointing at a regular
// file the daemon's parent redirected to): renaming it would move nothing,
// so such a file is written, never rotated. Other paths under /dev (a log
// in /dev/shm) rotate like any regular file, as in 4.2.
func descriptorAlias(path string) bool {
	for _, p := range []string{"/dev/fd/", "/proc/", "/dev/stdout", "/dev/stderr"} {
		if strings.HasPrefix(path, p) {
			return true
		}
	}
	return false
}

// Write writes p whole (or reports why not) and rotates when due.
func (s *fileSink) Write(p []byte) {
	if s.f == nil {
		if time.Now().Before(s.retryAt) {
			return
		}
		if err := s.open(false); err != nil {
			s.fail(err)
			return
		}
	}
	ok := true
	if !s.nextAt.IsZero() && s.rotatable {
		// The time rule: the chunk was read in a new hour or day, so it
		// starts the new file (an empty file is not rotated).
		if t := s.rot.now(); !t.Before(s.nextAt) {
			if s.size > 0 {
				ok = s.tryRotate()
			}
			if ok {
				s.nextAt = nextRotation(t, s.rot.every)
			}
			if s.f == nil {
				return // the fresh file could not be opened; reported
			}
		}
	}
	n, err := s.f.Write(p)
	s.size += int64(n)
	if err != nil {
		ok = false
		s.fail(err)
	}
	if s.rotating && s.size >= s.rot.maxBytes && s.f != nil && !s.tryRotate() {
		ok = false
	}
	if ok {
		s.failing = false
	}
}

// tryRotate rotates unless a failed rotation waits for its retry, and
// reports whether the file was rotated.
func (s *fileSink) tryRotate() bool {
	if !s.rotateAt.IsZero() && time.Now().Before(s.rotateAt) {
		return false // still failing
	}
	if err := s.rotateFn(); err != nil {
		s.rotateAt = time.Now().Add(retryInterval)
		s.fail(err)
		return false
	}
	s.rotateAt = time.Time{}
	return true
}

func (s *fileSink) fail(err error) {
	if s.f == nil {
		s.retryAt = time.Now().Add(retryInterval)
	}
	if s.failing {
		return
	}
	s.failing = true
	if s.report != nil {
		s.report(err)
	}
}

// rotate shifts the backups and starts a fresh file. The rename of the live
// file happens before it is closed and nothing is written in between, so
// every byte is in exactly one file. Then backups too old are deleted and
// the new backup is queued for compression (backups.go).
func (s *fileSink) rotate() error {
	if s.rot.backups > 0 {
		if err := shiftBackups(s.path, s.rot); err != nil {
			// Keep appending to the live file rather than truncating (and
			// losing) it: nothing is lost, the rotation is retried later.
			return err
		}
	}
	return s.reopenAfter(nil)
}

// removeLater unlinks path at once but frees its blocks off the caller's
// thread. Freeing a file of maxbytes (the oldest backup, dropped at every
// rotation once all backups exist) takes tens of milliseconds, for which
// the child's output would wait; the kernel frees an unlinked file when
// its last reference goes, so a reference (O_PATH: no access needed, any
// file type, a symlink itself) is held across the unlink and dropped by a
// goroutine.
func removeLater(path string) error {
	fd, oerr := unix.Open(path, unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	var err error
	if uerr := unix.Unlink(path); uerr != nil { // a directory is not removed, as in 4.2
		err = &fs.PathError{Op: "remove", Path: path, Err: uerr}
	}
	if oerr == nil {
		go unix.Close(fd)
	}
	return err
}

// reopenAfter closes the current file and opens a fresh, empty one; prior is
// returned unless the reopen itself fails.
func (s *fileSink) reopenAfter(prior error) error {
	s.closeFile()
	if err := s.open(true); err != nil {
		s.retryAt = time.Now().Add(retryInterval)
		return err
	}
	return prior
}

func (s *fileSink) closeFile() {
	if s.f != nil && !s.std {
		s.f.Close()
	}
	s.f = nil
	s.size = 0
}

// Reopen closes and reopens the file at its configured path, for SIGUSR2:
// a file moved away by logrotate is left alone and a new one is created.
func (s *fileSink) Reopen() error {
	if s.std {
		return nil
	}
	wasOpen := s.f != nil
	s.closeFile()
	if err := s.open(false); err != nil {
		s.retryAt = time.Now().Add(retryInterval)
		s.fail(err)
		return err
	}
	s.failing = false
	if !wasOpen {
		s.closeFile() // still quiet: created, but not held (see openFileSink)
	}
	return nil
}

// Remove deletes the current file (not its backups, as in 4.2) and starts a
// new one, for clearLog/clearProcessLogs.
func (s *fileSink) Remove() error {
	if s.std {
		return nil
	}
	s.closeFile()
	if err := os.Remove(s.path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		s.Reopen()
		return err
	}
	return s.Reopen()
}

func (s *fileSink) Close() error {
	s.closeFile()
	return nil
}
