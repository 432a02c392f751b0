package supervisord

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"super/core/config"
	"super/core/testbin"
)

func TestMain(m *testing.M) {
	status := m.Run()
	testbin.Cleanup()
	os.Exit(status)
}

// link makes dir/name a symlink to super, the way users install it.
func link(t *testing.T, dir, name string) string {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name)
	if err := os.Symlink(testbin.Path(t, "super"), p); err != nil {
		t.Fatal(err)
	}
	return p
}

type result struct {
	status         int
	stdout, stderr string
}

func runIn(t *testing.T, dir, prog string, args ...string) result {
	t.Helper()
	cmd := exec.Command(prog, args...)
	cmd.Dir = dir
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	r := result{stdout: out.String(), stderr: errb.String()}
	if ee, ok := err.(*exec.ExitError); ok {
		r.status = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestBinarySuperDispatch(t *testing.T) {
	super := testbin.Path(t, "super")
	dir := t.TempDir()

	r := runIn(t, dir, super, "--help")
	for _, name := range []string{"supervisord", "supervisorctl", "pidproxy", "echo_supervisord_conf"} {
		if !strings.Contains(r.stdout, name) {
			t.Errorf("super --help does not list %s:\n%s", name, r.stdout)
		}
	}
	if r.status != 0 {
		t.Errorf("super --help: status %d", r.status)
	}

	r = runIn(t, dir, super, "ctl", "--help")
	if r.status != 0 || !strings.HasPrefix(r.stdout, "supervisorctl -- control applications run by supervisord from the cmd line.\n") {
		t.Errorf("super ctl --help: %+v", r)
	}
	for _, args := range [][]string{{"d", "-v"}, {"supervisord", "--version"}} {
		if r = runIn(t, dir, super, args...); r.status != 0 || r.stdout != "4.2.5\n" {
			t.Errorf("super %q: %+v", args, r)
		}
	}
	if r = runIn(t, dir, super, "echo_supervisord_conf"); r.status != 0 || r.stdout != config.Sample {
		t.Errorf("super echo_supervisord_conf: status %d, output is not the sample", r.status)
	}
}

func TestBinarySupervisord(t *testing.T) {
	dir := t.TempDir()
	prog := link(t, filepath.Join(dir, "bin"), "supervisord")

	r := runIn(t, dir, prog, "-h")
	if r.status != 0 || r.stderr != "" || r.stdout != strings.ReplaceAll(usageText, "%s", prog) {
		t.Errorf("supervisord -h: %+v", r)
	}
	if r = runIn(t, dir, prog, "-v"); r.status != 0 || r.stdout != "4.2.5\n" {
		t.Errorf("supervisord -v: %+v", r)
	}
	if r = runIn(t, dir, prog, "--bogus"); r.status != 2 || r.stdout != "" ||
		r.stderr != "Error: option --bogus not recognized\nFor help, use "+prog+" -h\n" {
		t.Errorf("supervisord --bogus: %+v", r)
	}
	missing := filepath.Join(dir, "missing.conf")
	if r = runIn(t, dir, prog, "-c", missing); r.status != 2 ||
		r.stderr != "Error: could not find config file "+missing+"\nFor help, use "+prog+" -h\n" {
		t.Errorf("supervisord -c missing: %+v", r)
	}

	bad := filepath.Join(dir, "bad.conf")
	if err := os.WriteFile(bad, []byte("[supervisord]\n\n[program:cat]\ncommand=cat\nstartsecs=soon\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r = runIn(t, dir, prog, "-c", bad)
	if r.status != 2 || !strings.HasPrefix(r.stderr, "Error: ") || !strings.Contains(r.stderr, "'soon'") ||
		!strings.Contains(r.stderr, "startsecs") || !strings.Contains(r.stderr, "'program:cat'") ||
		!strings.HasSuffix(r.stderr, "For help, use "+prog+" -h\n") {
		t.Errorf("supervisord -c bad.conf: %+v", r)
	}
}

// Without -c, the config is looked for next to the installation first
// (<prefix>/etc/supervisord.conf for <prefix>/bin/supervisord), then in the
// working directory. The files found here are broken on purpose: the error
// names the file, which shows which one was picked, and nothing starts.
func TestBinaryConfigSearch(t *testing.T) {
	root := t.TempDir()
	prog := link(t, filepath.Join(root, "prefix", "bin"), "supervisord")
	work := filepath.Join(root, "work")
	broken := func(path string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte("[supervisord]\nminfds=broken\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	broken(filepath.Join(work, "supervisord.conf"))

	r := runIn(t, work, prog)
	if r.status != 2 || !strings.Contains(r.stderr, "'broken'") || !strings.Contains(r.stderr, "(file: 'supervisord.conf'") {
		t.Errorf("search from the working directory: %+v", r)
	}

	prefixConf := filepath.Join(root, "prefix", "etc", "supervisord.conf")
	broken(prefixConf)
	r = runIn(t, work, prog)
	if r.status != 2 || !strings.Contains(r.stderr, "(file: '"+prefixConf+"'") {
		t.Errorf("search next to the installation: %+v", r)
	}
}

func TestBinaryNoConfigFound(t *testing.T) {
	for _, p := range []string{"/etc/supervisord.conf", "/etc/supervisor/supervisord.conf"} {
		if _, err := os.Stat(p); err == nil {
			t.Skipf("%s exists on this machine: cannot test the not-found message", p)
		}
	}
	root := t.TempDir()
	prog := link(t, filepath.Join(root, "prefix", "bin"), "supervisord")
	r := runIn(t, root, prog)
	want := "Error: " + config.NotFoundMessage(config.SearchPaths(prog)) + "\nFor help, use " + prog + " -h\n"
	if r.status != 2 || !strings.HasSuffix(r.stderr, want) {
		t.Errorf("got %+v, want stderr ending %q", r, want)
	}
}
