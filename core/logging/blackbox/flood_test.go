package blackbox

import (
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"super/core/testbin"
)

// A child writing 1 MiB blocks fills its pipe at once: the daemon then
// enlarges the pipe and reads it in 4.2's 128 KiB chunks. These tests run
// such floods of numbered lines through rotation and through output
// transforms, and check every byte landed once, in order.

// readMax is 4.2's read size: the most a log file may pass maxbytes by.
const readMax = 2 << 16

// flood is a command writing the numbered lines 1…n in 1 MiB blocks,
// filtered through filter (a shell pipeline stage, "" for none).
func flood(n int, filter string) string {
	if filter != "" {
		filter = " | " + filter
	}
	return fmt.Sprintf(`sh -c "seq 1 %d%s | dd bs=1M iflag=fullblock status=none"`, n, filter)
}

// checkRotatedFlood waits for want bytes across path and its backups,
// checks they are the numbered lines 1…n in order and that each backup
// holds at least maxBytes and less than one read more.
func checkRotatedFlood(t *testing.T, path string, backups, maxBytes, n int) {
	t.Helper()
	want := numberedSize("", n)
	waitFor(t, 20*time.Second, func() bool { return len(rotated(t, path, backups)) >= want },
		func() string { return fmt.Sprintf("%s: %d bytes, want %d", path, len(rotated(t, path, backups)), want) })
	checkNumbered(t, rotated(t, path, backups), "", n)
	count := 0
	for i := 1; i <= backups; i++ {
		st, err := os.Stat(path + "." + strconv.Itoa(i))
		if err != nil {
			break
		}
		count++
		if st.Size() < int64(maxBytes) || st.Size() >= int64(maxBytes+readMax) {
			t.Errorf("%s.%d has %d bytes, want maxbytes %d up to one read more", path, i, st.Size(), maxBytes)
		}
	}
	if count == backups {
		t.Fatalf("all %d backups of %s are used: the oldest lines may have been dropped; raise backups", backups, path)
	}
	if count < 5 {
		t.Errorf("%s rotated %d times, want many", path, count)
	}
}

// Numbered lines flooded in big blocks are all in the backups and the live
// file exactly once, in order: across many rotations, and with maxbytes far
// below one read of an enlarged pipe (each chunk rotates the file, none is
// split or lost, and no file grows by more than one chunk).
func TestFloodAcrossRotations(t *testing.T) {
	for _, tc := range []struct {
		name              string
		n, maxBytes, back int
	}{
		{"flood", 1_500_000, 1 << 20, 40}, // ~11.8 MB: ~11 rotations
		{"small", 300_000, 4096, 1200},    // ~2 MB: up to ~500 rotations
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			log := dir + "/" + tc.name + ".log"
			conf := testbin.BaseConf(dir) + program(tc.name, flood(tc.n, ""),
				"stdout_logfile="+log,
				fmt.Sprintf("stdout_logfile_maxbytes=%d", tc.maxBytes),
				fmt.Sprintf("stdout_logfile_backups=%d", tc.back))
			d := testbin.StartConf(t, false, dir, conf)
			waitExited(t, d, tc.name)
			checkRotatedFlood(t, log, tc.back, tc.maxBytes, tc.n)
		})
	}
}

// Output that must be transformed before it reaches the file still is
// when it floods: strip_ansi removes every escape sequence, also those a
// read boundary cuts in two, and the file rotates as usual.
func TestFloodStripANSI(t *testing.T) {
	const n, maxBytes, backups = 600_000, 1 << 20, 40 // ~9.5 MB colored, ~4.5 MB stripped
	dir := t.TempDir()
	log := dir + "/color.log"
	conf := withSupervisord(testbin.BaseConf(dir), "strip_ansi=true") + program("color",
		flood(n, `sed 's/.*/\x1b[1;31m&\x1b[0m/'`),
		"stdout_logfile="+log,
		fmt.Sprintf("stdout_logfile_maxbytes=%d", maxBytes),
		fmt.Sprintf("stdout_logfile_backups=%d", backups))
	d := testbin.StartConf(t, false, dir, conf)
	waitExited(t, d, "color")
	want := numberedSize("", n)
	waitFor(t, 20*time.Second, func() bool { return len(rotated(t, log, backups)) >= want },
		func() string { return fmt.Sprintf("%s: %d bytes, want %d", log, len(rotated(t, log, backups)), want) })
	checkNumbered(t, rotated(t, log, backups), "", n)
	if _, err := os.Stat(log + ".3"); err != nil {
		t.Errorf("expected rotations of %s: %v", log, err)
	}
}
