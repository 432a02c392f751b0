package supervisord

import (
	"encoding/json"
	"io"

	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"super/core/config"
	"super/core/testbin"
	"testing"
)

func run(args ...string) (status int, stdout, stderr string) {
	var out, errb bytes.Buffer
	status = Main("supervisord", args, nil, &out, &errb)
	return status, out.String(), errb.String()
}

// Messages are 4.2's, as `supervisord <args>` prints them after "Error: ".
func TestUsageErrors(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "missing.conf")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-x"}, "option -x not recognized"},
		{[]string{"--foo"}, "option --foo not recognized"},
		{[]string{"-c"}, "option -c requires argument"},
		{[]string{"--config"}, "option --configuration requires argument"},
		{[]string{"--c=x"}, "option --c not a unique prefix"},
		{[]string{"--nodaemon=1"}, "option --nodaemon must not have an argument"},
		{[]string{"-a", "x"}, "invalid value for -a 'x': invalid literal for int() with base 10: 'x'"},
		{[]string{"--minfds", "x"}, "invalid value for --minfds 'x': invalid literal for int() with base 10: 'x'"},
		{[]string{"-m", "9"}, "invalid value for -m '9': 9 can not be converted to an octal type"},
		{[]string{"-e", "foo"}, "invalid value for -e 'foo': bad logging level name 'foo'"},
		{[]string{"--loglevel=foo"}, "invalid value for --loglevel 'foo': bad logging level name 'foo'"},
		{[]string{"-d", "/nonexist"}, "invalid value for -d '/nonexist': /nonexist is not an existing directory"},
		{[]string{"-l", "/nonexist/x"}, "invalid value for -l '/nonexist/x': The directory named as part of the path /nonexist/x does not exist"},
		{[]string{"-y", "10xb"}, "invalid value for -y '10xb': invalid literal for int() with base 10: '10xb'"},
		{[]string{"--minprocs=abc"}, "invalid value for --minprocs 'abc': invalid literal for int() with base 10: 'abc'"},
		{[]string{"-n", "-n"}, "conflicting command line option '-n'"},
		{[]string{"-n", "--nodaemon"}, "conflicting command line option '--nodaemon'"},
		{[]string{"-c", "a", "-c", "b"}, "conflicting command line option '-c'"},
		{[]string{"foo"}, "positional arguments are not supported: ['foo']"},
		{[]string{"-n", "foo", "bar"}, "positional arguments are not supported: ['foo', 'bar']"},
		{[]string{"-h", "foo"}, "positional arguments are not supported: ['foo']"},
		{[]string{"-c", missing}, "could not find config file " + missing},
		{[]string{"-c", ""}, "could not find config file "},
	} {
		status, stdout, stderr := run(c.args...)
		want := "Error: " + c.want + "\nFor help, use supervisord -h\n"
		if status != 2 || stderr != want || stdout != "" {
			t.Errorf("supervisord %q: status %d, stdout %q, stderr %q; want 2 and %q", c.args, status, stdout, stderr, want)
		}
	}
}

func TestHelpAndVersion(t *testing.T) {
	for _, args := range [][]string{{"-h"}, {"--help"}, {"-?"}, {"--he"}, {"-nh"}, {"-h", "-a", "x"}} {
		status, stdout, stderr := run(args...)
		if status != 0 || stderr != "" || !strings.HasPrefix(stdout, "supervisord -- run a set of applications as daemons.\n\nUsage: supervisord [options]\n") {
			t.Errorf("supervisord %q: status %d, stdout %q, stderr %q", args, status, stdout, stderr)
		}
	}
	for _, args := range [][]string{{"-v"}, {"--version"}, {"--vers"}, {"-v", "-a", "x"}} {
		status, stdout, stderr := run(args...)
		if status != 0 || stdout != "4.2.5\n" || stderr != "" {
			t.Errorf("supervisord %q: status %d, stdout %q, stderr %q", args, status, stdout, stderr)
		}
	}
	// Options act in order once getopt has accepted them all: a bad value
	// before -h is reported, an unknown option anywhere wins.
	if status, _, _ := run("-h", "-x"); status != 2 {
		t.Errorf("-h -x: status %d, want 2", status)
	}
	if status, _, stderr := run("-a", "x", "-h"); status != 2 || !strings.Contains(stderr, "invalid value for -a") {
		t.Errorf("-a x -h: status %d, stderr %q", status, stderr)
	}
}

func TestParseCollectsOverrides(t *testing.T) {
	dir := t.TempDir()
	o, err := Parse("supervisord", []string{"-nsktc", "f.conf", "-uroot", "--umask=077", "-d", dir,
		"-l", "x.log", "-y", "1MB", "-z", "3", "-e", "debug", "-j", "p.pid", "-i", "me", "-q", dir,
		"-a", "10", "--minp", "20", "--profile_options", "cumulative"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ov := o.Overrides
	if o.ConfigFile != "f.conf" || !o.HasConfigFile || !ov.Nodaemon || !ov.Silent || !ov.Nocleanup || !ov.StripANSI ||
		*ov.User != "root" || *ov.Umask != 0o77 || *ov.Directory != dir || *ov.Logfile != "x.log" ||
		*ov.LogfileMaxbytes != 1<<20 || *ov.LogfileBackups != 3 || *ov.Loglevel != 10 || *ov.Pidfile != "p.pid" ||
		*ov.Identifier != "me" || *ov.Childlogdir != dir || *ov.Minfds != 10 || *ov.Minprocs != 20 ||
		!o.Profile || o.ProfileOptions != "cumulative" {
		t.Errorf("parsed %+v / %+v", o, ov)
	}
}

// A config with a bad value: exit 2, and the error names the section and
// the key.
func TestBadConfigValue(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "bad.conf")
	conf := "[supervisord]\nlogfile=%(here)s/s.log\npidfile=%(here)s/s.pid\n\n[program:cat]\ncommand=cat\nstartsecs=x\n"
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	status, _, stderr := run("-c", path)
	if status != 2 || !strings.HasPrefix(stderr, "Error: ") || !strings.Contains(stderr, "'program:cat'") ||
		!strings.Contains(stderr, "startsecs") || !strings.HasSuffix(stderr, "\nFor help, use supervisord -h\n") {
		t.Errorf("status %d, stderr %q", status, stderr)
	}
}

// A command-line value is checked against the system after the file is
// read, as in 4.2.
func TestUnknownUser(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "ok.conf")
	if err := os.WriteFile(path, []byte("[supervisord]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	status, _, stderr := run("-c", path, "-u", "no-such-user-here")
	if want := "Error: Invalid user name no-such-user-here\nFor help, use supervisord -h\n"; status != 2 || stderr != want {
		t.Errorf("status %d, stderr %q", status, stderr)
	}
}

// The command-line values reach the daemon on top of the file, and so
// does every reload.
func TestDaemonGetsOverrides(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "s.conf")
	if err := os.WriteFile(path, []byte("[supervisord]\nidentifier=fromfile\nloglevel=warn\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	saved := runDaemon
	defer func() { runDaemon = saved }()
	called := false
	runDaemon = func(_ string, cfg *config.Config, reload func() (*config.Config, error), stdout, stderr io.Writer) int {
		called = true
		if cfg.Supervisord.Identifier != "fromcli" || cfg.Supervisord.Loglevel != config.LevelWarn || !cfg.Supervisord.Nodaemon {
			t.Errorf("daemon got %+v", cfg.Supervisord)
		}
		if err := os.WriteFile(path, []byte("[supervisord]\nidentifier=fromfile\nloglevel=error\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		again, err := reload()
		if err != nil {
			t.Fatal(err)
		}
		if again.Supervisord.Identifier != "fromcli" || again.Supervisord.Loglevel != config.LevelError {
			t.Errorf("reload got %+v", again.Supervisord)
		}
		return 0
	}
	if status, _, stderr := run("-c", path, "-n", "-i", "fromcli"); status != 0 || !called {
		t.Errorf("status %d, called %v, stderr %q", status, called, stderr)
	}
}

// oracleScript runs 4.2's own option processing for each argument list
// in one Python process, capturing what supervisord would print and its
// exit status (starting Python once per case would be far slower).
const oracleScript = `
import io, json, sys
from supervisor import supervisord
from supervisor.options import ServerOptions
class Exit(Exception):
    pass
def exit(code=0):
    raise Exit(code)
results = []
for args in json.load(sys.stdin):
    o = ServerOptions()
    o.stdout, o.stderr, o.exit = io.StringIO(), io.StringIO(), exit
    try:
        o.realize(args, doc=supervisord.__doc__, progname=sys.argv[1])
        status = 0
    except Exit as e:
        status = e.args[0]
    results.append([status, o.stdout.getvalue(), o.stderr.getvalue()])
json.dump(results, sys.stdout)
`

// Same command lines, same output and status as Supervisor 4.2. Every
// case names a missing config file, so nothing ever starts a daemon.
func TestCommandLineMatchesOracle(t *testing.T) {
	testbin.NeedOracle(t)
	const prog = "/usr/bin/supervisord"
	missing := filepath.Join(t.TempDir(), "missing.conf")
	var cases [][]string
	for _, args := range [][]string{
		{"-h"}, {"--help"}, {"-v"}, {"-x"}, {"--c"}, {"-m", "8"}, {"-m", "0o7"}, {"-a", " 5 ", "-a", "6"},
		{"-e", "CRITICAL"}, {"-e", "warning"}, {"-y", "1gb"}, {"-y", "1.5MB"}, {"-z", "-1"}, {"--strip", "x"},
		{"-d", "~"}, {"-q", "/nonexist"}, {"-j", "/nonexist/p"}, {"--profile_options"}, {"-k", "-k"},
		{"--silent", "-s"}, {"-t", "--strip_ansi"}, {"--", "x"}, {"-"}, {"-c"}, {"--minprocs=1_000"},
		{"-u", "root", "-u", "x"}, {"-i", "a b", "-l", "rel.log"}, {"--logfile_b=2", "--logfile_m=1KB"},
		{"-?"}, {"-e", "blather", "-e", "x"}, {"-hv"}, {"-vh"}, {"-m", "-1"}, {"-a", "1e3"},
	} {
		cases = append(cases, append([]string{"-c", missing}, args...))
	}
	input, _ := json.Marshal(cases)
	cmd := exec.Command(testbin.Python, "-c", oracleScript, prog)
	cmd.Stdin = bytes.NewReader(input)
	cmd.Dir = t.TempDir()
	var pyErr bytes.Buffer
	cmd.Stderr = &pyErr
	raw, err := cmd.Output()
	if err != nil {
		t.Fatalf("running 4.2's option parser: %v\n%s", err, pyErr.String())
	}
	var want [][3]any
	if err := json.Unmarshal(raw, &want); err != nil || len(want) != len(cases) {
		t.Fatalf("oracle answer %q: %v", raw, err)
	}
	for i, args := range cases {
		var out, errb bytes.Buffer
		status := Main(prog, args, nil, &out, &errb)
		got := [3]any{float64(status), out.String(), errb.String()}
		if got != want[i] {
			t.Errorf("supervisord %q:\n got %q\nwant %q", args, got, want[i])
		}
	}
}
