package logging

import (
	"errors"
	"io/fs"
	"os"

	"super/core/config"
)

// Rotation on demand (supervisorctl rotate, super.rotateLogs, the JSON
// API): the same rotation as the size and time rules make, now. A file
// being written is rotated under its stream's lock, between two chunks,
// so nothing is lost or doubled; an empty file is left as it is.

var (
	// ErrNoLogFile: the stream has no log file (NONE, syslog only).
	ErrNoLogFile = errors.New("no log file")
	// ErrNotRotatable: the log file is not a regular file reached by its
	// path (/dev/stdout, a fifo): it is written, never rotated.
	ErrNotRotatable = errors.New("not a file that can be rotated")
	// ErrStreamClosed: the stream has ended; rotate its file by path.
	ErrStreamClosed = errors.New("the stream has ended")
)

// Rotate rotates the stream's log file now (unless it is empty).
func (s *Stream) Rotate() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.closed:
		return ErrStreamClosed
	case s.file == nil:
		return ErrNoLogFile
	}
	return s.file.RotateNow()
}

// RotateFile rotates the log file of a stream that is not open (its
// program does not run) by its path, with lc's backups, maxage and
// compression. path "" (none) is ErrNoLogFile; a missing file is nothing
// to rotate.
func RotateFile(path string, lc config.LogConfig) error {
	if path == "" || path == config.LogNone || path == config.LogSyslog || path == config.LogAuto {
		return ErrNoLogFile
	}
	s := newFileSink(path, rotationOf(lc, nil), nil)
	defer s.Close()
	return s.RotateNow()
}

// Rotate rotates the activity log's file now (unless it is empty).
func (l *Logger) Rotate() error {
	if l == nil {
		return ErrNoLogFile
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.file == nil {
		return ErrNoLogFile
	}
	return l.file.RotateNow()
}

// RotateNow rotates the file now, unless it is empty.
func (s *fileSink) RotateNow() error {
	if s.std {
		return ErrNotRotatable
	}
	if s.f != nil {
		if !s.rotatable {
			return ErrNotRotatable
		}
		if s.size == 0 {
			return nil
		}
		if err := s.rotate(); err != nil {
			s.fail(err)
			return err
		}
		return nil
	}
	// Not held open (a quiet stream, or none running): by its path.
	st, err := os.Stat(s.path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return err
	case !st.Mode().IsRegular() || descriptorAlias(s.path):
		return ErrNotRotatable
	case st.Size() == 0:
		return nil
	}
	if s.rot.backups > 0 {
		if err := shiftBackups(s.path, s.rot); err != nil {
			return err
		}
	}
	// A fresh empty file, as after any rotation (readers find one), not
	// held open.
	if err := s.open(true); err != nil {
		return err
	}
	s.closeFile()
	return nil
}
