package blackbox

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"super/core/testbin"
)

// readBackup is backup n of path: x.log.n, or x.log.n.gz through zcat;
// "" when there is none.
func readBackup(t *testing.T, path string, n int) string {
	t.Helper()
	name := path + "." + strconv.Itoa(n)
	if b, err := os.ReadFile(name); err == nil {
		if _, err := os.Stat(name + ".gz"); err == nil {
			t.Fatalf("%s exists compressed and not", name)
		}
		return string(b)
	}
	if _, err := os.Stat(name + ".gz"); err != nil {
		return ""
	}
	out, err := exec.Command("zcat", name+".gz").Output()
	if err != nil {
		t.Fatalf("zcat %s.gz: %v", name, err)
	}
	return string(out)
}

// history is path's backups, oldest first, then the live file.
func history(t *testing.T, path string, backups int) []string {
	t.Helper()
	var out []string
	for i := backups; i >= 1; i-- {
		out = append(out, readBackup(t, path, i))
	}
	b, _ := os.ReadFile(path)
	return append(out, string(b))
}

// feed makes the cat program "name" write text (through its stdin) and
// waits until the log at path ends with it.
func feed(t *testing.T, d *testbin.Daemon, name, path, text string) {
	t.Helper()
	d.Call(t, "supervisor.sendProcessStdin", name, text)
	waitFor(t, 30*time.Second, func() bool { b, _ := os.ReadFile(path); return strings.HasSuffix(string(b), text) },
		func() string {
			b, _ := os.ReadFile(path)
			return fmt.Sprintf("%s is %q, want it to end with %q", path, b, text)
		})
}

// stdout_logfile_rotate=hourly and stderr_logfile_rotate=daily, driven by
// the daemon's test clock in Europe/Berlin: the hours around the autumn
// DST change, then midnight; and logfile_rotate=daily for the activity
// log across the same midnight. Each file is rotated at the first write
// in a new hour or day, so a backup holds exactly one period's lines.
func TestTimeRotation(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	clock, env := clockEnv(t, dir, "Europe/Berlin")
	setClock(t, clock, "2026-10-24T23:10:00Z") // 01:10 CEST
	out, errs := dir+"/cat.log", dir+"/cat.err"
	conf := withSupervisord(testbin.BaseConf(dir), "logfile_rotate=daily") +
		program("cat", `sh -c 'exec tee /dev/stderr'`,
			"stdout_logfile="+out, "stdout_logfile_rotate=hourly", "stdout_logfile_maxbytes=0",
			"stderr_logfile="+errs, "stderr_logfile_rotate=daily", "stderr_logfile_maxbytes=0") +
		program("blip", "true")
	d := testbin.StartConfEnv(t, dir, conf, env)
	d.WaitState(t, "cat", "RUNNING", 30*time.Second)
	steps := []struct{ utc, text string }{
		{"2026-10-24T23:10:00Z", "01:10 CEST\n"},
		{"2026-10-24T23:59:59.999Z", "01:59 CEST\n"},
		{"2026-10-25T00:00:00Z", "02:00 CEST\n"}, // a new hour
		{"2026-10-25T00:59:00Z", "02:59 CEST\n"},
		{"2026-10-25T01:00:00Z", "02:00 CET\n"}, // the hour again, in winter time
		{"2026-10-25T22:59:59Z", "23:59 CET\n"},
		{"2026-10-25T23:00:01Z", "00:00 CET\n"}, // midnight: a new hour and a new day
	}
	for _, s := range steps {
		setClock(t, clock, s.utc)
		feed(t, d, "cat", out, s.text)
		waitFor(t, 30*time.Second, func() bool { b, _ := os.ReadFile(errs); return strings.HasSuffix(string(b), s.text) },
			func() string { b, _ := os.ReadFile(errs); return string(b) })
		if s.text == "23:59 CET\n" || s.text == "00:00 CET\n" {
			d.Call(t, "supervisor.startProcess", "blip") // activity log lines at this time
		}
	}
	want := []string{"01:10 CEST\n01:59 CEST\n", "02:00 CEST\n02:59 CEST\n", "02:00 CET\n", "23:59 CET\n", "00:00 CET\n"}
	if got := history(t, out, 4); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("hourly stdout log, oldest first:\n%q\nwant\n%q", got, want)
	}
	want = []string{"01:10 CEST\n01:59 CEST\n02:00 CEST\n02:59 CEST\n02:00 CET\n23:59 CET\n", "00:00 CET\n"}
	if got := history(t, errs, 1); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("daily stderr log:\n%q\nwant\n%q", got, want)
	}
	// The activity log: yesterday's lines in supervisord.log.1 (its own
	// times are the test clock's), today's in supervisord.log.
	d.WaitState(t, "blip", "EXITED", 30*time.Second)
	waitFor(t, 30*time.Second, func() bool { return strings.Count(d.Log(), "spawned: 'blip'") == 1 },
		func() string { return d.Log() })
	yesterday := readBackup(t, filepath.Join(dir, "supervisord.log"), 1)
	for _, l := range strings.Split(strings.TrimSpace(yesterday), "\n") {
		if !strings.HasPrefix(l, "2026-10-2") || strings.HasPrefix(l, "2026-10-26") {
			t.Errorf("supervisord.log.1 has a line of another day: %q", l)
		}
	}
	if !strings.Contains(yesterday, "spawned: 'blip'") || strings.Count(d.Log(), "spawned: 'blip'") != 1 {
		t.Errorf("each day's spawn of blip is not in its day's file:\nsupervisord.log.1:\n%s\nsupervisord.log:\n%s", yesterday, d.Log())
	}
	for _, l := range strings.Split(strings.TrimSpace(d.Log()), "\n") {
		if !strings.HasPrefix(l, "2026-10-26 00:00:01,000 ") {
			t.Errorf("supervisord.log has a line of another time: %q", l)
		}
	}
}

// stdout_logfile_maxage: a rotation deletes the backups last written more
// than maxage days ago (by the daemon's clock), compressed or not.
func TestMaxageDeletion(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	clock, env := clockEnv(t, dir, "UTC")
	now := time.Date(2026, 6, 10, 12, 0, 0, 0, time.UTC)
	setClock(t, clock, now.Format(time.RFC3339))
	out := dir + "/cat.log"
	for suffix, age := range map[string]time.Duration{".1": 2 * time.Hour, ".2": 6 * 24 * time.Hour, ".3.gz": 7*24*time.Hour + time.Minute, ".4": 30 * 24 * time.Hour} {
		os.WriteFile(out+suffix, []byte(suffix+"\n"), 0o644)
		os.Chtimes(out+suffix, now.Add(-age), now.Add(-age))
	}
	conf := testbin.BaseConf(dir) + program("cat", "cat", "stdout_logfile="+out, "stdout_logfile_maxage=7", "stdout_logfile_maxbytes=5")
	d := testbin.StartConfEnv(t, dir, conf, env)
	d.WaitState(t, "cat", "RUNNING", 30*time.Second)
	feed(t, d, "cat", out+".1", "rotate me\n") // over maxbytes: rotated at once
	names := func() string {
		var names []string
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), "cat.log") {
				names = append(names, e.Name())
			}
		}
		return strings.Join(names, " ")
	}
	// .1 → .2 and .2 → .3 stay (2 hours, 6 days); .3.gz → .4.gz and .4 → .5 go.
	waitFor(t, 30*time.Second, func() bool { return names() == "cat.log cat.log.1 cat.log.2 cat.log.3" }, names)
	if got := strings.Join(history(t, out, 3), ""); got != ".2\n.1\nrotate me\n" {
		t.Fatalf("kept %q", got)
	}
}

// stdout_logfile_compress: while a program writes as fast as it can
// through a small size limit, its backups become x.log.N.gz; each passes
// gzip -t, and zcat of them with the live file is exactly what the program
// wrote. Nothing is left uncompressed or half-written once it is done.
func TestCompressedBackups(t *testing.T) {
	t.Parallel()
	const n = 300000
	dir := t.TempDir()
	out := dir + "/seq.log"
	// The activity log's backups too: rotated at almost every line.
	conf := withSupervisord(testbin.BaseConf(dir), "logfile_maxbytes=60", "logfile_backups=50", "logfile_compress=true") +
		program("seq", "seq 1 "+strconv.Itoa(n),
			"stdout_logfile="+out, "stdout_logfile_maxbytes=100KB", "stdout_logfile_backups=50", "stdout_logfile_compress=true")
	d := testbin.StartConfEnv(t, dir, conf, nil)
	waitExited(t, d, "seq")
	want := numberedSize("", n)
	all := func() []byte { return []byte(strings.Join(history(t, out, 50), "")) }
	// Every backup compressed: no x.log.N left, and the bytes complete.
	waitFor(t, 60*time.Second, func() bool {
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if regexp.MustCompile(`^seq\.log\.\d+$`).MatchString(e.Name()) {
				return false
			}
		}
		return len(all()) == want
	}, func() string {
		entries, _ := os.ReadDir(dir)
		return fmt.Sprintf("%d bytes, want %d; %v", len(all()), want, entries)
	})
	checkNumbered(t, all(), "", n)
	gz := 0
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		switch {
		case strings.HasSuffix(e.Name(), ".gz"):
			gz++
			if out, err := exec.Command("gzip", "-t", filepath.Join(dir, e.Name())).CombinedOutput(); err != nil {
				t.Errorf("gzip -t %s: %v %s", e.Name(), err, out)
			}
		case strings.HasPrefix(e.Name(), ".") || strings.Contains(e.Name(), "tmp"):
			t.Errorf("a temporary file is left: %s", e.Name())
		}
	}
	if gz < 10 {
		t.Errorf("%d compressed backups, want at least 10", gz)
	}
	// The activity log, decompressed, holds its lines in order.
	main := filepath.Join(dir, "supervisord.log")
	waitFor(t, 30*time.Second, func() bool {
		if _, err := os.Stat(main + ".3.gz"); err != nil {
			return false
		}
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if regexp.MustCompile(`^supervisord\.log\.\d+$`).MatchString(e.Name()) {
				return false // not compressed yet
			}
		}
		return true
	}, func() string { entries, _ := os.ReadDir(dir); return fmt.Sprint(entries) })
	activity := strings.Join(history(t, main, 50), "")
	spawned, exited := strings.Index(activity, "INFO spawned: 'seq' with pid "), strings.Index(activity, "INFO exited: seq (exit status 0; expected)")
	if spawned < 0 || exited < spawned {
		t.Errorf("the activity log across its compressed backups:\n%s", activity)
	}
}

// A daemon killed while it compresses a backup leaves that backup
// uncompressed and whole, and no partial .gz or temporary file; the next
// daemon's first rotation compresses it.
func TestCrashMidCompress(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	out := dir + "/big.log"
	// A backup big enough to take a while to compress (base64 of random
	// bytes: little to gain, so gzip works through all of it).
	if b, err := exec.Command("sh", "-c", "head -c 8000000 /dev/urandom | base64 > "+out+".1").CombinedOutput(); err != nil {
		t.Fatalf("%v %s", err, b)
	}
	big, err := os.ReadFile(out + ".1")
	if err != nil {
		t.Fatal(err)
	}
	conf := testbin.BaseConf(dir) + program("cat", "cat",
		"stdout_logfile="+out, "stdout_logfile_maxbytes=1", "stdout_logfile_backups=3", "stdout_logfile_compress=true")
	d := testbin.StartConfEnv(t, dir, conf, nil)
	d.WaitState(t, "cat", "RUNNING", 30*time.Second)
	d.Call(t, "supervisor.sendProcessStdin", "cat", "x\n") // rotates: big → .2, queued with "x" (.1)
	// Kill it while its compression of the big backup is under way: the
	// daemon then holds a file in the directory that has no name.
	compressing := func() bool {
		fds, _ := os.ReadDir(fmt.Sprintf("/proc/%d/fd", d.Pid()))
		for _, fd := range fds {
			target, _ := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", d.Pid(), fd.Name()))
			if strings.HasPrefix(target, dir+"/#") || strings.Contains(target, ".gz-") {
				return true
			}
		}
		return false
	}
	waitFor(t, 30*time.Second, compressing, func() string { return "no compression seen" })
	syscall.Kill(d.Pid(), syscall.SIGKILL)
	d.Wait(10 * time.Second)
	if got := readBackup(t, out, 2); got != string(big) {
		t.Fatalf("the backup being compressed is %d bytes after the crash, want %d", len(got), len(big))
	}
	if _, err := os.Stat(out + ".2.gz"); err == nil {
		t.Fatal("a .gz of the backup being compressed exists after the crash")
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			t.Errorf("left behind: %s", e.Name())
		}
	}

	d2 := testbin.StartConfEnv(t, dir, conf, nil)
	d2.WaitState(t, "cat", "RUNNING", 30*time.Second)
	d2.Call(t, "supervisor.sendProcessStdin", "cat", "y\n") // rotates, and catches up
	waitFor(t, 60*time.Second, func() bool {
		_, err1 := os.Stat(out + ".3")
		_, err2 := os.Stat(out + ".3.gz")
		return err1 != nil && err2 == nil
	}, func() string { entries, _ := os.ReadDir(dir); return fmt.Sprint(entries) })
	if got := readBackup(t, out, 3); got != string(big) {
		t.Fatalf("the big backup is %d bytes once compressed, want %d", len(got), len(big))
	}
	if c, err := exec.Command("gzip", "-t", out+".3.gz").CombinedOutput(); err != nil {
		t.Fatalf("gzip -t: %v %s", err, c)
	}
}
