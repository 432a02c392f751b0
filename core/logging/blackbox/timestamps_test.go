package blackbox

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"super/core/logging"
	"super/core/testbin"
)

// setClock writes the time the daemon's log clock reads (the test hook
// SUPER_TEST_CLOCK_FILE).
func setClock(t *testing.T, path, rfc3339 string) {
	t.Helper()
	if err := os.WriteFile(path+".tmp", []byte(rfc3339+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(path+".tmp", path); err != nil {
		t.Fatal(err)
	}
}

// clockEnv is the daemon's environment for a test clock in dir: the
// clock file and the local zone.
func clockEnv(t *testing.T, dir, tz string) (clock string, env []string) {
	t.Helper()
	if _, err := time.LoadLocation(tz); err != nil {
		t.Fatalf("the %s zone (Debian package tzdata) is needed: %v", tz, err)
	}
	clock = filepath.Join(dir, "clock")
	return clock, []string{logging.TestClockEnv + "=" + clock, "TZ=" + tz}
}

// stdout_logfile_timestamps=true: each line in the file starts with the
// time it was read, in the local zone (here across the spring DST change
// of Europe/Berlin); readProcessStdoutLog and tail return the file as
// written. Without the key (4.2's default) the file has the bytes as
// they came.
func TestLogfileTimestamps(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	clock, env := clockEnv(t, dir, "Europe/Berlin")
	setClock(t, clock, "2026-03-29T00:59:59.25Z") // 01:59:59.250 CET
	cmd := `sh -c 'echo one; printf "tw"; read x; echo o; printf "three\n\n"; exec sleep 3600'`
	conf := testbin.BaseConf(dir) +
		program("stamped", cmd, "stdout_logfile="+dir+"/stamped.log", "stdout_logfile_timestamps=true") +
		program("plain", cmd, "stdout_logfile="+dir+"/plain.log")
	d := testbin.StartConfEnv(t, dir, conf, env)
	stamped := dir + "/stamped.log"
	// "one\n" and "tw" read (both stamped) before the clock moves on.
	first := "2026-03-29T01:59:59.250+01:00 one\n2026-03-29T01:59:59.250+01:00 tw"
	waitFor(t, 30*time.Second, func() bool { b, _ := os.ReadFile(stamped); return string(b) == first },
		func() string { b, _ := os.ReadFile(stamped); return string(b) })
	setClock(t, clock, "2026-03-29T01:00:00.5Z") // 03:00:00.500 CEST
	for _, name := range []string{"stamped", "plain"} {
		d.Call(t, "supervisor.sendProcessStdin", name, "go\n")
	}
	want := "2026-03-29T01:59:59.250+01:00 one\n" +
		"2026-03-29T01:59:59.250+01:00 two\n" +
		"2026-03-29T03:00:00.500+02:00 three\n" +
		"2026-03-29T03:00:00.500+02:00 \n"
	waitFor(t, 30*time.Second, func() bool { b, _ := os.ReadFile(stamped); return len(b) >= len(want) },
		func() string { b, _ := os.ReadFile(stamped); return string(b) })
	if b, _ := os.ReadFile(stamped); string(b) != want {
		t.Fatalf("stamped.log:\n%s\nwant\n%s", b, want)
	}
	if got := d.Call(t, "supervisor.readProcessStdoutLog", "stamped", 0, 0); got != want {
		t.Errorf("readProcessStdoutLog = %q, want the file", got)
	}
	if got := d.Call(t, "supervisor.tailProcessStdoutLog", "stamped", 0, 1000).([]any); got[0] != want {
		t.Errorf("tailProcessStdoutLog = %q, want the file", got[0])
	}
	waitFor(t, 30*time.Second, func() bool { b, _ := os.ReadFile(dir + "/plain.log"); return len(b) == 15 },
		func() string { b, _ := os.ReadFile(dir + "/plain.log"); return string(b) })
	if b, _ := os.ReadFile(dir + "/plain.log"); string(b) != "one\ntwo\nthree\n\n" {
		t.Errorf("plain.log = %q", b)
	}
}
