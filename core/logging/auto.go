package logging

import (
	"crypto/rand"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"

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
	prefix := name + "-" + channel + "---" + identifier + "-"
	var rnd [8]byte
	for range 100 {
		if _, err := rand.Read(rnd[:]); err != nil {
			return "", err
		}
		for i, c := range rnd {
			rnd[i] = tempChars[int(c)%len(tempChars)]
		}
		path := filepath.Join(childlogdir, prefix+string(rnd[:])+".log")
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return "", err
		}
		f.Close()
		return path, nil
	}
	return "", &fs.PathError{Op: "mkstemp", Path: filepath.Join(childlogdir, prefix+"XXXXXXXX.log"), Err: fs.ErrExist}
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
