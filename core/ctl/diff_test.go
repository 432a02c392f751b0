package ctl

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"super/core/xmlrpc"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the reference supervisorctl")

const (
	oracleD   = "/usr/bin/supervisord"
	oracleCtl = "/usr/bin/supervisorctl"
	python    = "/usr/bin/python3"
)

// needOracle skips the test unless Supervisor 4.2 is installed.
func needOracle(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(oracleD); err != nil {
		t.Skip("reference Supervisor 4.2 not installed (" + oracleD + " missing): differential test skipped")
	}
	if _, err := os.Stat(oracleCtl); err != nil {
		t.Skip("reference " + oracleCtl + " missing: differential test skipped")
	}
	if err := exec.Command(python, "-c", "import supervisor").Run(); err != nil {
		t.Skip("python3 cannot import supervisor: differential test skipped")
	}
}

// daemonKind starts a supervisord on conf (in its own directory) and
// returns when its socket answers. The differential tests run with the
// reference daemon; SUPER_CTL_DAEMON=super selects super's own once it can
// serve.
type daemonKind func(t *testing.T, conf string) *exec.Cmd

func oracleDaemon(t *testing.T, conf string) *exec.Cmd {
	return exec.Command(oracleD, "-n", "-c", conf)
}

func daemonUnderTest(t *testing.T) daemonKind {
	if os.Getenv("SUPER_CTL_DAEMON") == "super" {
		return func(t *testing.T, conf string) *exec.Cmd {
			return exec.Command(superBin(t), "-n", "-c", conf)
		}
	}
	return oracleDaemon
}

// superBin is the super supervisord applet; a hook so the package does not
// depend on the test binary builder until it is wanted.
var superBin = func(t *testing.T) string {
	t.Skip("SUPER_CTL_DAEMON=super needs super's supervisord wired in")
	return ""
}

// baseConf is the config every scenario runs on; %(here)s keeps it
// position independent.
const baseConf = `[unix_http_server]
file=%(here)s/sv.sock

[supervisord]
logfile=%(here)s/sd.log
pidfile=%(here)s/sd.pid
childlogdir=%(here)s

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

[supervisorctl]
serverurl=unix://%(here)s/sv.sock

[program:cat]
command=/bin/cat
startsecs=0

[program:sleeper]
command=/bin/sleep 1000
startsecs=0
autostart=false

[program:fail]
command=/bin/sh -c "echo out; echo err >&2; exit 3"
startsecs=1
startretries=0

[program:talker]
command=/bin/sh -c "printf 'hello\nworld\n'; printf 'oops\n' >&2; exec sleep 1000"
startsecs=0

[group:grp]
programs=a,b

[program:a]
command=/bin/sleep 1000
startsecs=0

[program:b]
command=/bin/sleep 1000
startsecs=0
stderr_logfile=NONE
`

// daemon is one running supervisord in its own temp dir.
type daemon struct {
	dir, conf, url string
}

func startDaemon(t *testing.T, kind daemonKind, conf string) *daemon {
	t.Helper()
	dir := t.TempDir()
	d := &daemon{dir: dir, conf: filepath.Join(dir, "sv.conf"), url: "unix://" + filepath.Join(dir, "sv.sock")}
	if err := os.WriteFile(d.conf, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := kind(t, d.conf)
	cmd.Dir = dir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
	})
	// Ready once every autostarted process has settled (no STARTING or
	// BACKOFF), so both daemons of a comparison start from the same state.
	client, err := xmlrpc.NewClient(d.url, "", "")
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	deadline := time.Now().Add(30 * time.Second)
	for {
		select {
		case <-exited:
			t.Fatalf("supervisord exited early:\n%s", out.String())
		default:
		}
		if d.settled(client) {
			return d
		}
		if time.Now().After(deadline) {
			t.Fatalf("supervisord in %s not ready after 30s:\n%s", dir, out.String())
		}
		time.Sleep(20 * time.Millisecond) // polling a condition, with a deadline
	}
}

func (d *daemon) settled(c *xmlrpc.Client) bool {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	v, err := c.Call(ctx, "supervisor.getAllProcessInfo")
	if err != nil {
		return false
	}
	for _, info := range toProcInfos(v) {
		if info.StateName == "STARTING" || info.StateName == "BACKOFF" || info.StateName == "STOPPING" {
			return false
		}
	}
	return true
}

// step is one supervisorctl invocation of a scenario.
type step struct {
	args  []string
	stdin string
	edit  func(t *testing.T, d *daemon) // applied to the config before running
	// settle waits for the daemon to settle before the next step.
	settle bool
	// unordered: the daemon answers in the order processes stopped, so
	// lines are compared sorted.
	unordered bool
}

type outcome struct {
	stdout string
	rc     int
}

func runOracleCtl(t *testing.T, d *daemon, s step) outcome {
	t.Helper()
	cmd := exec.Command(oracleCtl, append([]string{"-c", d.conf}, s.args...)...)
	cmd.Dir = d.dir
	cmd.Stdin = strings.NewReader(s.stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	rc := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		rc = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return outcome{out.String(), rc}
}

func runOurCtl(t *testing.T, d *daemon, s step) outcome {
	t.Helper()
	var out, errb bytes.Buffer
	rc := Run(Options{ServerURL: d.url, Prompt: "supervisor"}, s.args, strings.NewReader(s.stdin), &out, &errb)
	return outcome{out.String(), rc}
}

var masks = []struct {
	re   *regexp.Regexp
	repl string
}{
	{regexp.MustCompile(`pid \d+, uptime \d+:\d\d:\d\d`), "pid PID, uptime UPTIME"},
	{regexp.MustCompile(`(?m)^\d+$`), "PID"},
	{regexp.MustCompile(`[A-Z][a-z]{2} \d\d \d\d:\d\d [AP]M`), "DATE"},
	{regexp.MustCompile(`\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}`), "TIME"},
	{regexp.MustCompile(`pid \d+`), "pid PID"},
}

func mask(s string, dirs ...string) string {
	for _, d := range dirs {
		s = strings.ReplaceAll(s, d, "<DIR>")
	}
	for _, m := range masks {
		s = m.re.ReplaceAllString(s, m.repl)
	}
	return s
}

type scenario struct {
	name  string
	conf  string
	steps []step
}

// liveOracle says whether the reference supervisorctl runs next to ours
// (slow: a Python start per step) or ours is compared with the recorded
// transcripts in testdata/.
func liveOracle() bool { return *update || os.Getenv("SUPER_CTL_LIVE_ORACLE") != "" }

// transcriptEntry renders one step and its outcome for a transcript.
func transcriptEntry(s step, o outcome, dir string) string {
	out := mask(o.stdout, dir)
	if s.unordered {
		lines := strings.SplitAfter(out, "\n")
		sort.Strings(lines)
		out = strings.Join(lines, "")
	}
	head := "$ supervisorctl " + strings.Join(s.args, " ")
	if s.stdin != "" {
		head += fmt.Sprintf(" <<< %q", s.stdin)
	}
	return fmt.Sprintf("%s\n%s[rc=%d]\n", mask(head, dir), out, o.rc)
}

// runScenario runs the steps with our supervisorctl against a daemon and
// compares masked stdout and exit status of each step with the reference
// supervisorctl: live against a second daemon started from the same config
// when liveOracle(), else with its transcript recorded in testdata/.
func runScenario(t *testing.T, sc scenario) {
	needOracle(t)
	if sc.conf == "" {
		sc.conf = baseConf
	}
	golden := filepath.Join("testdata", sc.name+".golden")
	var want []string
	var ref *daemon
	if liveOracle() {
		ref = startDaemon(t, oracleDaemon, sc.conf)
	} else {
		b, err := os.ReadFile(golden)
		if err != nil {
			t.Fatalf("%v (record it with go test -run %s -update)", err, t.Name())
		}
		want = splitTranscript(string(b))
		if len(want) != len(sc.steps) {
			t.Fatalf("%s has %d steps, the test %d: record it again with -update", golden, len(want), len(sc.steps))
		}
	}
	ours := startDaemon(t, daemonUnderTest(t), sc.conf)
	var refLog strings.Builder
	for i, s := range sc.steps {
		if s.edit != nil {
			if ref != nil {
				s.edit(t, ref)
			}
			s.edit(t, ours)
		}
		if ref != nil {
			w := transcriptEntry(s, runOracleCtl(t, ref, s), ref.dir)
			refLog.WriteString(w)
			want = append(want, w)
		}
		got := transcriptEntry(s, runOurCtl(t, ours, s), ours.dir)
		if got != want[i] {
			t.Errorf("step %d:\n--- 4.2\n%s--- ours\n%s", i, want[i], got)
		}
		if s.settle {
			if ref != nil {
				settle(t, ref)
			}
			settle(t, ours)
		}
	}
	if *update {
		if err := os.WriteFile(golden, []byte(refLog.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// splitTranscript cuts a transcript into its steps.
func splitTranscript(s string) []string {
	var out []string
	for _, part := range strings.SplitAfter(s, "]\n") {
		if part == "" {
			continue
		}
		if len(out) > 0 && !strings.HasPrefix(part, "$ supervisorctl") {
			out[len(out)-1] += part // "]\n" inside a step's output
			continue
		}
		out = append(out, part)
	}
	return out
}

func settle(t *testing.T, d *daemon) {
	t.Helper()
	client, err := xmlrpc.NewClient(d.url, "", "")
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	deadline := time.Now().Add(20 * time.Second)
	for !d.settled(client) {
		if time.Now().After(deadline) {
			t.Fatal("daemon did not settle")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func args(s string) []string { return strings.Fields(s) }

func TestDiffReadOnly(t *testing.T) {
	var steps []step
	for _, line := range []string{
		"status", "status cat", "status grp:*", "status grp:", "status grp", "status nope",
		"status nope:*", "status nope:x", "status grp:zz cat", "status sleeper", "status all",
		"status cat sleeper", "pid cat", "pid sleeper", "pid nope", "pid all",
		"help", "help status", "help help", "help foo", "help EOF", "?", "?tail", "!ls", "foo", "foo bar",
		"version", "version x", "avail", "avail x", "reread", "reread x",
		"tail talker", "tail talker stderr", "tail -3 talker", "tail -3 talker stderr", "tail grp:b stderr",
		"tail nope", "tail", "tail a b c d", "tail talker stdx", "tail -x talker", "tail -5", "tail -5 a b",
		"tail --3 talker", "tail fail", "tail fail STDERR",
		"maintail x", "maintail -x", "maintail a b",
		"start", "stop", "restart", "signal", "signal HUP", "clear", "fg", "fg a b", "fg nope", "fg sleeper",
		"open", "open foo", "shutdown x", "reload x",
		"exit", "quit", "EOF", "start nope", "start grp:nope", "start nope:*", "stop nope", "stop nope:*",
		"signal HUP nope", "signal HUP nope:*", "signal FOO cat", "clear nope", "add nope", "add cat",
		"remove cat", "remove nope", "update nope",
	} {
		steps = append(steps, step{args: args(line)})
	}
	for _, help := range vocab {
		steps = append(steps, step{args: []string{"help", help}})
	}
	steps = append(steps, step{args: []string{""}}, step{args: []string{"status,cat"}})
	runScenario(t, scenario{name: "readonly", steps: steps})
}

func TestDiffLifecycle(t *testing.T) {
	var steps []step
	for _, line := range []string{
		"start sleeper", "start sleeper", "status", "stop sleeper", "stop sleeper",
		"stop grp:*", "status", "start grp:*", "restart cat", "signal HUP cat", "signal HUP grp:*",
		"signal HUP all", "signal HUP sleeper", "start fail", "clear cat", "clear all", "stop all", "status",
		"start all", "status", "stop grp:a", "start grp:a", "remove sleeper", "status",
		"add sleeper", "add sleeper", "avail",
	} {
		steps = append(steps, step{args: args(line), settle: true,
			unordered: strings.HasPrefix(line, "stop ") || strings.HasPrefix(line, "restart ") || strings.HasPrefix(line, "start all")})
	}
	runScenario(t, scenario{name: "lifecycle", steps: steps})
}

func TestDiffRereadUpdate(t *testing.T) {
	editConf := func(f func(string) string) func(*testing.T, *daemon) {
		return func(t *testing.T, d *daemon) {
			b, err := os.ReadFile(d.conf)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(d.conf, []byte(f(string(b))), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	steps := []step{
		{args: args("reread")},
		{args: args("update")},
		{args: args("reread"), edit: editConf(func(s string) string {
			s = strings.Replace(s, "command=/bin/cat\n", "command=/bin/cat -u\n", 1)
			s = strings.Replace(s, "[program:sleeper]\ncommand=/bin/sleep 1000\nstartsecs=0\nautostart=false\n", "", 1)
			return s + "\n[program:newp]\ncommand=/bin/sleep 100\nstartsecs=0\n"
		})},
		{args: args("update nope cat"), settle: true},
		{args: args("status")},
		{args: args("update"), settle: true},
		{args: args("status")},
		{args: args("avail")},
		{args: args("reread")},
		{args: args("update all")},
		{args: args("reread"), edit: editConf(func(s string) string { return s + "\n[program:bad]\nautostart=false\n" })},
		{args: args("update")},
	}
	runScenario(t, scenario{name: "reread", steps: steps})
}

func TestDiffShellPiped(t *testing.T) {
	steps := []step{
		{stdin: "version\nfoo\n\nhelp quit\nstatus cat\n"},
		{stdin: "version\nquit\nversion\n"},
		{stdin: ""},
		{stdin: "tail talker"},
		{stdin: "shutdown\nn\nreload\nno\n"},
	}
	runScenario(t, scenario{name: "shell", steps: steps})
}

// Connection failures need no daemon: a missing socket, a socket nobody
// listens on, and a closed TCP port. The reference transcript is in
// testdata/connection.golden.
func TestDiffConnectionErrors(t *testing.T) {
	if liveOracle() {
		needOracle(t)
	}
	dir := t.TempDir()
	dead := filepath.Join(dir, "dead.sock")
	l, err := net.Listen("unix", dead)
	if err != nil {
		t.Fatal(err)
	}
	l.(*net.UnixListener).SetUnlinkOnClose(false)
	l.Close()
	urls := []string{"unix://" + filepath.Join(dir, "missing.sock"), "unix://" + dead, "http://127.0.0.1:1"}
	var got, want strings.Builder
	for _, u := range urls {
		for _, line := range []string{"status", "version", "pid", "start x", "tail x", "avail", "reread",
			"update", "shutdown", "reload", "help", "clear x", "maintail", "fg x", "add x", "remove x", "open " + u} {
			a := append([]string{"-s", u}, args(line)...)
			s := step{args: a}
			var out, errb bytes.Buffer
			rc := Run(Options{ServerURL: u}, a[2:], strings.NewReader(""), &out, &errb)
			g := transcriptEntry(s, outcome{out.String(), rc}, dir)
			got.WriteString(g)
			if liveOracle() {
				cmd := exec.Command(oracleCtl, a...)
				cmd.Dir = dir
				var ref bytes.Buffer
				cmd.Stdout = &ref
				err := cmd.Run()
				wantRC := 0
				var ee *exec.ExitError
				if errors.As(err, &ee) {
					wantRC = ee.ExitCode()
				}
				w := transcriptEntry(s, outcome{ref.String(), wantRC}, dir)
				want.WriteString(w)
				if g != w {
					t.Errorf("--- 4.2\n%s--- ours\n%s", w, g)
				}
			}
		}
	}
	golden := filepath.Join("testdata", "connection.golden")
	if *update {
		if err := os.WriteFile(golden, []byte(want.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	b, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	wantSteps, gotSteps := splitTranscript(string(b)), splitTranscript(got.String())
	if len(wantSteps) != len(gotSteps) {
		t.Fatalf("%s has %d steps, the test %d: record it again with -update", golden, len(wantSteps), len(gotSteps))
	}
	for i := range wantSteps {
		if wantSteps[i] != gotSteps[i] {
			t.Errorf("--- 4.2\n%s--- ours\n%s", wantSteps[i], gotSteps[i])
		}
	}
}
