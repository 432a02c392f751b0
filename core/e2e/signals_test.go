package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"super/core/testbin"
	"super/core/xmlrpc"
)

// SIGTERM, SIGINT and SIGQUIT stop every child, then the daemon exits 0.
func TestDaemonExitSignals(t *testing.T) {
	t.Parallel()
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT, syscall.SIGQUIT} {
		t.Run(sigName(sig), func(t *testing.T) {
			t.Parallel()
			rec := filepath.Join(t.TempDir(), "rec")
			d := testbin.Start(t, false, fmt.Sprintf("[program:child]\ncommand=%s\nstartsecs=0\n", helperCmd(t, "record", rec)))
			d.WaitState(t, "child", "RUNNING", 5*time.Second)
			waitFor(t, 5*time.Second, "child ready", func() bool { return len(lines(rec)) > 0 })
			pid := pidOf(t, d, "child")
			d.Signal(sig)
			code, err := d.Wait(5 * time.Second)
			if err != nil || code != 0 {
				t.Fatalf("exit %d, %v", code, err)
			}
			if got := lines(rec); len(got) != 2 || got[1] != "TERM" {
				t.Errorf("child recorded %q, want its stopsignal TERM", got)
			}
			gone(t, pid, "child")
			log := d.Log()
			for _, want := range []string{
				fmt.Sprintf("WARN received %s indicating exit request", "SIG"+sigName(sig)),
				"INFO stopped: child (exit status 0)",
			} {
				if !strings.Contains(log, want) {
					t.Errorf("log lacks %q:\n%s", want, log)
				}
			}
			if _, err := os.Stat(filepath.Join(d.Dir, "supervisord.pid")); !os.IsNotExist(err) {
				t.Errorf("pidfile left behind: %v", err)
			}
		})
	}
}

// SIGHUP stops everything, reads the config again and starts what it now
// says.
func TestDaemonRestartOnSIGHUP(t *testing.T) {
	t.Parallel()
	d := testbin.Start(t, false, "[program:old]\ncommand=sleep 60\nstartsecs=0\n")
	d.WaitState(t, "old", "RUNNING", 5*time.Second)
	oldPid := pidOf(t, d, "old")
	conf := testbin.BaseConf(d.Dir) + "[program:new]\ncommand=sleep 61\nstartsecs=0\n"
	if err := os.WriteFile(d.Conf, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	d.Signal(syscall.SIGHUP)
	waitLog(t, d, `^received SIGHUP indicating restart request$`, 1, 5*time.Second)
	waitLog(t, d, `^spawned: 'new' with pid \d+$`, 1, 5*time.Second)
	d.WaitState(t, "new", "RUNNING", 5*time.Second)
	gone(t, oldPid, "the old config's child")
	all, _ := d.Call(t, "supervisor.getAllProcessInfo").([]any)
	if len(all) != 1 || all[0].(map[string]any)["name"] != "new" {
		t.Errorf("after the restart: %v", all)
	}
	if d.Exited() {
		t.Fatal("daemon exited on SIGHUP")
	}
	p, _ := testbin.ReadProc(pidOf(t, d, "new"))
	if p.PPid != d.Pid() || p.Comm != "sleep" {
		t.Errorf("new child %+v, want a child of the same daemon %d", p, d.Pid())
	}
	stopDaemon(t, d, 5*time.Second)
}

// SIGUSR2 reopens the activity log and the child logs: moved away, they
// are created again and written to.
func TestDaemonReopenLogsOnSIGUSR2(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	out := filepath.Join(dir, "ticker.out")
	d := testbin.StartConf(t, false, dir, testbin.BaseConf(dir)+fmt.Sprintf(`[program:ticker]
command=sh -c 'while :; do echo tick; sleep 0.05; done'
startsecs=0
stdout_logfile=%s

[program:idle]
command=sleep 60
startsecs=0
`, out))
	d.WaitState(t, "ticker", "RUNNING", 5*time.Second)
	d.WaitState(t, "idle", "RUNNING", 5*time.Second)
	waitFor(t, 5*time.Second, "ticks", func() bool { return len(lines(out)) > 0 })
	logPath := filepath.Join(dir, "supervisord.log")
	for _, p := range []string{logPath, out} {
		if err := os.Rename(p, p+".moved"); err != nil {
			t.Fatal(err)
		}
	}
	d.Signal(syscall.SIGUSR2)
	waitFor(t, 5*time.Second, "a fresh child log with ticks", func() bool { return len(lines(out)) > 0 })
	waitFor(t, 5*time.Second, "a fresh activity log", func() bool {
		_, err := os.Stat(logPath)
		return err == nil
	})
	waitFor(t, 5*time.Second, "logreopen in the moved log", func() bool {
		return strings.Contains(strings.Join(lines(logPath+".moved"), "\n"), "INFO received SIGUSR2 indicating log reopen request")
	})
	d.Call(t, "supervisor.stopProcess", "idle", true)
	waitLog(t, d, `^stopped: idle \(terminated by SIGTERM\)$`, 1, 5*time.Second)
	if strings.Contains(d.Log(), "received SIGUSR2") {
		t.Errorf("the reopen request went to the fresh log, want the old one (as 4.2)")
	}
}

// Without -n the daemon detaches: the command returns at once, the daemon
// runs in its own session, writes the pidfile, and on SIGTERM stops its
// children, removes the pidfile and exits.
func TestDaemonizeAndPidfile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	conf := filepath.Join(dir, "supervisord.conf")
	if err := os.WriteFile(conf, []byte(testbin.BaseConf(dir)+"[program:child]\ncommand=sleep 60\nstartsecs=0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(testbin.Path(t, "supervisord"), "-c", conf)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("supervisord: %v\n%s", err, out)
	}
	pidfile := filepath.Join(dir, "supervisord.pid")
	var pid int
	waitFor(t, 10*time.Second, "the pidfile", func() bool {
		b, _ := os.ReadFile(pidfile)
		pid, _ = strconv.Atoi(strings.TrimSpace(string(b)))
		return pid > 0
	})
	t.Cleanup(func() {
		if testbin.Alive(pid) {
			syscall.Kill(pid, syscall.SIGTERM)
		}
	})
	if pid == cmd.Process.Pid {
		t.Fatalf("pidfile holds the pid of the command that returned")
	}
	if sid, _ := unix.Getsid(pid); sid != pid {
		t.Errorf("daemon %d is in session %d, want its own", pid, sid)
	}
	c, err := xmlrpc.NewClient("unix://"+filepath.Join(dir, "s.sock"), "", "")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var child int
	waitFor(t, 10*time.Second, "child RUNNING under the detached daemon", func() bool {
		v, err := c.Call(t.Context(), "supervisor.getProcessInfo", "child")
		info, _ := v.(map[string]any)
		child, _ = info["pid"].(int)
		return err == nil && info["statename"] == "RUNNING"
	})
	if p, _ := testbin.ReadProc(child); p.PPid != pid {
		t.Errorf("child's parent %d, want the daemon %d", p.PPid, pid)
	}
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	gone(t, pid, "daemon")
	gone(t, child, "child")
	if _, err := os.Stat(pidfile); !os.IsNotExist(err) {
		t.Errorf("pidfile not removed: %v", err)
	}
	log := strings.Join(lines(filepath.Join(dir, "supervisord.log")), "\n")
	if !strings.Contains(log, fmt.Sprintf("supervisord started with pid %d", pid)) {
		t.Errorf("log:\n%s", log)
	}
}
