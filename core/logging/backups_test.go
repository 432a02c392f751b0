package logging

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"super/core/config"
)

func berlin(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatalf("the Europe/Berlin zone (Debian package tzdata) is needed: %v", err)
	}
	return loc
}

// clockAt is a clock the test sets.
type clockAt struct{ t time.Time }

func (c *clockAt) now() time.Time { return c.t }

// backupText is backup n of path, decompressed when it is x.log.n.gz;
// "" when there is none. Both forms at once fail the test.
func backupText(t *testing.T, path string, n int) string {
	t.Helper()
	plain, err1 := os.ReadFile(numbered(path, n))
	gz, err2 := os.ReadFile(numbered(path, n) + ".gz")
	switch {
	case err1 == nil && err2 == nil:
		t.Fatalf("backup %d exists both compressed and not", n)
	case err1 == nil:
		return string(plain)
	case err2 == nil:
		zr, err := gzip.NewReader(bytes.NewReader(gz))
		if err != nil {
			t.Fatalf("%s.gz: %v", numbered(path, n), err)
		}
		b, err := io.ReadAll(zr)
		if err != nil {
			t.Fatalf("%s.gz: %v", numbered(path, n), err)
		}
		return string(b)
	}
	return ""
}

// files is what the directory holds: names → content (backups
// decompressed), for comparing whole states.
func files(t *testing.T, path string, backups int) []string {
	t.Helper()
	out := []string{}
	for i := backups + 1; i >= 1; i-- {
		out = append(out, backupText(t, path, i))
	}
	b, _ := os.ReadFile(path)
	return append(out, string(b))
}

// stamped is a stream writing path with the time rule every, on clock c.
func timedStream(t *testing.T, path string, c *clockAt, lc config.LogConfig) *Stream {
	t.Helper()
	lc.Logfile = path
	return newStreamOpts(t, StreamOptions{Log: lc, Now: c.now})
}

// stdout_logfile_rotate=hourly across the autumn DST change of
// Europe/Berlin: 02:00 CEST, 02:00 CET and 03:00 CET each begin an hour;
// a chunk read in a new hour starts the new file; an hour without output
// makes no empty backup.
func TestRotateHourlyAcrossDST(t *testing.T) {
	loc := berlin(t)
	c := &clockAt{time.Date(2026, 10, 25, 1, 30, 0, 0, loc)}
	path := filepath.Join(t.TempDir(), "x.log")
	s := timedStream(t, path, c, config.LogConfig{Backups: 10, Rotate: config.RotateHourly})
	step := func(utc string, text string) {
		t.Helper()
		at, err := time.Parse(time.RFC3339Nano, utc)
		if err != nil {
			t.Fatal(err)
		}
		c.t = at.In(loc)
		s.Write([]byte(text))
	}
	step("2026-10-24T23:30:00Z", "01:30 CEST\n")
	step("2026-10-24T23:59:59.999Z", "01:59 CEST\n")
	step("2026-10-25T00:00:00Z", "02:00 CEST\n") // rotates
	step("2026-10-25T00:59:00Z", "02:59 CEST\n")
	step("2026-10-25T01:00:00.5Z", "02:00 CET\n") // rotates: the hour repeated
	step("2026-10-25T01:30:00Z", "02:30 CET\n")
	step("2026-10-25T04:10:00Z", "05:10 CET\n") // rotates once for the three hours
	want := []string{"", "", "", "01:30 CEST\n01:59 CEST\n", "02:00 CEST\n02:59 CEST\n", "02:00 CET\n02:30 CET\n", "05:10 CET\n"}
	if got := files(t, path, 5); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("files (oldest first)\n%q\nwant\n%q", got, want)
	}
}

// stdout_logfile_rotate=daily across midnight into the spring DST day
// (23 hours) and the midnight after it.
func TestRotateDailyAcrossMidnightAndDST(t *testing.T) {
	loc := berlin(t)
	c := &clockAt{time.Date(2026, 3, 28, 23, 59, 59, 0, loc)}
	path := filepath.Join(t.TempDir(), "x.log")
	s := timedStream(t, path, c, config.LogConfig{Backups: 3, Rotate: config.RotateDaily})
	s.Write([]byte("sat 23:59:59 CET\n"))
	c.t = time.Date(2026, 3, 29, 0, 0, 0, 1e6, loc)
	s.Write([]byte("sun 00:00 CET\n"))
	c.t = time.Date(2026, 3, 29, 3, 0, 0, 0, loc) // just after the jump from 02:00
	s.Write([]byte("sun 03:00 CEST\n"))
	c.t = time.Date(2026, 3, 29, 23, 59, 59, 999e6, loc)
	s.Write([]byte("sun 23:59 CEST\n"))
	c.t = time.Date(2026, 3, 30, 0, 0, 0, 0, loc)
	s.Write([]byte("mon 00:00 CEST\n"))
	want := []string{"", "", "sat 23:59:59 CET\n", "sun 00:00 CET\nsun 03:00 CEST\nsun 23:59 CEST\n", "mon 00:00 CEST\n"}
	if got := files(t, path, 3); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("files (oldest first)\n%q\nwant\n%q", got, want)
	}
}

// A file left from an earlier day is rotated at the first write of a new
// day; an empty one is not.
func TestRotateDailyExistingFile(t *testing.T) {
	dir := t.TempDir()
	c := &clockAt{time.Date(2026, 6, 2, 9, 0, 0, 0, time.UTC)}
	old, empty := filepath.Join(dir, "old.log"), filepath.Join(dir, "empty.log")
	os.WriteFile(old, []byte("yesterday\n"), 0o644)
	os.WriteFile(empty, nil, 0o644)
	y := time.Date(2026, 6, 1, 22, 0, 0, 0, time.UTC)
	os.Chtimes(old, y, y)
	os.Chtimes(empty, y, y)
	for _, p := range []string{old, empty} {
		timedStream(t, p, c, config.LogConfig{Backups: 2, Rotate: config.RotateDaily}).Write([]byte("today\n"))
	}
	if got := files(t, old, 1); strings.Join(got, "|") != "|yesterday\n|today\n" {
		t.Errorf("old.log: %q", got)
	}
	if got := files(t, empty, 1); strings.Join(got, "|") != "||today\n" {
		t.Errorf("empty.log: %q", got)
	}
}

// The size rule still works beside the time rule: either rotates.
func TestRotateSizeAndTime(t *testing.T) {
	c := &clockAt{time.Date(2026, 6, 2, 9, 0, 0, 0, time.UTC)}
	path := filepath.Join(t.TempDir(), "x.log")
	s := timedStream(t, path, c, config.LogConfig{Backups: 10, Maxbytes: 10, Rotate: config.RotateHourly})
	s.Write([]byte("0123456789")) // size: rotates after
	s.Write([]byte("a\n"))
	c.t = c.t.Add(time.Hour) // time: rotates before
	s.Write([]byte("b\n"))
	want := []string{"", "0123456789", "a\n", "b\n"}
	if got := files(t, path, 2); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("%q, want %q", got, want)
	}
}

func TestNextRotation(t *testing.T) {
	loc := berlin(t)
	for _, c := range []struct {
		at    time.Time
		every config.RotateEvery
		want  string
	}{
		{time.Date(2026, 10, 25, 0, 30, 0, 0, time.UTC).In(loc), config.RotateHourly, "2026-10-25T02:00:00+01:00"}, // 02:30 CEST
		{time.Date(2026, 10, 25, 1, 30, 0, 0, time.UTC).In(loc), config.RotateHourly, "2026-10-25T03:00:00+01:00"}, // 02:30 CET
		{time.Date(2026, 3, 29, 1, 59, 0, 0, loc), config.RotateHourly, "2026-03-29T03:00:00+02:00"},
		{time.Date(2026, 3, 29, 12, 0, 0, 0, loc), config.RotateDaily, "2026-03-30T00:00:00+02:00"},
		{time.Date(2026, 12, 31, 23, 59, 59, 0, loc), config.RotateDaily, "2027-01-01T00:00:00+01:00"},
		{time.Date(2026, 12, 31, 23, 59, 59, 0, time.FixedZone("IST", 5*3600+1800)), config.RotateHourly, "2027-01-01T00:00:00+05:30"},
	} {
		if got := nextRotation(c.at, c.every).Format(time.RFC3339); got != c.want {
			t.Errorf("nextRotation(%v, %v) = %s, want %s", c.at, c.every, got, c.want)
		}
	}
}

// stdout_logfile_maxage: a rotation deletes the backups (either form)
// last written more than maxage days ago, and keeps the others.
func TestMaxage(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "x.log")
	c := &clockAt{time.Date(2026, 6, 10, 12, 0, 0, 0, time.UTC)}
	ages := map[string]time.Duration{ // backup name → age before the rotation
		".1": 1 * time.Hour, ".2": 47 * time.Hour, ".3.gz": 49 * time.Hour, ".4": 5 * 24 * time.Hour,
	}
	for suffix, age := range ages {
		os.WriteFile(path+suffix, []byte(suffix), 0o644)
		os.Chtimes(path+suffix, c.t.Add(-age), c.t.Add(-age))
	}
	s := timedStream(t, path, c, config.LogConfig{Backups: 10, Maxbytes: 1, Maxage: 2})
	s.Write([]byte("x")) // rotates: .1→.2, .2→.3, .3.gz→.4.gz, .4→.5, then prunes
	var left []string
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		left = append(left, e.Name())
	}
	if got := strings.Join(left, " "); got != "x.log x.log.1 x.log.2 x.log.3" {
		t.Fatalf("left %s", got)
	}
	if got := backupText(t, path, 3); got != ".2" {
		t.Fatalf("x.log.3 = %q", got)
	}
}

// stdout_logfile_compress: backups become x.log.N.gz in the background,
// with the backup's modification time; the files, decompressed, are every
// byte written, once, in order.
func TestCompressBackups(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "x.log")
	s := newStreamOpts(t, StreamOptions{Log: config.LogConfig{Logfile: path, Backups: 40, Maxbytes: 3000, Compress: true}})
	var all bytes.Buffer
	for i := 0; i < 2000; i++ {
		line := "line " + strconv.Itoa(i) + " " + strings.Repeat("z", i%70) + "\n"
		all.WriteString(line)
		s.Write([]byte(line))
	}
	waitCompressed()
	var got strings.Builder
	n := 0
	for i := 40; i >= 1; i-- {
		if _, err := os.Stat(numbered(path, i)); err == nil {
			t.Errorf("backup %d left uncompressed", i)
		}
		if st, err := os.Stat(numbered(path, i) + ".gz"); err == nil {
			n++
			zr := mustGzip(t, numbered(path, i)+".gz")
			if !zr.ModTime.Equal(st.ModTime().Truncate(time.Second)) {
				t.Errorf("backup %d: gzip header time %v, file time %v", i, zr.ModTime, st.ModTime())
			}
		}
		got.WriteString(backupText(t, path, i))
	}
	live, _ := os.ReadFile(path)
	got.Write(live)
	if n < 10 {
		t.Fatalf("only %d compressed backups", n)
	}
	if got.String() != all.String() {
		t.Fatalf("decompressed backups and the live file are %d bytes, want the %d written", got.Len(), all.Len())
	}
	if entries, _ := os.ReadDir(dir); len(entries) != n+1 {
		t.Errorf("%d files in the directory, want %d backups and the live file (no temporary files)", len(entries), n)
	}
}

func mustGzip(t *testing.T, path string) *gzip.Reader {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return zr
}

// A rotation while a backup is being compressed moves the backup the job
// reads: the job names its result after the backup's new number. A job
// whose backup was shifted out is dropped, leaving nothing behind.
func TestCompressFollowsShifts(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "x.log")
	release := make(chan struct{})
	started := make(chan struct{}, 10)
	gzHook = func() { started <- struct{}{}; <-release }
	defer func() { gzHook = nil }()
	rot := rotation{maxBytes: 1, backups: 3, compress: true}
	s := newFileSink(path, rot, func(err error) { t.Errorf("report: %v", err) })
	defer s.Close()
	s.Write([]byte("first\n")) // → .1, queued and started
	<-started
	s.Write([]byte("second\n")) // first → .2; second → .1, queued
	release <- struct{}{}       // the job of "first" ends as .2.gz
	<-started
	s.Write([]byte("third\n"))  // .2.gz → .3.gz, second → .2 (running), third → .1
	s.Write([]byte("fourth\n")) // .3.gz dropped, second → .3, third → .2, fourth → .1
	s.Write([]byte("fifth\n"))  // second dropped while compressed, third → .3, fourth → .2, fifth → .1
	close(release)
	waitCompressed()
	want := []string{"", "third\n", "fourth\n", "fifth\n", ""}
	if got := files(t, path, 3); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("files (oldest first) %q, want %q", got, want)
	}
	for i := 1; i <= 3; i++ {
		if _, err := os.Stat(numbered(path, i) + ".gz"); err != nil {
			t.Errorf("backup %d not compressed: %v", i, err)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 4 {
		t.Errorf("%d files in the directory, want 3 backups and the live file", len(entries))
	}
}

// A backup left uncompressed (the daemon stopped or crashed first) is
// compressed by the next rotation.
func TestCompressCatchesUp(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "x.log")
	os.WriteFile(numbered(path, 1), []byte("left by a crash\n"), 0o600)
	s := newFileSink(path, rotation{maxBytes: 1, backups: 3, compress: true}, nil)
	defer s.Close()
	s.Write([]byte("new\n"))
	waitCompressed()
	if got := strings.Join(files(t, path, 2), "|"); got != "|left by a crash\n|new\n|" {
		t.Fatalf("%q", got)
	}
	if st, err := os.Stat(numbered(path, 2) + ".gz"); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("backup 2: %v, mode %v (want the backup's 0600)", err, st.Mode())
	}
}
