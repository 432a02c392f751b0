package supervisor

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

func TestPidfile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sd.pid")
	log := &memLog{}
	if err := WritePidfile(path, log); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	if string(b) != strconv.Itoa(os.Getpid())+"\n" {
		t.Errorf("pidfile %q", b)
	}
	log.waitLine(t, "INFO supervisord started with pid "+strconv.Itoa(os.Getpid()), 0)
	RemovePidfile(path)
	if _, err := os.Stat(path); err == nil {
		t.Error("pidfile not removed")
	}
	if err := WritePidfile(filepath.Join(t.TempDir(), "no", "such"), log); err == nil {
		t.Error("no error for an unwritable pidfile")
	}
	if log.count("CRIT could not write pidfile ") != 1 {
		t.Error("no critical message")
	}
}

func TestSetRlimits(t *testing.T) {
	var rl syscall.Rlimit
	syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl)
	if infos, err := SetRlimits(int(min(rl.Cur, 64)), 1); err != nil || len(infos) != 0 {
		t.Errorf("lower limits: %v, %v", infos, err)
	}
	if os.Getuid() != 0 && rl.Max != ^uint64(0) {
		_, err := SetRlimits(int(rl.Max)+1, 1)
		if err == nil || !strings.HasPrefix(err.Error(), "The minimum number of file descriptors required to run this process is ") {
			t.Errorf("error %v", err)
		}
	}
}

func TestDropPrivileges(t *testing.T) {
	if err := DropPrivileges(strconv.Itoa(os.Getuid())); err != nil {
		t.Errorf("same user: %v", err)
	}
	if err := DropPrivileges("no-such-user-here"); err == nil || err.Error() != "Can't find username 'no-such-user-here'" {
		t.Errorf("error %v", err)
	}
	if err := DropPrivileges("987654"); err == nil || err.Error() != "Can't find uid 987654" {
		t.Errorf("error %v", err)
	}
}

func TestFormatUptime(t *testing.T) {
	for secs, want := range map[int64]string{0: "0:00:00", 62: "0:01:02", 3600*25 + 4: "1 day, 1:00:04", 86400 * 3: "3 days, 0:00:00", -5: "0:00:00"} {
		if got := formatUptime(secs); got != want {
			t.Errorf("formatUptime(%d) = %q, want %q", secs, got, want)
		}
	}
}

func TestSplitNamespec(t *testing.T) {
	for in, want := range map[string][2]string{"a": {"a", "a"}, "g:a": {"g", "a"}, "g:*": {"g", ""}, "g:": {"g", ""}} {
		g, n := SplitNamespec(in)
		if g != want[0] || n != want[1] {
			t.Errorf("SplitNamespec(%q) = %q, %q", in, g, n)
		}
	}
}
