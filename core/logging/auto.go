package logging

import (
	"crypto/rand"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"syscall"

	"super/core/pyrepr"
)

// tempChars are the characters Python's tempfile puts in names.
const tempChars = "abcdefghijklmnopqrstuvwxyz0123456789_"

// AutoChildLogName creates the file for stdout_logfile=AUTO (or stderr) and
// returns its path: childlogdir/<name>-<channel>---<identifier>-XXXXXXXX.log,
// the random part being 8 of [a-z0-9_] as 4.2's mkstemp. The file is
// created empty (mode 0600, exclusively) so two processes never share one.
// 4.2 resolves AUTO once per process when its group is created; the name
// then survives restarts of the process.
func AutoChildLogName(childlogdir, name, identifier, channel string) (string, error) {
	for range 100 {
		path, err := AutoChildLogPath(childlogdir, name, identifier, channel)
		if err != nil {
			return "", err
		}
		err = CreateAutoChildLog(path)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return "", err
		}
		return path, nil
	}
	return "", &fs.PathError{Op: "mkstemp", Path: filepath.Join(childlogdir, name+"-"+channel+"---"+identifier+"-XXXXXXXX.log"), Err: fs.ErrExist}
}

// AutoChildLogPath picks an AUTO log file name as AutoChildLogName does,
// without touching the disk: a daemon starting hundreds of programs names
// their files at once and creates them (CreateAutoChildLog) off its spawn
// path. With 8 random characters of 37 per process name and channel, two
// names meet with odds of about one in 3.5e12.
func AutoChildLogPath(childlogdir, name, identifier, channel string) (string, error) {
	var rnd [8]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		return "", err
	}
	for i, c := range rnd {
		rnd[i] = tempChars[int(c)%len(tempChars)]
	}
	return filepath.Join(childlogdir, name+"-"+channel+"---"+identifier+"-"+string(rnd[:])+".log"), nil
}

// CreateAutoChildLog creates the empty AUTO log file at path with mkstemp's
// mode 0600; it fails with fs.ErrExist when the file is already there.
func CreateAutoChildLog(path string) error {
	fd, err := syscall.Open(path, syscall.O_RDWR|syscall.O_CREAT|syscall.O_EXCL|syscall.O_CLOEXEC, 0o600)
	if err != nil {
		return &fs.PathError{Op: "open", Path: path, Err: err}
	}
	return syscall.Close(fd)
}

// autoLogPattern is 4.2's clear_autochildlogdir pattern, matched at the
// start of a name (Python re.match): AUTO logs of this identifier and their
// rotated backups.
func autoLogPattern(identifier string) *regexp.Regexp {
	expr := `^.+?---` + identifier + `-\S+\.log\.{0,1}\d{0,4}`
	re, err := regexp.Compile(expr)
	if err != nil {
		// 4.2 puts the identifier into the pattern unescaped; one that is
		// not a valid pattern is taken literally here.
		re = regexp.MustCompile(`^.+?---` + regexp.QuoteMeta(identifier) + `-\S+\.log\.{0,1}\d{0,4}`)
	}
	return re
}

// ClearAutoChildLogDir removes the AUTO log files a previous supervisord
// with the same identifier left in childlogdir (called at startup unless
// nocleanup). Problems are logged as 4.2 words them: "Could not clear
// childlog dir", "Failed to clean up '/path'".
func ClearAutoChildLogDir(childlogdir, identifier string, log *Logger) {
	entries, err := os.ReadDir(childlogdir)
	if err != nil {
		log.Warn("Could not clear childlog dir")
		return
	}
	re := autoLogPattern(identifier)
	for _, e := range entries {
		if !re.MatchString(e.Name()) {
			continue
		}
		path := filepath.Join(childlogdir, e.Name())
		if err := os.Remove(path); err != nil {
			log.Warn("Failed to clean up %s", pyrepr.Str(path))
		}
	}
}
