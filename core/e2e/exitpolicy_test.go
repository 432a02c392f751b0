package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"super/core/testbin"
)

// longRunner is a program that writes its pid to file and runs until
// stopped.
func longRunner(file string) string {
	return fmt.Sprintf(`sh -c 'echo $$ > %s; exec sleep 300'`, file)
}

// afterPid is a program that exits with code once longRunner has written
// file: the daemon's shutdown must find the other program running, however
// slowly a loaded machine starts it.
func afterPid(file string, code int) string {
	return fmt.Sprintf(`sh -c 'while [ ! -s %s ]; do sleep 0.05; done; exit %d'`, file, code)
}

// readPid waits for a pid written by longRunner.
func readPid(t *testing.T, file string) int {
	t.Helper()
	var pid int
	waitFor(t, 10*time.Second, "pid in "+file, func() bool {
		b, _ := os.ReadFile(file)
		pid, _ = strconv.Atoi(strings.TrimSpace(string(b)))
		return pid > 0
	})
	return pid
}

// A critical program going FATAL stops the daemon, and with it the other
// programs; supervisord exits with the program's last exit code.
func TestCriticalFatalEndsDaemon(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "other.pid")
	d := testbin.StartConf(t, false, dir, testbin.BaseConf(dir)+fmt.Sprintf(`
[program:other]
command=%s
startsecs=0

[program:job]
command=%s
startsecs=10
startretries=1
critical=true
`, longRunner(pidFile), afterPid(pidFile, 5)))
	other := readPid(t, pidFile)
	st, err := d.Wait(20 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if st != 5 {
		t.Errorf("supervisord exited %d, want job's exit code 5\n%s", st, d.Log())
	}
	gone(t, other, "the other program")
	log := parseLog(d.Log())
	crit := find(log, `^critical process job entered FATAL state: shutting down with exit status 5$`)
	stopped := find(log, `^stopped: other \(terminated by SIGTERM\)$`)
	if len(crit) != 1 || crit[0].Level != "CRIT" || len(stopped) != 1 {
		t.Errorf("want the CRIT line and other stopped:\n%s", d.Log())
	}
}

// A critical program exiting for good (autorestart=false) ends the daemon
// with its exit code.
func TestCriticalExitEndsDaemonWithItsCode(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "other.pid")
	goFile := filepath.Join(dir, "go")
	d := testbin.StartConf(t, false, dir, testbin.BaseConf(dir)+fmt.Sprintf(`
[program:other]
command=%s
startsecs=0

[program:job]
command=%s
startsecs=0
autorestart=false
critical=true
`, longRunner(pidFile), afterPid(goFile, 7)))
	other := readPid(t, pidFile)
	// job exits once told: had it exited as soon as other was up, the
	// daemon could be gone before StartConf saw its socket.
	if err := os.WriteFile(goFile, []byte("go"), 0o644); err != nil {
		t.Fatal(err)
	}
	st, err := d.Wait(20 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if st != 7 {
		t.Errorf("supervisord exited %d, want 7\n%s", st, d.Log())
	}
	gone(t, other, "the other program")
	waitLog(t, d, `^critical process job exited and will not be restarted: shutting down with exit status 7$`, 1, time.Second)
}

// exit_when_done: once every program has run to its end the daemon stops,
// exiting 0 if all ended as expected, else with the first failure's code.
func TestExitWhenDone(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		bCode  int
		status int
	}{
		{"all expected", 0, 0},
		{"one unexpected", 3, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			conf := strings.Replace(testbin.BaseConf(dir), "[supervisord]\n", "[supervisord]\nexit_when_done=true\n", 1) +
				fmt.Sprintf(`
[program:a]
command=sh -c 'sleep 0.1; exit 0'
startsecs=0
autorestart=false

[program:b]
command=sh -c 'sleep 0.6; exit %d'
startsecs=0
autorestart=false
exitcodes=0
`, tc.bCode)
			d := testbin.StartConf(t, false, dir, conf)
			st, err := d.Wait(20 * time.Second)
			if err != nil {
				t.Fatal(err)
			}
			if st != tc.status {
				t.Errorf("supervisord exited %d, want %d\n%s", st, tc.status, d.Log())
			}
			log := parseLog(d.Log())
			exitedA := indexOf(log, `^exited: a \(exit status 0; expected\)$`)
			exitedB := indexOf(log, fmt.Sprintf(`^exited: b \(exit status %d; `, tc.bCode))
			done := indexOf(log, fmt.Sprintf(`^every process is done \(exit_when_done\): shutting down with exit status %d$`, tc.status))
			if exitedA < 0 || exitedB < 0 || done < exitedA || done < exitedB {
				t.Errorf("want both exits, then the shutdown:\n%s", d.Log())
			}
		})
	}
}

// Without the new keys a program going FATAL leaves the daemon and the
// other programs running (4.2).
func TestFatalWithoutPolicyKeepsDaemon(t *testing.T) {
	t.Parallel()
	d := testbin.Start(t, false, `
[program:other]
command=sleep 300
startsecs=0

[program:job]
command=sh -c 'exit 5'
startsecs=1
startretries=0
`)
	d.WaitState(t, "job", "FATAL", 10*time.Second)
	d.WaitState(t, "other", "RUNNING", 5*time.Second)
	state, _ := d.Call(t, "supervisor.getState").(map[string]any)
	if state["statename"] != "RUNNING" || d.Exited() {
		t.Fatalf("supervisord state %v (exited %v), want RUNNING", state, d.Exited())
	}
	stopDaemon(t, d, 20*time.Second) // and the daemon's own stop still exits 0
}

// A critical program's last output still reaches the logs when its exit
// ends the daemon, even through a console that is read slowly: the daemon
// exits only once the output of its ended programs has been copied.
func TestCriticalLastOutputLogged(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	conf := filepath.Join(dir, "supervisord.conf")
	text := strings.Replace(testbin.BaseConf(dir), "[supervisord]\n", "[supervisord]\ncontainer_logs=true\n", 1) + `
[program:job]
command=sh -c 'seq 1 100000; exit 3'
startsecs=0
autorestart=false
critical=true
`
	if err := os.WriteFile(conf, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(testbin.Path(t, "supervisord"), "-n", "-c", conf)
	cmd.Dir = dir
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	// A slow reader (about 3 MB/s): the daemon's console writes wait on
	// it while the job has long finished writing into its pipe.
	var got []byte
	buf := make([]byte, 16<<10)
	for {
		n, err := out.Read(buf)
		got = append(got, buf[:n]...)
		if err != nil {
			break
		}
		time.Sleep(5 * time.Millisecond) // the slow consumer being modelled
	}
	err = cmd.Wait()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 3 {
		t.Fatalf("supervisord exited with %v, want status 3", err)
	}
	want := 1
	for _, line := range strings.Split(string(got), "\n") {
		if n, ok := strings.CutPrefix(line, "job | "); ok {
			if n != strconv.Itoa(want) {
				t.Fatalf("console line %q, want job | %d", line, want)
			}
			want++
		}
	}
	if want != 100001 {
		t.Fatalf("the console got the job's lines up to %d of 100000", want-1)
	}
}
