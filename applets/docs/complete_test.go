package docs_test

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"

	"super/core/testbin"
)

func TestMain(m *testing.M) {
	code := m.Run()
	testbin.Cleanup()
	os.Exit(code)
}

// programs are the daemon's processes the completion must find: a group
// of two and a program of its own.
const programs = `[program:web]
command=/bin/sleep 1000
numprocs=2
process_name=%(program_name)s_%(process_num)d

[program:worker]
command=/bin/sleep 1000
`

// script writes `super completion shell` into dir and returns its path.
func script(t *testing.T, shell, dir string) string {
	t.Helper()
	out, err := exec.Command(testbin.Path(t, "super"), "completion", shell).Output()
	if err != nil {
		t.Fatalf("super completion %s: %v", shell, err)
	}
	path := filepath.Join(dir, "completion."+shell)
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// shellEnv runs the shells with super and its applets first on PATH, in a
// home of their own.
func shellEnv(t *testing.T) []string {
	return []string{
		"PATH=" + testbin.Dir(t) + ":/usr/bin:/bin",
		"HOME=" + t.TempDir(),
		"TERM=dumb",
		"INPUTRC=/dev/null",
		"LC_ALL=C",
	}
}

// bashSession is an interactive bash on a pseudo-terminal, so completion
// runs as when a user presses Tab: bash splits the line into COMP_WORDS
// itself (at ':' and '=' too) and calls the function the script
// registered. A wrapper around that function writes COMPREPLY to a file
// after each Tab.
type bashSession struct {
	t    *testing.T
	tty  *os.File
	out  string // directory of the answers, one file per Tab
	n    int    // commands run
	tabs int    // Tabs pressed
	mu   sync.Mutex
	seen bytes.Buffer
}

func startBash(t *testing.T, scriptPath string) *bashSession {
	bash := testbin.NeedTool(t, "bash", "bash")
	s := &bashSession{t: t, out: t.TempDir()}
	cmd := exec.Command(bash, "--norc", "--noprofile", "-i")
	cmd.Env = shellEnv(t)
	tty, err := pty.Start(cmd)
	if err != nil {
		t.Fatal(err)
	}
	s.tty = tty
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := tty.Read(buf)
			s.mu.Lock()
			s.seen.Write(buf[:n])
			s.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	t.Cleanup(func() {
		tty.Write([]byte("\x15exit\n"))
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-done
		}
		tty.Close()
	})
	s.run(fmt.Sprintf("source %s", scriptPath))
	// What the script registered, before the wrapper replaces it.
	s.run(fmt.Sprintf("complete -p super supervisord supervisorctl pidproxy echo_supervisord_conf > %s/registered", s.out))
	s.run(fmt.Sprintf(`_t_n=0; _t_wrap() { _super_complete "$@"; _t_n=$((_t_n+1)); printf '%%s\n' "${COMPREPLY[@]}" > %s/.tab; mv %s/.tab %s/tab$_t_n; }`, s.out, s.out, s.out))
	s.run("complete -F _t_wrap super supervisord supervisorctl pidproxy echo_supervisord_conf")
	return s
}

// run types a command line and waits until bash has run it (a marker
// file appears).
func (s *bashSession) run(line string) {
	s.t.Helper()
	s.n++
	marker := filepath.Join(s.out, fmt.Sprintf("ran%d", s.n))
	s.tty.Write([]byte(line + "; : > " + marker + "\n"))
	if err := testbin.Poll(15*time.Second, func() bool { _, err := os.Stat(marker); return err == nil }); err != nil {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.t.Fatalf("bash did not run %q; terminal:\n%s", line, s.seen.String())
	}
}

// tab types line and one Tab, returns what the completion offered
// (COMPREPLY), then clears the line.
func (s *bashSession) tab(line string) []string {
	s.t.Helper()
	s.tabs++
	answer := filepath.Join(s.out, fmt.Sprintf("tab%d", s.tabs))
	s.tty.Write([]byte(line + "\t"))
	var b []byte
	if err := testbin.Poll(15*time.Second, func() bool {
		var err error
		b, err = os.ReadFile(answer)
		return err == nil
	}); err != nil {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.t.Fatalf("no completion for %q; terminal:\n%s", line, s.seen.String())
	}
	s.tty.Write([]byte("\x15")) // Ctrl-U: the line is empty again
	var words []string
	for _, w := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
		if w != "" {
			words = append(words, w)
		}
	}
	return words
}

// TestBashCompletion drives bash's own completion: applets, options and
// their values, supervisorctl's actions and the running daemon's process
// and group names — as bash replaces words split at ':' and '='.
func TestBashCompletion(t *testing.T) {
	dir := t.TempDir()
	d := testbin.StartConf(t, false, dir, testbin.BaseConf(dir)+programs)
	d.WaitState(t, "worker", "RUNNING", 15*time.Second)
	s := startBash(t, script(t, "bash", t.TempDir()))

	registered, err := os.ReadFile(filepath.Join(s.out, "registered"))
	if err != nil {
		t.Fatal(err)
	}
	for _, cmd := range []string{"super", "supervisord", "supervisorctl", "pidproxy", "echo_supervisord_conf"} {
		if !strings.Contains(string(registered), "complete -F _super_complete "+cmd+"\n") {
			t.Errorf("the script does not register %s:\n%s", cmd, registered)
		}
	}

	ctl := "supervisorctl -c " + d.Conf + " "
	for _, c := range []struct {
		line string
		want []string
	}{
		{"super c", []string{"ctl", "completion"}},
		{"super completion ", []string{"bash", "zsh", "fish"}},
		{"supervisord --log", []string{"--logfile", "--logfile_maxbytes", "--logfile_backups", "--loglevel"}},
		{"supervisord -e ", []string{"critical", "error", "warn", "info", "debug", "trace", "blather"}},
		// bash replaces only what follows '=': the candidates say so.
		{"supervisord --loglevel=de", []string{"debug"}},
		{"supervisorctl --s", []string{"--serverurl"}},
		// 4.2's actions, then super's own.
		{ctl + "sta", []string{"start", "status", "stats"}},
		{ctl + "help to", []string{"top"}},
		{ctl + "stats wo", []string{"worker"}},
		{ctl + "re", []string{"reload", "remove", "reread", "restart"}},
		{ctl + "status ", []string{"web:web_0", "web:*", "web:web_1", "worker"}},
		// After "web:" bash replaces only what follows the colon.
		{ctl + "stop web:", []string{":web_0", ":*", ":web_1"}},
		{ctl + "stop web:web_1 wor", []string{"worker"}},
		{ctl + "add ", []string{"web", "worker"}},
		{ctl + "signal ", []string{"HUP", "INT", "QUIT", "KILL", "USR1", "USR2", "TERM", "STOP", "CONT", "WINCH"}},
		{ctl + "signal HUP wo", []string{"worker"}},
		{ctl + "tail worker ", []string{"stdout", "stderr"}},
		{"super ctl -c " + d.Conf + " restart wo", []string{"worker"}},
		{"super d --user=roo", []string{"root"}},
		{"supervisord -c " + filepath.Join(dir, "supervisord.c"), []string{filepath.Join(dir, "supervisord.conf")}},
		{"echo_supervisord_conf ", nil},
	} {
		if got := s.tab(c.line); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%q<Tab> offers %q, want %q", c.line, got, c.want)
		}
	}
}

// Without a daemon to ask, process names complete to nothing, at once,
// and nothing is printed; the actions still complete.
func TestCompletionWithoutDaemon(t *testing.T) {
	dir := t.TempDir()
	conf := filepath.Join(dir, "supervisord.conf")
	if err := os.WriteFile(conf, []byte(testbin.BaseConf(dir)+programs), 0o644); err != nil {
		t.Fatal(err)
	}
	// A server that takes connections and never answers: completion gives
	// up after its timeout instead of hanging the shell.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"supervisorctl", "-c", conf, "status", ""}, "words\n"},
		{[]string{"supervisorctl", "-s", "http://" + l.Addr().String(), "status", ""}, "words\n"},
		{[]string{"supervisorctl", "-c", conf, "stat"}, "words\nstatus\nstats\n"},
		{[]string{"supervisorctl", "-c", filepath.Join(dir, "missing.conf"), "stop", ""}, "words\n"},
	} {
		cmd := exec.Command(testbin.Path(t, "super"), append([]string{"__complete"}, c.args...)...)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		done := make(chan error, 1)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			if err != nil || stdout.String() != c.want || stderr.Len() != 0 {
				t.Errorf("__complete %q: %v, stdout %q (want %q), stderr %q", c.args, err, stdout.String(), c.want, stderr.String())
			}
		case <-time.After(20 * time.Second):
			cmd.Process.Kill()
			t.Errorf("__complete %q hangs", c.args)
		}
	}
}

// zsh: the script registers _super with compinit's compdef, and _super
// offers the helper's words to compadd.
func TestZshCompletion(t *testing.T) {
	zsh := testbin.NeedTool(t, "zsh", "zsh")
	dir := t.TempDir()
	d := testbin.StartConf(t, false, dir, testbin.BaseConf(dir)+programs)
	d.WaitState(t, "worker", "RUNNING", 15*time.Second)
	path := script(t, "zsh", t.TempDir())
	// compadd and _files are completion builtins and functions, usable
	// only inside a completion widget: stand-ins print what they are given.
	prog := fmt.Sprintf(`
autoload -U compinit && compinit -u -d %[1]s/zcompdump
source %[2]s
print -r -- "registered: $_comps[supervisorctl] $_comps[super] $_comps[echo_supervisord_conf]"
compadd() { [[ $1 == -- ]] && shift; print -r -- "compadd: $*" }
_files() { print -r -- "files: $*" }
compset() { print -r -- "compset: $*" }
words=(supervisorctl -c %[3]s status ""); CURRENT=5; _super
words=(supervisorctl -c %[3]s stop web:); CURRENT=5; _super
words=(super ctl -c %[3]s sta); CURRENT=5; _super
words=(supervisord --configuration=/et); CURRENT=2; _super
`, t.TempDir(), path, d.Conf)
	cmd := exec.Command(zsh, "-f", "-c", prog)
	cmd.Env = shellEnv(t)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("zsh: %v\n%s", err, out)
	}
	want := "registered: _super _super _super\n" +
		"compadd: web:web_0 web:* web:web_1 worker\n" +
		"compadd: web:web_0 web:* web:web_1\n" +
		"compadd: start status stats\n" +
		"compset: -P --configuration=\nfiles: \n"
	if string(out) != want {
		t.Errorf("zsh completion:\n%s\nwant:\n%s", out, want)
	}
}

// fish: its own completion engine (complete -C) runs the script's
// function for the command line.
func TestFishCompletion(t *testing.T) {
	fish := testbin.NeedTool(t, "fish", "fish")
	dir := t.TempDir()
	d := testbin.StartConf(t, false, dir, testbin.BaseConf(dir)+programs)
	d.WaitState(t, "worker", "RUNNING", 15*time.Second)
	path := script(t, "fish", t.TempDir())
	for _, c := range []struct {
		line string
		want string
	}{
		{"supervisorctl -c " + d.Conf + " sta", "start\nstats\nstatus\n"},
		{"supervisorctl -c " + d.Conf + " stop web:", "web:*\nweb:web_0\nweb:web_1\n"},
		{"supervisord --loglevel=w", "--loglevel=warn\n"},
		{"super comp", "completion\n"},
	} {
		cmd := exec.Command(fish, "--no-config", "-c", fmt.Sprintf("source %s; complete -C%q", path, c.line))
		cmd.Env = shellEnv(t)
		out, err := cmd.CombinedOutput()
		if err != nil || string(out) != c.want {
			t.Errorf("fish: %q<Tab> offers %q (%v), want %q", c.line, out, err, c.want)
		}
	}
}
