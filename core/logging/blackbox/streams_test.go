package blackbox

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"super/core/logging"
	"super/core/testbin"
)

// autoLogs lists the AUTO log files of one process and channel in dir.
func autoLogs(t *testing.T, dir, name, channel string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, name+"-"+channel+"---testsup-*.log"))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// AUTO logs are created in childlogdir, named as 4.2 names them, removed
// at the next start with the same identifier, and kept with nocleanup.
func TestAutoLogsCreatedAndCleaned(t *testing.T) {
	dir := t.TempDir()
	// Left by an earlier run: ours (with a backup) go, another
	// identifier's and unrelated files stay.
	stale := []string{"old-stdout---testsup-abcdefgh.log", "old-stdout---testsup-abcdefgh.log.1"}
	kept := []string{"old-stdout---other-abcdefgh.log", "notes.txt"}
	for _, f := range append(append([]string{}, stale...), kept...) {
		if err := os.WriteFile(filepath.Join(dir, f), []byte("x\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	prog := program("auto", "sh -c 'echo to-stdout; echo to-stderr >&2; exec sleep 100'")
	base := testbin.BaseConf(dir)
	d := testbin.StartConf(t, false, dir, base+prog)
	d.WaitState(t, "auto", "RUNNING", 10*time.Second)
	for _, f := range stale {
		if _, err := os.Stat(filepath.Join(dir, f)); !os.IsNotExist(err) {
			t.Errorf("stale AUTO log %s not removed at start: %v", f, err)
		}
	}
	for _, f := range kept {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("%s removed at start: %v", f, err)
		}
	}
	first := map[string]string{}
	for _, ch := range []string{"stdout", "stderr"} {
		// The files are made off the spawn path: they appear shortly.
		var logs []string
		waitFor(t, 10*time.Second, func() bool { logs = autoLogs(t, dir, "auto", ch); return len(logs) == 1 },
			func() string { return fmt.Sprintf("%s AUTO logs: %v, want one", ch, logs) })
		if !regexp.MustCompile(`/auto-` + ch + `---testsup-[a-z0-9_]{8}\.log$`).MatchString(logs[0]) {
			t.Errorf("AUTO log name %s is not 4.2's", logs[0])
		}
		want := "to-" + ch + "\n"
		waitFor(t, 10*time.Second, func() bool { b, _ := os.ReadFile(logs[0]); return string(b) == want },
			func() string {
				b, _ := os.ReadFile(logs[0])
				return fmt.Sprintf("%s holds %q, want %q", logs[0], b, want)
			})
		first[ch] = logs[0]
		// The API reports the real path.
		info := d.Call(t, "supervisor.getProcessInfo", "auto").(map[string]any)
		if got := info[ch+"_logfile"]; got != logs[0] {
			t.Errorf("getProcessInfo %s_logfile = %v, want %s", ch, got, logs[0])
		}
	}
	d.Stop()

	// The next start removes them and makes new ones.
	d = testbin.StartConf(t, false, dir, base+prog)
	d.WaitState(t, "auto", "RUNNING", 10*time.Second)
	second := map[string]string{}
	for _, ch := range []string{"stdout", "stderr"} {
		if _, err := os.Stat(first[ch]); !os.IsNotExist(err) {
			t.Errorf("AUTO log of the previous run %s not cleaned: %v", first[ch], err)
		}
		var logs []string
		waitFor(t, 10*time.Second, func() bool { logs = autoLogs(t, dir, "auto", ch); return len(logs) == 1 },
			func() string { return fmt.Sprintf("%s AUTO logs after restart: %v, want one", ch, logs) })
		second[ch] = logs[0]
	}
	d.Stop()

	// nocleanup keeps them.
	d = testbin.StartConf(t, false, dir, withSupervisord(base, "nocleanup=true")+prog)
	d.WaitState(t, "auto", "RUNNING", 10*time.Second)
	for _, ch := range []string{"stdout", "stderr"} {
		if _, err := os.Stat(second[ch]); err != nil {
			t.Errorf("nocleanup=true removed %s: %v", second[ch], err)
		}
		var logs []string
		waitFor(t, 10*time.Second, func() bool { logs = autoLogs(t, dir, "auto", ch); return len(logs) == 2 },
			func() string {
				return fmt.Sprintf("%s AUTO logs with nocleanup: %v, want the old and a new one", ch, logs)
			})
	}
}

// With redirect_stderr both streams share one pipe: the stdout log holds
// every line of both, in the order the child wrote them.
func TestRedirectStderrInterleaves(t *testing.T) {
	const n = 3000
	dir := t.TempDir()
	conf := testbin.BaseConf(dir) + program("both",
		fmt.Sprintf(`sh -c 'i=0; while [ $i -lt %d ]; do i=$((i+1)); echo out$i; echo err$i >&2; done'`, n),
		"redirect_stderr=true", "stdout_logfile="+dir+"/both.log", "stderr_logfile="+dir+"/both.err")
	d := testbin.StartConf(t, false, dir, conf)
	waitExited(t, d, "both")
	var want strings.Builder
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&want, "out%d\nerr%d\n", i, i)
	}
	waitFor(t, 10*time.Second, func() bool { b, _ := os.ReadFile(dir + "/both.log"); return len(b) >= want.Len() },
		func() string {
			b, _ := os.ReadFile(dir + "/both.log")
			return fmt.Sprintf("%d bytes, want %d", len(b), want.Len())
		})
	b, _ := os.ReadFile(dir + "/both.log")
	if string(b) != want.String() {
		got, exp := splitLines(b), strings.Split(want.String(), "\n")
		for i := range got {
			if i >= len(exp) || got[i] != exp[i] {
				t.Fatalf("line %d is %q, want %q", i+1, got[i], exp[i])
			}
		}
		t.Fatalf("%d lines, want %d", len(got), 2*n)
	}
	if e, err := os.ReadFile(dir + "/both.err"); err == nil && len(e) > 0 {
		t.Errorf("stderr_logfile got output with redirect_stderr: %q", tail(e, 80))
	}
}

// strip_ansi removes escape sequences from what reaches the log files.
func TestStripANSI(t *testing.T) {
	dir := t.TempDir()
	conf := withSupervisord(testbin.BaseConf(dir), "strip_ansi=true") + program("color",
		`sh -c "printf '\033[1;31mred\033[0m and \033[2Kplain\n'; printf '\033[32mgreen\033[0m err\n' >&2"`,
		"stdout_logfile="+dir+"/color.log", "stderr_logfile="+dir+"/color.err")
	d := testbin.StartConf(t, false, dir, conf)
	waitExited(t, d, "color")
	for path, want := range map[string]string{dir + "/color.log": "red and plain\n", dir + "/color.err": "green err\n"} {
		waitFor(t, 10*time.Second, func() bool { b, _ := os.ReadFile(path); return len(b) >= len(want) },
			func() string { b, _ := os.ReadFile(path); return fmt.Sprintf("%s holds %q", path, b) })
		if b, _ := os.ReadFile(path); string(b) != want {
			t.Errorf("%s holds %q, want %q", path, b, want)
		}
	}
}

// stdout_syslog/stderr_syslog send each line to syslog, tagged with the
// process name, as well as to the log file. The daemon is pointed at a
// datagram socket of the test's through SUPER_SYSLOG_SOCKET.
func TestSyslogReachesListener(t *testing.T) {
	dir := t.TempDir()
	sock := filepath.Join(dir, "log.sock")
	l, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var mu sync.Mutex
	var got []string
	go func() {
		buf := make([]byte, 8192)
		for {
			n, err := l.Read(buf)
			if err != nil {
				return
			}
			mu.Lock()
			got = append(got, string(buf[:n]))
			mu.Unlock()
		}
	}()
	t.Setenv(logging.SyslogSocketEnv, sock)
	conf := testbin.BaseConf(dir) + program("sl", `sh -c 'echo one; echo; echo two; echo three >&2; exec sleep 100'`,
		"stdout_syslog=true", "stderr_syslog=true",
		"stdout_logfile="+dir+"/sl.log", "stderr_logfile="+dir+"/sl.err")
	d := testbin.StartConf(t, false, dir, conf)
	d.WaitState(t, "sl", "RUNNING", 10*time.Second)
	line := regexp.MustCompile(`^<14>[A-Z][a-z]{2} [ 0-9]\d \d\d:\d\d:\d\d supervisord: sl (.*)$`)
	var msgs []string
	waitFor(t, 10*time.Second, func() bool {
		mu.Lock()
		defer mu.Unlock()
		msgs = msgs[:0]
		for _, m := range got {
			if sm := line.FindStringSubmatch(m); sm != nil {
				msgs = append(msgs, sm[1])
			} else {
				t.Errorf("syslog message %q is not 4.2's format", m)
			}
		}
		return len(msgs) >= 4
	}, func() string { mu.Lock(); defer mu.Unlock(); return fmt.Sprintf("syslog got %q", got) })
	// stdout's lines in order (an empty line is a message too); stderr's
	// may come before or after them.
	var out []string
	hasThree := false
	for _, m := range msgs {
		if m == "three" {
			hasThree = true
		} else {
			out = append(out, m)
		}
	}
	if !hasThree || strings.Join(out, "|") != "one||two" {
		t.Errorf("syslog messages %q, want one, \"\", two (stdout) and three (stderr)", msgs)
	}
	// The log files get the output too.
	waitFor(t, 5*time.Second, func() bool { b, _ := os.ReadFile(dir + "/sl.log"); return string(b) == "one\n\ntwo\n" },
		func() string { b, _ := os.ReadFile(dir + "/sl.log"); return fmt.Sprintf("sl.log holds %q", b) })
}

// SIGUSR2 reopens the activity log and every child log at their configured
// paths: after logrotate moved them away, fresh files appear there and get
// the new lines; nothing is lost or written twice between the two.
func TestSIGUSR2ReopensLogs(t *testing.T) {
	dir := t.TempDir()
	out := dir + "/tick.log"
	conf := testbin.BaseConf(dir) + program("tick",
		`sh -c 'i=0; while :; do i=$((i+1)); echo $i; sleep 0.01; done'`, "stdout_logfile="+out)
	d := testbin.StartConf(t, false, dir, conf)
	d.WaitState(t, "tick", "RUNNING", 10*time.Second)
	waitFor(t, 10*time.Second, func() bool { b, _ := os.ReadFile(out); return len(splitLines(b)) >= 5 },
		func() string { return "tick wrote nothing" })
	activity := dir + "/supervisord.log"
	for _, p := range []string{out, activity} {
		if err := os.Rename(p, p+".moved"); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.Signal(syscall.SIGUSR2); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, func() bool { b, _ := os.ReadFile(out); return len(splitLines(b)) >= 3 },
		func() string { b, err := os.ReadFile(out); return fmt.Sprintf("new %s: %q %v", out, b, err) })
	// New activity reaches the new activity log.
	d.Call(t, "supervisor.stopProcess", "tick")
	waitFor(t, 10*time.Second, func() bool { return strings.Contains(d.Log(), "stopped: tick") },
		func() string { return fmt.Sprintf("new activity log: %q", d.Log()) })
	moved, _ := os.ReadFile(activity + ".moved")
	for _, want := range []string{"received SIGUSR2 indicating log reopen request", "supervisord logreopen"} {
		if !strings.Contains(string(moved), want) {
			t.Errorf("moved activity log lacks %q:\n%s", want, moved)
		}
	}
	if strings.Contains(d.Log(), "spawned: 'tick'") {
		t.Errorf("new activity log repeats old lines:\n%s", d.Log())
	}
	// The moved file and the new one hold one run of numbers between them.
	old, _ := os.ReadFile(out + ".moved")
	cur, _ := os.ReadFile(out)
	all := append(old, cur...)
	lines := splitLines(all)
	checkNumbered(t, all[:len(strings.Join(lines, "\n"))+1], "", len(lines))
}

// A child writing as fast as it can never stalls on its pipe (it runs to
// its end), and the daemon answers RPC calls all the while.
func TestFloodDoesNotBlock(t *testing.T) {
	dir := t.TempDir()
	conf := testbin.BaseConf(dir) + program("flood",
		`sh -c 'yes flood-flood-flood-flood-flood-flood | head -n 2000000; echo done'`, // 76 MB
		"stdout_logfile="+dir+"/flood.log", "stdout_logfile_maxbytes=4MB", "stdout_logfile_backups=1")
	d := testbin.StartConf(t, false, dir, conf)
	c := d.Client(t)
	var lat []time.Duration
	start := time.Now()
	for {
		t0 := time.Now()
		v, err := c.Call(t.Context(), "supervisor.getState")
		if err != nil {
			t.Fatalf("getState during the flood: %v", err)
		}
		lat = append(lat, time.Since(t0))
		if v.(map[string]any)["statename"] != "RUNNING" {
			t.Fatalf("getState = %v", v)
		}
		info, err := c.Call(t.Context(), "supervisor.getProcessInfo", "flood")
		if err != nil {
			t.Fatal(err)
		}
		if info.(map[string]any)["statename"] == "EXITED" {
			break
		}
		if time.Since(start) > 60*time.Second {
			t.Fatalf("the flooding child did not finish within a minute: blocked on its pipe?")
		}
	}
	// The last bytes may sit in flood.log.1: as in 4.2, a log rotates after
	// the write that reaches maxbytes, so the write that carries "done" can
	// be the one that rotates, leaving flood.log new and empty.
	lastBytes := func() []byte {
		prev, _ := os.ReadFile(dir + "/flood.log.1")
		cur, _ := os.ReadFile(dir + "/flood.log")
		return append(prev, cur...)
	}
	waitFor(t, 10*time.Second, func() bool { return strings.HasSuffix(string(lastBytes()), "flood\ndone\n") },
		func() string { return fmt.Sprintf("flood.log.1 + flood.log end %q", tail(lastBytes(), 40)) })
	var maxLat, sum time.Duration
	for _, l := range lat {
		sum += l
		maxLat = max(maxLat, l)
	}
	t.Logf("flood of 76 MB took %v; %d getState calls meanwhile, mean %v, max %v",
		time.Since(start).Round(time.Millisecond), len(lat), (sum / time.Duration(len(lat))).Round(time.Microsecond), maxLat.Round(time.Microsecond))
}

// When the log directory becomes unusable (here: replaced by a file, which
// stops root too), the child keeps running, the activity log says why, and
// the stream recovers once the directory is back, without losing lines.
func TestUnwritableLogDirKeepsChildRunning(t *testing.T) {
	dir := t.TempDir()
	logs := dir + "/logs"
	if err := os.Mkdir(logs, 0o755); err != nil {
		t.Fatal(err)
	}
	pad := strings.Repeat("x", 90)
	conf := testbin.BaseConf(dir) + program("w",
		`sh -c 'i=0; while :; do i=$((i+1)); echo "$i `+pad+`"; sleep 0.005; done'`,
		"stdout_logfile="+logs+"/w.log", "stdout_logfile_maxbytes=4096", "stdout_logfile_backups=100")
	d := testbin.StartConf(t, false, dir, conf)
	d.WaitState(t, "w", "RUNNING", 10*time.Second)
	pid := d.Call(t, "supervisor.getProcessInfo", "w").(map[string]any)["pid"]
	waitFor(t, 10*time.Second, func() bool { _, err := os.Stat(logs + "/w.log.1"); return err == nil },
		func() string { return "no rotation yet" })

	if err := os.Rename(logs, logs+".away"); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(logs, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	errLine := regexp.MustCompile(`(?m)^\S+ \S+ ERRO 'w' stdout log: .*` + regexp.QuoteMeta(logs) + `.*$`)
	waitFor(t, 10*time.Second, func() bool { return errLine.MatchString(d.Log()) },
		func() string { return "no error line in the activity log:\n" + d.Log() })
	t.Logf("activity log: %s", errLine.FindString(d.Log()))
	info := d.Call(t, "supervisor.getProcessInfo", "w").(map[string]any)
	if info["statename"] != "RUNNING" || info["pid"] != pid {
		t.Fatalf("child after the log error: %v (pid was %v)", info, pid)
	}
	if n := len(errLine.FindAllString(d.Log(), -1)); n != 1 {
		t.Errorf("%d error lines for one failure episode, want 1", n)
	}

	// Put the directory back: rotation resumes.
	if err := os.Remove(logs); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(logs+".away", logs); err != nil {
		t.Fatal(err)
	}
	mark, _ := os.Stat(logs + "/w.log.1")
	waitFor(t, 10*time.Second, func() bool {
		st, err := os.Stat(logs + "/w.log.1")
		return err == nil && !os.SameFile(st, mark)
	}, func() string { return "rotation did not resume" })
	d.Call(t, "supervisor.stopProcess", "w")

	all := rotated(t, logs+"/w.log", 100)
	lines := splitLines(all)
	for i, l := range lines {
		if want := fmt.Sprintf("%d %s", i+1, pad); l != want {
			t.Fatalf("line %d is %q, want %q", i+1, l, want)
		}
	}
	t.Logf("%d lines, none lost", len(lines))
}
