package blackbox

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"super/core/testbin"
)

// numberedSize is the byte count of prefix+"1\n" … prefix+"n\n".
func numberedSize(prefix string, n int) int {
	size := 0
	for i := 1; i <= n; i++ {
		size += len(prefix) + len(strconv.Itoa(i)) + 1
	}
	return size
}

// Numbered lines written as fast as seq can across dozens of rotations are
// all in the backups and the live file, each exactly once, in order; no
// file grows far past maxbytes.
func TestRotationKeepsEveryLineOnce(t *testing.T) {
	// ~1.3 MB per stream. A pipe read can be larger than maxBytes, so
	// rotations happen at most once per read: at least ~20 here.
	const n, maxBytes, backups = 200000, 16 * 1024, 200
	dir := t.TempDir()
	log := dir + "/seq.log"
	// The child's stderr carries numbers too, rotated independently.
	conf := testbin.BaseConf(dir) + program("seq", "sh -c 'seq 1 "+strconv.Itoa(n)+"; seq 1 "+strconv.Itoa(n)+" >&2'",
		"stdout_logfile="+log,
		fmt.Sprintf("stdout_logfile_maxbytes=%d", maxBytes),
		fmt.Sprintf("stdout_logfile_backups=%d", backups),
		"stderr_logfile="+dir+"/seq.err",
		fmt.Sprintf("stderr_logfile_maxbytes=%d", maxBytes/2),
		fmt.Sprintf("stderr_logfile_backups=%d", 2*backups),
	)
	d := testbin.StartConf(t, false, dir, conf)
	waitExited(t, d, "seq")
	want := numberedSize("", n)
	for _, s := range []struct {
		path    string
		backups int
		max     int
	}{{log, backups, maxBytes}, {dir + "/seq.err", 2 * backups, maxBytes / 2}} {
		waitFor(t, 10*time.Second, func() bool { return len(rotated(t, s.path, s.backups)) >= want },
			func() string {
				return fmt.Sprintf("%s: %d bytes, want %d", s.path, len(rotated(t, s.path, s.backups)), want)
			})
		checkNumbered(t, rotated(t, s.path, s.backups), "", n)
		if _, err := os.Stat(s.path + ".10"); err != nil {
			t.Errorf("expected many rotations of %s: %v", s.path, err)
		}
		for i := 1; i <= s.backups; i++ {
			st, err := os.Stat(s.path + "." + strconv.Itoa(i))
			if err != nil {
				break
			}
			// A chunk is never split, so a backup may pass maxbytes by
			// less than one pipe read (4.2's 128 KiB at most).
			if st.Size() < int64(s.max) || st.Size() >= int64(s.max)+readMax {
				t.Errorf("%s.%d has %d bytes, want maxbytes %d up to one read more", s.path, i, st.Size(), s.max)
			}
		}
	}
}

// backups=0 keeps only the live file, truncated each time it reaches
// maxbytes; maxbytes=0 never rotates.
func TestRotationBackupsZeroAndMaxbytesZero(t *testing.T) {
	const n = 50000
	dir := t.TempDir()
	conf := testbin.BaseConf(dir) +
		program("nobackups", "seq 1 "+strconv.Itoa(n),
			"stdout_logfile="+dir+"/nobackups.log", "stdout_logfile_maxbytes=4096", "stdout_logfile_backups=0") +
		program("unlimited", "seq 1 "+strconv.Itoa(n),
			"stdout_logfile="+dir+"/unlimited.log", "stdout_logfile_maxbytes=0", "stdout_logfile_backups=5")
	d := testbin.StartConf(t, false, dir, conf)
	waitExited(t, d, "nobackups")
	waitExited(t, d, "unlimited")

	want := numberedSize("", n)
	unlimited := dir + "/unlimited.log"
	waitFor(t, 10*time.Second, func() bool { st, err := os.Stat(unlimited); return err == nil && st.Size() >= int64(want) },
		func() string { st, _ := os.Stat(unlimited); return fmt.Sprintf("%s: %v", unlimited, st) })
	b, _ := os.ReadFile(unlimited)
	checkNumbered(t, b, "", n)
	if _, err := os.Stat(unlimited + ".1"); !os.IsNotExist(err) {
		t.Errorf("maxbytes=0 made a backup: %v", err)
	}

	nb := dir + "/nobackups.log"
	// The last line ends the live file once the stream is drained — unless
	// the last chunk itself reached maxbytes: the file is truncated after
	// the write that fills it, as 4.2 does, and may end empty.
	last := []byte(strconv.Itoa(n) + "\n")
	waitFor(t, 10*time.Second, func() bool {
		b, _ := os.ReadFile(nb)
		return len(b) == 0 || len(b) >= len(last) && string(b[len(b)-len(last):]) == string(last)
	}, func() string { b, _ := os.ReadFile(nb); return fmt.Sprintf("%s ends %q", nb, tail(b, 40)) })
	b, _ = os.ReadFile(nb)
	if len(b) > 4096+64*1024 {
		t.Errorf("backups=0: %s has %d bytes, never truncated", nb, len(b))
	}
	if _, err := os.Stat(nb + ".1"); !os.IsNotExist(err) {
		t.Errorf("backups=0 made a backup: %v", err)
	}
	// What is there is a contiguous run ending at n: truncation drops
	// whole earlier chunks, never bytes in the middle.
	lines := splitLines(b)
	if len(lines) == 0 {
		return
	}
	// Counting back from n; the first line may be the tail of a line whose
	// beginning went with the truncated chunk before it.
	for i := len(lines) - 1; i >= 0; i-- {
		want := strconv.Itoa(n - (len(lines) - 1 - i))
		if lines[i] != want && !(i == 0 && strings.HasSuffix(want, lines[i])) {
			t.Fatalf("%s line %d is %q, want %q", nb, i, lines[i], want)
		}
	}
}

func splitLines(b []byte) []string {
	var out []string
	start := 0
	for i, c := range b {
		if c == '\n' {
			out = append(out, string(b[start:i]))
			start = i + 1
		}
	}
	return out
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}
