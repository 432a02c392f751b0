package logging

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"super/core/config"
)

// readRotated concatenates path.N … path.1 path: the stream in order.
func readRotated(t *testing.T, path string, backups int) []byte {
	t.Helper()
	var all []byte
	for i := backups; i >= 1; i-- {
		b, err := os.ReadFile(path + "." + strconv.Itoa(i))
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, b...)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return append(all, b...)
}

func newTestStream(t *testing.T, lc config.LogConfig) *Stream {
	t.Helper()
	s, err := NewStream(StreamOptions{Process: "x", Channel: "stdout", Log: lc})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// With enough backups to hold everything, the rotated files concatenated
// are exactly the bytes written, whatever the chunk sizes relative to
// maxbytes — nothing lost at a rotation, nothing doubled.
func TestRotationKeepsEveryByteOnce(t *testing.T) {
	for seed := uint64(1); seed <= 20; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			r := rand.New(rand.NewPCG(seed, 99))
			maxBytes := int64(16 + r.IntN(400))
			path := filepath.Join(t.TempDir(), "x.log")
			var want []byte
			line := 0
			// Total bytes bounded so every rotation fits in the backups.
			const total = 8000
			backups := int(total/maxBytes) + 2
			s := newTestStream(t, config.LogConfig{Logfile: path, Maxbytes: maxBytes, Backups: backups})
			for len(want) < total {
				var chunk []byte
				switch r.IntN(3) {
				case 0: // numbered lines
					for k := r.IntN(5); k >= 0; k-- {
						chunk = fmt.Appendf(chunk, "line %d\n", line)
						line++
					}
				case 1: // a chunk larger than maxbytes
					chunk = bytes.Repeat([]byte{byte('a' + r.IntN(26))}, int(maxBytes)+r.IntN(int(maxBytes)+1))
				default: // tiny pieces
					chunk = []byte(strconv.Itoa(r.IntN(1000)))
				}
				want = append(want, chunk...)
				if n, err := s.Write(chunk); n != len(chunk) || err != nil {
					t.Fatalf("Write = %d, %v", n, err)
				}
			}
			got := readRotated(t, path, backups)
			if !bytes.Equal(got, want) {
				t.Fatalf("rotated files hold %d bytes, wrote %d; differ at %d", len(got), len(want), firstDiff(got, want))
			}
			// Every backup reached maxbytes before it was rotated, and
			// exceeds it by less than one chunk (4.2 never splits a chunk).
			if _, err := os.Stat(path + ".1"); err != nil {
				t.Fatalf("no rotation happened: %v", err)
			}
			for i := 1; i <= backups; i++ {
				st, err := os.Stat(path + "." + strconv.Itoa(i))
				if err != nil {
					break
				}
				if st.Size() < maxBytes {
					t.Errorf("%s.%d has %d bytes, rotated before maxbytes %d", path, i, st.Size(), maxBytes)
				}
			}
		})
	}
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// Once backups are exhausted the oldest data goes, the newest stays, and
// the files that remain still line up without gaps.
func TestRotationDropsOnlyOldest(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.log")
	s := newTestStream(t, config.LogConfig{Logfile: path, Maxbytes: 100, Backups: 3})
	var want []byte
	for i := 0; i < 1000; i++ {
		l := fmt.Appendf(nil, "%05d\n", i)
		want = append(want, l...)
		s.Write(l)
	}
	got := readRotated(t, path, 3)
	if !bytes.HasSuffix(want, got) {
		t.Fatalf("remaining files are not the tail of the stream:\n%q", got)
	}
	if _, err := os.Stat(path + ".4"); err == nil {
		t.Fatal("backup beyond logfile_backups kept")
	}
	if len(got) < 300 {
		t.Fatalf("only %d bytes kept with 3 backups of 100", len(got))
	}
}

// backups=0 with maxbytes: 4.2 truncates the file in place.
func TestRotationWithoutBackupsTruncates(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.log")
	s := newTestStream(t, config.LogConfig{Logfile: path, Maxbytes: 10, Backups: 0})
	s.Write([]byte("0123456789ab")) // reaches maxbytes: truncated after
	s.Write([]byte("cd"))
	got, _ := os.ReadFile(path)
	if string(got) != "cd" {
		t.Fatalf("file = %q, want %q", got, "cd")
	}
	if _, err := os.Stat(path + ".1"); err == nil {
		t.Fatal("backup created with backups=0")
	}
}

// maxbytes=0: the file grows without rotation.
func TestNoRotationWhenMaxbytesZero(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.log")
	s := newTestStream(t, config.LogConfig{Logfile: path, Maxbytes: 0, Backups: 5})
	want := bytes.Repeat([]byte("0123456789\n"), 1000)
	for i := 0; i < len(want); i += 11 {
		s.Write(want[i : i+11])
	}
	got, _ := os.ReadFile(path)
	if !bytes.Equal(got, want) {
		t.Fatal("content differs")
	}
	if _, err := os.Stat(path + ".1"); err == nil {
		t.Fatal("rotated with maxbytes=0")
	}
}

// An existing file is appended to, and its size counts toward maxbytes.
func TestAppendsToExistingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.log")
	os.WriteFile(path, []byte("old\n"), 0o644)
	s := newTestStream(t, config.LogConfig{Logfile: path, Maxbytes: 8, Backups: 1})
	s.Write([]byte("new\n"))
	if got, _ := os.ReadFile(path + ".1"); string(got) != "old\nnew\n" {
		t.Fatalf("backup = %q", got)
	}
}

// A log whose directory becomes unwritable: the rotation cannot happen,
// the writer keeps accepting without blocking, the problem is reported
// once, and logging resumes (without losing what could be written) when
// the directory is fixed.
func TestUnwritableDirKeepsAccepting(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("permissions are not enforced for root")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "x.log")
	act, actPath := newFileLogger(t, config.LevelInfo)
	s, err := NewStream(StreamOptions{Process: "x", Channel: "stdout", Activity: act,
		Log: config.LogConfig{Logfile: path, Maxbytes: 10, Backups: 2}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := os.Chmod(dir, 0o500); err != nil {
		t.Fatal(err)
	}
	defer os.Chmod(dir, 0o700)
	var want []byte
	for i := 0; i < 100; i++ {
		l := fmt.Appendf(nil, "%03d\n", i)
		want = append(want, l...)
		if n, err := s.Write(l); n != len(l) || err != nil {
			t.Fatalf("Write = %d, %v", n, err)
		}
	}
	logText, _ := os.ReadFile(actPath)
	if n := strings.Count(string(logText), "ERRO 'x' stdout log: "); n != 1 {
		t.Fatalf("error reported %d times, want once:\n%s", n, logText)
	}
	// Rotation was impossible: the bytes are still appended to x.log.
	got, _ := os.ReadFile(path)
	if !bytes.Equal(got, want) {
		t.Fatalf("x.log = %q", got)
	}
	os.Chmod(dir, 0o700)
	// The rotation is retried after retryInterval.
	deadline := time.Now().Add(5 * time.Second)
	for {
		s.Write([]byte("more\n"))
		want = append(want, "more\n"...)
		if _, err := os.Stat(path + ".1"); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("rotation never resumed")
		}
		time.Sleep(50 * time.Millisecond) // pacing a producer, not waiting for a condition
	}
	s.Write([]byte("end\n"))
	want = append(want, "end\n"...)
	got = readRotated(t, path, 2)
	if !bytes.HasSuffix(want, got) || !bytes.HasSuffix(got, []byte("more\nend\n")) {
		t.Fatalf("after recovery: %q", got)
	}
}

// A log file that cannot be created: NewStream reports it (4.2 refuses to
// spawn) but the Stream drops output without blocking, and starts writing
// once the file can be created.
func TestUncreatableFileDropsAndRecovers(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("permissions are not enforced for root")
	}
	dir := t.TempDir()
	os.Chmod(dir, 0o500)
	defer os.Chmod(dir, 0o700)
	path := filepath.Join(dir, "x.log")
	act, actPath := newFileLogger(t, config.LevelInfo)
	s, err := NewStream(StreamOptions{Process: "x", Channel: "stderr", Activity: act,
		Log: config.LogConfig{Logfile: path}})
	if err == nil {
		t.Fatal("NewStream: no error for an uncreatable file")
	}
	defer s.Close()
	for i := 0; i < 1000; i++ {
		s.Write([]byte("dropped\n"))
	}
	logText, _ := os.ReadFile(actPath)
	if n := strings.Count(string(logText), "ERRO 'x' stderr log: "); n != 1 {
		t.Fatalf("error reported %d times, want once:\n%s", n, logText)
	}
	os.Chmod(dir, 0o700)
	deadline := time.Now().Add(5 * time.Second)
	for {
		s.Write([]byte("kept\n"))
		if b, _ := os.ReadFile(path); len(b) > 0 {
			if strings.Contains(string(b), "dropped") || !strings.HasPrefix(string(b), "kept\n") {
				t.Fatalf("file = %q", b)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("never recovered")
		}
		time.Sleep(50 * time.Millisecond) // pacing a producer, not waiting for a condition
	}
}

// SIGUSR2: a log moved away keeps what was written, new output goes to a
// fresh file at the configured path.
func TestStreamReopen(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "x.log")
	s := newTestStream(t, config.LogConfig{Logfile: path, Maxbytes: 1 << 20, Backups: 1})
	s.Write([]byte("before\n"))
	if err := os.Rename(path, path+".moved"); err != nil {
		t.Fatal(err)
	}
	s.Write([]byte("still old\n"))
	if err := s.Reopen(); err != nil {
		t.Fatal(err)
	}
	s.Write([]byte("after\n"))
	old, _ := os.ReadFile(path + ".moved")
	cur, _ := os.ReadFile(path)
	if string(old) != "before\nstill old\n" || string(cur) != "after\n" {
		t.Fatalf("moved = %q, new = %q", old, cur)
	}
}

// clearProcessLogs removes the file (backups stay) and starts a new one.
func TestStreamRemove(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.log")
	s := newTestStream(t, config.LogConfig{Logfile: path, Maxbytes: 5, Backups: 1})
	s.Write([]byte("123456"))
	s.Write([]byte("abc"))
	if err := s.Remove(); err != nil {
		t.Fatal(err)
	}
	s.Write([]byte("new"))
	if b, _ := os.ReadFile(path); string(b) != "new" {
		t.Fatalf("x.log = %q", b)
	}
	if b, _ := os.ReadFile(path + ".1"); string(b) != "123456" {
		t.Fatalf("x.log.1 = %q", b)
	}
}

func TestDescriptorAlias(t *testing.T) {
	for path, want := range map[string]bool{
		"/dev/fd/1":          true,
		"/proc/self/fd/2":    true,
		"/dev/stdout":        true,
		"/dev/stderr":        true,
		"/dev/shm/app.log":   false, // a tmpfs: rotate, or it fills memory
		"/var/log/app.log":   false,
		"/tmp/dev/fd/x.log":  false,
		"relative/dev/x.log": false,
	} {
		if got := descriptorAlias(path); got != want {
			t.Errorf("descriptorAlias(%q) = %v, want %v", path, got, want)
		}
	}
}

// A quiet stream's file exists from the start (4.2 opens it at spawn) but
// is held open only once output arrives; a file moved away meanwhile is
// not written to, the configured path is.
func TestQuietSinkCreatesFileAndOpensOnOutput(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "x.log")
	s, err := openFileSink(path, rotation{maxBytes: 1 << 20, backups: 2}, func(err error) { t.Errorf("report: %v", err) })
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("log file not created before output: %v", err)
	}
	if s.f != nil {
		t.Fatal("quiet sink holds its file open")
	}
	if err := s.Reopen(); err != nil || s.f != nil {
		t.Fatalf("Reopen of a quiet sink: err %v, held open %v", err, s.f != nil)
	}
	if err := os.Rename(path, path+".moved"); err != nil {
		t.Fatal(err)
	}
	s.Write([]byte("one\n"))
	s.Write([]byte("two\n"))
	if b, _ := os.ReadFile(path); string(b) != "one\ntwo\n" {
		t.Fatalf("log = %q", b)
	}
	if s.f == nil {
		t.Fatal("sink with output does not keep its file open")
	}
}

// A quiet sink whose path cannot be created any more reports it at its
// first output, and writes once the path works again.
func TestQuietSinkReportsOpenFailureAtFirstOutput(t *testing.T) {
	dir := t.TempDir()
	sub := filepath.Join(dir, "sub")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(sub, "x.log")
	var reports []error
	s, err := openFileSink(path, rotation{}, func(err error) { reports = append(reports, err) })
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := os.RemoveAll(sub); err != nil {
		t.Fatal(err)
	}
	s.Write([]byte("lost\n"))
	if len(reports) != 1 {
		t.Fatalf("reports = %v, want one", reports)
	}
}
