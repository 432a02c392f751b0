package daemon_test

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"super/core/testbin"
)

// TestServiceNotify runs supervisord as systemd runs a Type=notify
// service — NOTIFY_SOCKET and WATCHDOG_USEC set — on a fake notification
// socket, through its whole life: READY=1 with the status line after the
// first start pass, status updates, watchdog pings, RELOADING=1 then
// READY=1 around SIGHUP, STOPPING=1 at SIGTERM. Every message must come
// from the daemon's own pid (systemd's NotifyAccess=main drops others),
// and the programs must not inherit the variables.
func TestServiceNotify(t *testing.T) {
	dir := t.TempDir()
	sock := testbin.ListenNotify(t, dir)
	t.Setenv("NOTIFY_SOCKET", sock.Path)
	t.Setenv("WATCHDOG_USEC", "200000") // a ping every 0.1 s
	envOut := filepath.Join(dir, "env.out")
	conf := testbin.BaseConf(dir) + `[program:web]
command=/bin/sleep 1000
numprocs=2
process_name=%(program_name)s_%(process_num)d
startsecs=0

[program:env]
command=/bin/sh -c 'env; exec /bin/sleep 1000'
startsecs=0
stdout_logfile=` + envOut + `

[program:broken]
command=/nonexistent/program
startretries=0
`
	d := testbin.StartConf(t, false, dir, conf)

	from := func(m testbin.NotifyMsg) {
		t.Helper()
		if m.Pid != d.Pid() {
			t.Errorf("notification %q sent by pid %d, not the daemon (%d)", m.Text, m.Pid, d.Pid())
		}
	}
	ready, early := sock.WaitFor(t, "READY=1", 15*time.Second, func(m testbin.NotifyMsg) bool { return m.Fields()["READY"] == "1" })
	from(ready)
	for _, m := range early {
		from(m)
		if f := m.Fields(); f["STOPPING"] != "" || f["RELOADING"] != "" {
			t.Errorf("before READY=1: %q", m.Text)
		}
	}
	if _, ok := ready.Fields()["STATUS"]; !ok {
		t.Errorf("READY=1 without a STATUS=: %q", ready.Text)
	}
	// The broken program goes FATAL on its own schedule; the status line
	// follows until it says so.
	want := "3 running, 1 fatal"
	if ready.Fields()["STATUS"] != want {
		m, _ := sock.WaitFor(t, "STATUS="+want, 15*time.Second, func(m testbin.NotifyMsg) bool { return m.Fields()["STATUS"] == want })
		from(m)
	}
	for range 2 {
		m, _ := sock.WaitFor(t, "WATCHDOG=1", 15*time.Second, func(m testbin.NotifyMsg) bool { return m.Text == "WATCHDOG=1" })
		from(m)
	}

	// Restart: RELOADING=1 (with the MONOTONIC_USEC systemd 253 wants),
	// then READY=1 again once the new run's first pass is done.
	d.Signal(syscall.SIGHUP)
	reloading, _ := sock.WaitFor(t, "RELOADING=1", 15*time.Second, func(m testbin.NotifyMsg) bool { return m.Fields()["RELOADING"] == "1" })
	from(reloading)
	if f := reloading.Fields(); f["MONOTONIC_USEC"] == "" || !strings.HasPrefix(f["STATUS"], "Reloading") {
		t.Errorf("RELOADING=1 message %q: want MONOTONIC_USEC= and STATUS=Reloading...", reloading.Text)
	}
	again, between := sock.WaitFor(t, "READY=1 after the restart", 15*time.Second, func(m testbin.NotifyMsg) bool { return m.Fields()["READY"] == "1" })
	from(again)
	for _, m := range between {
		if f := m.Fields(); f["STOPPING"] != "" {
			t.Errorf("a restart sent %q", m.Text)
		}
	}

	d.Signal(syscall.SIGTERM)
	stopping, _ := sock.WaitFor(t, "STOPPING=1", 15*time.Second, func(m testbin.NotifyMsg) bool { return m.Fields()["STOPPING"] == "1" })
	from(stopping)
	if status, err := d.Wait(15 * time.Second); err != nil || status != 0 {
		t.Fatalf("exit on SIGTERM: %d, %v", status, err)
	}

	env, err := os.ReadFile(envOut)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"NOTIFY_SOCKET=", "WATCHDOG_USEC=", "WATCHDOG_PID="} {
		if strings.Contains(string(env), k) {
			t.Errorf("a program inherited %s...:\n%s", k, env)
		}
	}
	if !strings.Contains(string(env), "SUPERVISOR_ENABLED=1") {
		t.Errorf("the env program's output is not its environment:\n%s", env)
	}
}

// Without NOTIFY_SOCKET nothing is sent and nothing changes: the daemon
// runs as under Supervisor 4.2 (TestLifecycleAgainstOracle compares the
// logs). A NOTIFY_SOCKET that is not a socket address is reported on
// stderr, and the daemon runs on.
func TestServiceNotifyBadSocket(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("NOTIFY_SOCKET", "relative/path")
	d := testbin.StartConf(t, false, dir, testbin.BaseConf(dir)+idle)
	d.WaitLog(t, "supervisord started with pid", 15*time.Second)
	if err := testbin.Poll(5*time.Second, func() bool {
		return strings.Contains(d.Out.String(), `supervisord: not notifying the service manager: NOTIFY_SOCKET="relative/path"`)
	}); err != nil {
		t.Errorf("no complaint about NOTIFY_SOCKET on stderr:\n%s", d.Out)
	}
	d.Signal(syscall.SIGTERM)
	if status, err := d.Wait(15 * time.Second); err != nil || status != 0 {
		t.Fatalf("exit on SIGTERM: %d, %v", status, err)
	}
}
