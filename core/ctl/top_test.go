package ctl

import (
	"os"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"

	"super/core/testbin"
)

const topConf = `[program:web]
command=sleep 1000
startsecs=0

[program:batch]
command=sleep 1000
autostart=false
startsecs=0

[program:a]
command=sleep 1000
startsecs=0

[program:b]
command=sleep 1000
startsecs=0

[group:grp]
programs=a,b
`

// topRun is the real supervisorctl running top on a pseudo-terminal.
type topRun struct {
	t      *testing.T
	cmd    *exec.Cmd
	ptmx   *os.File // the terminal's master side: what top draws, what we type
	tty    *os.File // its slave side: top's terminal
	before *unix.Termios
	scr    *screen
	done   chan error
}

func startTop(t *testing.T, d *testbin.Daemon, cols, rows uint16) *topRun {
	t.Helper()
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ptmx.Close(); tty.Close() })
	if err := pty.Setsize(ptmx, &pty.Winsize{Cols: cols, Rows: rows}); err != nil {
		t.Fatal(err)
	}
	before, err := unix.IoctlGetTermios(int(tty.Fd()), unix.TCGETS)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(testbin.Path(t, "supervisorctl"), "-c", d.Conf, "top")
	cmd.Env = append(os.Environ(), "TERM=xterm")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = tty, tty, tty
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r := &topRun{t: t, cmd: cmd, ptmx: ptmx, tty: tty, before: before, scr: &screen{}, done: make(chan error, 1)}
	go bytesCopy(r.scr, ptmx)
	go func() { r.done <- cmd.Wait() }()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
		}
	})
	return r
}

var ansiRe = regexp.MustCompile(`\x1b\[[0-9;?]*[A-Za-z]`)

// frame is the last complete screen top drew, without its escapes, one
// string per line.
func (r *topRun) frame() []string {
	out := r.scr.String()
	i := strings.LastIndex(out, "\x1b[H")
	if i < 0 {
		return nil
	}
	f := out[i:]
	if !strings.Contains(f, "\x1b[J") {
		// Still being written: the one before.
		if j := strings.LastIndex(out[:i], "\x1b[H"); j >= 0 {
			f = out[j:i]
		}
	}
	// The terminal turns each "\n" into "\r\n": top's "\r\n" arrive as
	// "\r\r\n".
	return strings.Split(strings.ReplaceAll(ansiRe.ReplaceAllString(f, ""), "\r", ""), "\n")
}

// row is the line of the frame that starts with name ("" when none).
func row(lines []string, name string) string {
	for _, l := range lines {
		if strings.HasPrefix(l, name+" ") {
			return l
		}
	}
	return ""
}

// await polls the frames until cond holds.
func (r *topRun) await(what string, cond func(lines []string) bool) []string {
	r.t.Helper()
	var lines []string
	if err := testbin.Poll(15*time.Second, func() bool { lines = r.frame(); return cond(lines) }); err != nil {
		var widths []int
		for _, l := range lines {
			widths = append(widths, len([]rune(l)))
		}
		r.t.Fatalf("top never showed %s; last frame (widths %v):\n%q", what, widths, lines)
	}
	return lines
}

func (r *topRun) keys(s string) {
	if _, err := r.ptmx.Write([]byte(s)); err != nil {
		r.t.Fatal(err)
	}
}

// ended waits for top to exit and checks it left the terminal as it found
// it: the normal screen, the cursor shown, the same modes.
func (r *topRun) ended() {
	r.t.Helper()
	select {
	case err := <-r.done:
		if err != nil {
			r.t.Errorf("top exited with %v, want 0", err)
		}
	case <-time.After(15 * time.Second):
		r.t.Fatalf("top did not end; screen:\n%s", r.scr.String())
	}
	if err := testbin.Poll(5*time.Second, func() bool { return strings.HasSuffix(r.scr.String(), "\x1b[?25h\x1b[?1049l") }); err != nil {
		r.t.Errorf("top did not leave the alternate screen and show the cursor last: %q", tail(r.scr.String(), 80))
	}
	after, err := unix.IoctlGetTermios(int(r.tty.Fd()), unix.TCGETS)
	if err != nil {
		r.t.Fatal(err)
	}
	if after.Lflag != r.before.Lflag || after.Iflag != r.before.Iflag || after.Oflag != r.before.Oflag ||
		after.Cflag != r.before.Cflag || after.Cc != r.before.Cc {
		r.t.Errorf("terminal modes not restored: before %+v, after %+v", *r.before, *after)
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// TestTop runs `supervisorctl top` on a pseudo-terminal against the real
// daemon: the processes with their states, a change made elsewhere, the
// name filter, sorting, a process's and a group's actions by key, a
// resize, and q leaving the terminal as it was.
func TestTop(t *testing.T) {
	t.Parallel()
	d := testbin.Start(t, false, topConf)
	d.WaitState(t, "grp:b", "RUNNING", 10*time.Second)
	r := startTop(t, d, 120, 20)

	lines := r.await("the processes", func(l []string) bool {
		return strings.Contains(row(l, "web"), "RUNNING") && strings.Contains(row(l, "batch"), "STOPPED") &&
			strings.Contains(row(l, "grp:a"), "RUNNING")
	})
	if !strings.Contains(lines[1], "DESCRIPTION") || !strings.Contains(lines[1], "UPTIME") || !strings.Contains(lines[1], "RESTARTS") {
		t.Errorf("column titles: %q", lines[1])
	}
	if !strings.HasPrefix(r.scr.String(), "\x1b[?1049h") {
		t.Errorf("top did not take the alternate screen first: %q", r.scr.String()[:min(40, len(r.scr.String()))])
	}

	// A change made elsewhere arrives over the event stream.
	d.Call(t, "supervisor.startProcess", "batch", true)
	r.await("batch running", func(l []string) bool { return strings.Contains(row(l, "batch"), "RUNNING") })

	// The name filter.
	r.keys("/we")
	r.await("the filter being typed", func(l []string) bool { return strings.Contains(l[len(l)-1], "filter: we") })
	r.keys("\r")
	r.await("only web", func(l []string) bool { return row(l, "web") != "" && row(l, "batch") == "" && row(l, "grp:a") == "" })
	r.keys("\x1b")
	r.await("everything again", func(l []string) bool { return row(l, "web") != "" && row(l, "batch") != "" })

	// Sorting: the next column, then inverted.
	r.keys(">")
	r.await("sorted by state", func(l []string) bool { return strings.Contains(l[1], "STATEv") })
	r.keys("i")
	r.await("inverted", func(l []string) bool { return strings.Contains(l[1], "STATE^") })
	r.keys("<i")
	r.await("by name again", func(l []string) bool { return strings.Contains(l[1], "PROCESSv") })

	// Actions: the last row (web) stopped; then the group of the second
	// row (grp:a) stopped.
	r.keys("G")
	r.keys("t")
	r.await("web stopped", func(l []string) bool {
		return strings.Contains(row(l, "web"), "STOPPED") && strings.Contains(l[len(l)-1], "web: stopped")
	})
	if st := d.StateOf(t, "web"); st != "STOPPED" {
		t.Errorf("the daemon says web is %s", st)
	}
	r.keys("gj")
	r.keys("T")
	r.await("grp stopped", func(l []string) bool {
		return strings.Contains(row(l, "grp:a"), "STOPPED") && strings.Contains(row(l, "grp:b"), "STOPPED")
	})
	r.keys("gjs")
	r.await("grp:a started", func(l []string) bool { return strings.Contains(row(l, "grp:a"), "RUNNING") })
	if st := d.StateOf(t, "grp:b"); st != "STOPPED" {
		t.Errorf("s started grp:b too (%s)", st)
	}

	// A narrower terminal: drawn again to its width, the description
	// left out.
	if err := pty.Setsize(r.ptmx, &pty.Winsize{Cols: 70, Rows: 20}); err != nil {
		t.Fatal(err)
	}
	r.await("the narrow layout", func(l []string) bool {
		if len(l) < 2 || strings.Contains(l[1], "DESCRIPTION") {
			return false
		}
		for _, line := range l {
			if len([]rune(line)) > 70 {
				return false
			}
		}
		return true
	})

	r.keys("q")
	r.ended()
}

// TestTopInterrupted: Ctrl-C and SIGTERM end top with the terminal
// restored; without a terminal, or against a server without the JSON API,
// top says why and fails.
func TestTopInterrupted(t *testing.T) {
	t.Parallel()
	d := testbin.Start(t, false, topConf)
	d.WaitState(t, "web", "RUNNING", 10*time.Second)

	r := startTop(t, d, 100, 20)
	r.await("the processes", func(l []string) bool { return row(l, "web") != "" })
	r.keys("\x03")
	r.ended()

	r = startTop(t, d, 100, 20)
	r.await("the processes", func(l []string) bool { return row(l, "web") != "" })
	r.cmd.Process.Signal(syscall.SIGTERM)
	r.ended()

	out, err := exec.Command(testbin.Path(t, "supervisorctl"), "-c", d.Conf, "top").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "top needs a terminal") {
		t.Errorf("without a terminal: %v %q", err, out)
	}
	help, _ := exec.Command(testbin.Path(t, "supervisorctl"), "-c", d.Conf, "help", "top").CombinedOutput()
	if !strings.HasPrefix(string(help), "top\t") {
		t.Errorf("help top: %q", help)
	}
	list, _ := exec.Command(testbin.Path(t, "supervisorctl"), "-c", d.Conf, "help").CombinedOutput()
	if regexp.MustCompile(`\btop\b`).Match(list) {
		t.Errorf("help lists top, which 4.2's list does not have:\n%s", list)
	}
}

// TestTopAgainstSupervisor42: 4.2 has no JSON API; top says so.
func TestTopAgainstSupervisor42(t *testing.T) {
	t.Parallel()
	d := testbin.Start(t, true, topConf)
	d.WaitState(t, "web", "RUNNING", 10*time.Second)
	r := startTop(t, d, 100, 20)
	select {
	case err := <-r.done:
		if err == nil {
			t.Error("top against 4.2 exited 0")
		}
	case <-time.After(15 * time.Second):
		t.Fatalf("top against 4.2 did not end: %q", r.scr.String())
	}
	if err := testbin.Poll(5*time.Second, func() bool { return strings.Contains(r.scr.String(), "no JSON API") }); err != nil {
		t.Errorf("top against 4.2 said %q", r.scr.String())
	}
}
