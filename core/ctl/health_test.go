package ctl

import (
	"bytes"
	"errors"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"super/core/testbin"
)

// runCtlBinary runs the real supervisorctl (ours or 4.2's) on d's config.
func runCtlBinary(t *testing.T, bin string, d *testbin.Daemon, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"-c", d.Conf}, args...)...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return out.String(), ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String(), 0
}

// A RUNNING process with a healthcheck shows its verdict after the
// description; the others keep 4.2's line.
func TestStatusShowsHealthOfRealDaemon(t *testing.T) {
	d := testbin.Start(t, false, `[program:web]
command=/bin/sleep 1000
startsecs=0
healthcheck=/bin/true
healthcheck_interval=0.2

[program:plain]
command=/bin/sleep 1000
startsecs=0

[program:idle]
command=/bin/sleep 1000
autostart=false
healthcheck=/bin/true
`)
	d.WaitState(t, "web", "RUNNING", 10*time.Second)
	d.WaitState(t, "plain", "RUNNING", 10*time.Second)
	ctl := testbin.Path(t, "supervisorctl")
	line := regexp.MustCompile(`(?m)^web +RUNNING +pid \d+, uptime \d+:\d\d:\d\d, health: (starting|healthy|unhealthy)$`)
	out, rc := runCtlBinary(t, ctl, d, "status")
	if rc != 3 || !line.MatchString(out) {
		t.Fatalf("status: rc %d\n%s", rc, out)
	}
	if !regexp.MustCompile(`(?m)^plain +RUNNING +pid \d+, uptime \d+:\d\d:\d\d$`).MatchString(out) ||
		!regexp.MustCompile(`(?m)^idle +STOPPED +Not started$`).MatchString(out) {
		t.Errorf("processes without a running healthcheck changed:\n%s", out)
	}
	// The check passes (/bin/true) and the first probe runs on entering
	// RUNNING: web becomes healthy, and status says so.
	if err := testbin.Poll(10*time.Second, func() bool {
		out, _ = runCtlBinary(t, ctl, d, "status", "web")
		return strings.HasSuffix(out, ", health: healthy\n")
	}); err != nil {
		t.Errorf("web not shown healthy: %s", out)
	}
}

// Our supervisorctl against Supervisor 4.2's daemon prints 4.2's status:
// the super.* call inside the multicall fails there and is ignored.
func TestStatusAgainstOracleDaemon(t *testing.T) {
	needOracle(t)
	d := testbin.Start(t, true, `[program:a]
command=/bin/sleep 1000
startsecs=0

[program:b]
command=/bin/sleep 1000
autostart=false
`)
	d.WaitState(t, "a", "RUNNING", 10*time.Second)
	want, wantRC := runCtlBinary(t, testbin.OracleCtl, d, "status")
	got, rc := runCtlBinary(t, testbin.Path(t, "supervisorctl"), d, "status")
	// The uptime may tick between the two runs.
	mask := regexp.MustCompile(`uptime \d+:\d\d:\d\d`)
	if rc != wantRC || mask.ReplaceAllString(got, "uptime X") != mask.ReplaceAllString(want, "uptime X") {
		t.Errorf("status against 4.2:\n got rc %d %q\nwant rc %d %q", rc, got, wantRC, want)
	}
}
