package blackbox

import (
	"fmt"
	"os"
	"testing"
	"time"

	"super/core/testbin"
)

// Every AUTO log exists as soon as the daemon has set its programs up, as
// 4.2 creates them (mkstemp, mode 0600) when it builds the groups: also for
// a program that never started and one that never wrote. Reading such a log
// gives an empty string, not NO_FILE. The same test runs against 4.2.
func TestAutoLogsOfQuietPrograms(t *testing.T) {
	for _, oracle := range []bool{false, true} {
		name := "super"
		if oracle {
			name = "supervisor-4.2"
		}
		t.Run(name, func(t *testing.T) {
			if oracle {
				testbin.NeedOracle(t)
			}
			testAutoLogsOfQuietPrograms(t, oracle)
		})
	}
}

func testAutoLogsOfQuietPrograms(t *testing.T, oracle bool) {
	dir := t.TempDir()
	conf := testbin.BaseConf(dir) +
		program("idle", "sh -c 'echo hello; exec sleep 100'", "autostart=false") +
		program("silent", "sleep 100")
	for i := range 20 {
		conf += program(fmt.Sprintf("many%02d", i), "sleep 100")
	}
	d := testbin.StartConf(t, oracle, dir, conf)
	// Read at once, while the files may still be in the making: a reader
	// never sees a missing AUTO log.
	for i := 19; i >= 0; i-- {
		name := fmt.Sprintf("many%02d", i)
		if got := d.Call(t, "supervisor.readProcessStderrLog", name, 0, 100); got != "" {
			t.Errorf("readProcessStderrLog(%s) at start = %q, want empty", name, got)
		}
	}
	d.WaitState(t, "silent", "RUNNING", 10*time.Second)
	for _, name := range []string{"idle", "silent", "many00", "many19"} {
		for _, ch := range []string{"stdout", "stderr"} {
			var logs []string
			waitFor(t, 10*time.Second, func() bool { logs = autoLogs(t, dir, name, ch); return len(logs) == 1 },
				func() string { return fmt.Sprintf("%s %s AUTO logs: %v, want one", name, ch, logs) })
			st, err := os.Stat(logs[0])
			if err != nil {
				t.Fatal(err)
			}
			if st.Mode().Perm() != 0o600 || st.Size() != 0 {
				t.Errorf("%s: mode %v size %d, want an empty 0600 file", logs[0], st.Mode().Perm(), st.Size())
			}
			info := d.Call(t, "supervisor.getProcessInfo", name).(map[string]any)
			if got := info[ch+"_logfile"]; got != logs[0] {
				t.Errorf("getProcessInfo(%s) %s_logfile = %v, want %s", name, ch, got, logs[0])
			}
		}
		if got := d.Call(t, "supervisor.readProcessStdoutLog", name, 0, 100); got != "" {
			t.Errorf("readProcessStdoutLog(%s) = %q, want empty", name, got)
		}
	}
	// The first output of a program started later lands in the file made
	// for it, which keeps its mode.
	path := autoLogs(t, dir, "idle", "stdout")[0]
	d.Call(t, "supervisor.startProcess", "idle")
	waitFor(t, 10*time.Second, func() bool { b, _ := os.ReadFile(path); return string(b) == "hello\n" },
		func() string {
			b, _ := os.ReadFile(path)
			return fmt.Sprintf("%s holds %q, want \"hello\\n\"", path, b)
		})
	if st, err := os.Stat(path); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("%s after output: %v %v, want mode 0600", path, st, err)
	}
}
