package e2e

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"super/core/testbin"
)

// A daemonizing supervisord says once what 4.2 says once: run as root
// through PATH without -c, it warns once about searching for its config
// (super's foreground process re-runs its command line to detach; the
// detached one must not repeat it), and a second one finding the socket
// taken ends its error with "For help, use <the path PATH gave> -h", as
// 4.2 names the script the kernel ran.
func TestDaemonizeSaysThingsOnce(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root: supervisord warns about its config search only as root")
	}
	testbin.NeedOracle(t)
	t.Parallel()
	for _, oracle := range []bool{false, true} {
		name, binDir := "super", testbin.Dir(t)
		if oracle {
			name, binDir = "4.2", filepath.Dir(testbin.OracleDaemon)
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			prog := filepath.Join(binDir, "supervisord")
			dir := t.TempDir()
			// Found in the working directory: the search's first places,
			// next to the executable, hold no supervisord.conf.
			conf := fmt.Sprintf(`[unix_http_server]
file=%[1]s/s.sock

[supervisord]
logfile=%[1]s/supervisord.log
pidfile=%[1]s/supervisord.pid

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

[program:sleeper]
command=sleep 600
`, dir)
			if err := os.WriteFile(filepath.Join(dir, "supervisord.conf"), []byte(conf), 0o644); err != nil {
				t.Fatal(err)
			}
			run := func() (int, string) {
				t.Helper()
				var stderr bytes.Buffer
				// Run as a shell does for "supervisord" found in PATH.
				cmd := &exec.Cmd{Path: prog, Args: []string{"supervisord"}, Dir: dir, Stderr: &stderr,
					Env: append(os.Environ(), "PATH="+binDir+":/usr/bin:/bin")}
				done := make(chan error, 1)
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				go func() { done <- cmd.Wait() }()
				select {
				case <-done:
				case <-time.After(60 * time.Second): // a hang, not a slow start
					cmd.Process.Kill()
					t.Fatalf("%s did not return after daemonizing:\n%s", name, stderr.String())
				}
				return cmd.ProcessState.ExitCode(), stderr.String()
			}
			status, stderr := run()
			pidfile := filepath.Join(dir, "supervisord.pid")
			var pid int
			if err := testbin.Poll(10*time.Second, func() bool {
				b, _ := os.ReadFile(pidfile)
				pid, _ = strconv.Atoi(strings.TrimSpace(string(b)))
				return pid > 0
			}); err != nil {
				t.Fatalf("%s: exit %d, no pidfile: %v\n%s", name, status, err, stderr)
			}
			t.Cleanup(func() {
				syscall.Kill(pid, syscall.SIGTERM)
				testbin.Poll(30*time.Second, func() bool { return !testbin.Alive(pid) })
			})
			const warning = "Supervisord is running as root and it is searching for its configuration file"
			if n := strings.Count(stderr, warning); status != 0 || n != 1 {
				t.Errorf("daemonizing: exit %d, the root search warning %d times, want 0 and once:\n%s", status, n, stderr)
			}

			status, stderr = run()
			want := "Error: Another program is already listening on a port that one of our HTTP servers is configured to use.  " +
				"Shut this program down first before starting supervisord.\nFor help, use " + prog + " -h\n"
			if n := strings.Count(stderr, warning); status != 2 || n != 1 || !strings.HasSuffix(stderr, want) {
				t.Errorf("socket taken: exit %d, the root search warning %d times, stderr\n%s\nwant exit 2, the warning once, then\n%s",
					status, n, stderr, want)
			}
		})
	}
}
