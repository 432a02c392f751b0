package echoconf

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"super/core/config"
	"super/core/testbin"
)

func TestPrintsSample(t *testing.T) {
	var out, errb bytes.Buffer
	if st := Main("echo_supervisord_conf", []string{"ignored"}, nil, &out, &errb); st != 0 {
		t.Fatalf("status %d, stderr %q", st, errb.String())
	}
	if out.String() != config.Sample {
		t.Fatal("output is not the sample config")
	}
}

// Every section and key the sample documents must be one Supervisor 4.2
// knows: with every commented-out section and key switched on, 4.2 still
// accepts the file.
var commentedSetting = regexp.MustCompile(`(?m)^;(\[[^]]+\]|[a-z_.]+ ?=)`)

func uncommentAll(s string) string { return commentedSetting.ReplaceAllString(s, "$1") }

// inDir points the sample's /tmp paths into dir, so nothing outside the
// test's directory is touched.
func inDir(s, dir string) string { return strings.ReplaceAll(s, "/tmp/", dir+"/") }

// realizeScript loads a config with 4.2's own ServerOptions, the code
// supervisord runs before it starts anything.
const realizeScript = `
import sys
from supervisor.options import ServerOptions
o = ServerOptions()
o.realize(['-c', sys.argv[1]])
print(' '.join(sorted(g.name for g in o.process_group_configs)))
`

func TestOracleAcceptsEverySetting(t *testing.T) {
	testbin.NeedOracle(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "full.conf")
	full := uncommentAll(inDir(config.Sample, dir))
	if !strings.Contains(full, "\n[program:theprogramname]\ncommand=") {
		t.Fatal("uncommenting did not switch the program section on")
	}
	if err := os.WriteFile(path, []byte(full), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(testbin.Python, "-c", realizeScript, path)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("Supervisor 4.2 rejects the fully uncommented sample: %v\n%s", err, out)
	}
	if got := strings.TrimSpace(string(out)); got != "theeventlistenername thegroupname" {
		t.Errorf("4.2 sees groups %q", got)
	}
}

// The sample as printed starts the real supervisord.
func TestOracleStartsWithSample(t *testing.T) {
	testbin.NeedOracle(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "supervisord.conf")
	if err := os.WriteFile(path, []byte(inDir(config.Sample, dir)), 0o644); err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd := exec.Command(testbin.OracleDaemon, "-c", path, "-n")
	cmd.Dir = dir
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stop := func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
	}

	// Up means: the control socket exists and the pid file names it.
	sock, pidfile := filepath.Join(dir, "supervisor.sock"), filepath.Join(dir, "supervisord.pid")
	deadline := time.Now().Add(15 * time.Second)
	for {
		select {
		case err := <-exited:
			t.Fatalf("supervisord exited (%v) on the sample config:\n%s", err, stderr.String())
		default:
		}
		_, serr := os.Stat(sock)
		pid, _ := os.ReadFile(pidfile)
		if serr == nil && strings.TrimSpace(string(pid)) != "" {
			break
		}
		if time.Now().After(deadline) {
			stop()
			t.Fatalf("supervisord did not come up on the sample config:\n%s", stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	stop()
}
