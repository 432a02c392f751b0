package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"super/core/testbin"
	"super/core/xmlrpc"
)

// Environment files (environment_file) and login_env on the real daemon:
// every layer of a child's environment in its place, the quoting of the
// files, a file read again at each start, and malformed or missing files
// reported at load and at spawn with the file and line.

// dumpEnv is the "dumpenv FILE" helper: it writes its environment to FILE
// as a JSON object (whole, through a rename) and stays until TERM.
func dumpEnv(args []string) int {
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	env := map[string]string{}
	for _, kv := range os.Environ() {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	b, _ := json.Marshal(env)
	if err := os.WriteFile(args[0]+".tmp", b, 0o644); err != nil {
		return 3
	}
	if err := os.Rename(args[0]+".tmp", args[0]); err != nil {
		return 3
	}
	<-sigs
	return 0
}

// readEnvDump waits for a dumpenv helper's file and returns it.
func readEnvDump(t *testing.T, path string) map[string]string {
	t.Helper()
	var env map[string]string
	waitFor(t, 10*time.Second, "the environment dump "+path, func() bool {
		b, err := os.ReadFile(path)
		return err == nil && json.Unmarshal(b, &env) == nil
	})
	return env
}

func writeText(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// withSupervisord adds keys to BaseConf's [supervisord] section.
func withSupervisord(dir, keys string) string {
	return strings.Replace(testbin.BaseConf(dir), "[supervisord]\n", "[supervisord]\n"+keys+"\n", 1)
}

func TestEnvironmentFilePrecedenceAndQuoting(t *testing.T) {
	dir := t.TempDir()
	// Each V_x is set by every layer up to the one that must win; the
	// daemon's own environment is the lowest.
	for _, k := range []string{"V_DAEMON", "V_SUPFILE", "V_SUPENV", "V_OWNFILE", "V_OWNENV"} {
		t.Setenv(k, "daemon")
	}
	writeText(t, filepath.Join(dir, "sup.env"), `# the [supervisord] file
V_SUPFILE=supfile
V_SUPENV=supfile
V_OWNFILE=supfile
V_OWNENV=supfile

export Q_EXPORT=exported
Q_SINGLE='single $HOME "x" \n'
Q_DOUBLE="a \"b\" \\ \$HOME	tab\tT"
Q_MULTI="line1
line2"
Q_COMMENT=value with spaces   # a comment
Q_HASH=a#b
Q_EMPTY=
`)
	writeText(t, filepath.Join(dir, "app.env"), "V_OWNFILE=ownfile\nV_OWNENV=ownfile\n")
	conf := withSupervisord(dir, `environment_file=%(here)s/sup.env
environment=V_SUPENV="supenv",V_OWNFILE="supenv",V_OWNENV="supenv"`) + fmt.Sprintf(`
[program:app]
command=%s
startsecs=0
autorestart=false
environment_file=%%(here)s/app.env, -%%(here)s/missing.env
environment=V_OWNENV="ownenv"
`, helperCmd(t, "dumpenv", filepath.Join(dir, "env.json")))
	d := testbin.StartConf(t, false, dir, conf)
	env := readEnvDump(t, filepath.Join(dir, "env.json"))
	want := map[string]string{
		"V_DAEMON": "daemon", "V_SUPFILE": "supfile", "V_SUPENV": "supenv", "V_OWNFILE": "ownfile", "V_OWNENV": "ownenv",
		"Q_EXPORT": "exported", "Q_SINGLE": `single $HOME "x" \n`, "Q_DOUBLE": "a \"b\" \\ $HOME\ttab\tT",
		"Q_MULTI": "line1\nline2", "Q_COMMENT": "value with spaces", "Q_HASH": "a#b", "Q_EMPTY": "",
		"SUPERVISOR_PROCESS_NAME": "app", "SUPERVISOR_ENABLED": "1",
	}
	for k, v := range want {
		if got, ok := env[k]; !ok || got != v {
			t.Errorf("%s = %q (set: %v), want %q", k, got, ok, v)
		}
	}

	// The files are read at each start: a restart sees the new value.
	writeText(t, filepath.Join(dir, "app.env"), "V_OWNFILE='changed'\n")
	os.Remove(filepath.Join(dir, "env.json"))
	d.Call(t, "supervisor.stopProcess", "app")
	d.Call(t, "supervisor.startProcess", "app")
	env = readEnvDump(t, filepath.Join(dir, "env.json"))
	if env["V_OWNFILE"] != "changed" || env["V_OWNENV"] != "ownenv" {
		t.Errorf("after the change: V_OWNFILE=%q V_OWNENV=%q, want changed, ownenv", env["V_OWNFILE"], env["V_OWNENV"])
	}
}

// A malformed line is a config error at start (supervisord exits 2,
// naming the environment file and line, and the config file, section,
// key and line) and at reread (CANT_REREAD); a file that goes bad after
// the load makes the spawn fail with that text (BACKOFF, then FATAL); a
// required file that is missing fails the spawn until it appears.
func TestEnvironmentFileErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.env")
	writeText(t, bad, "GOOD=1\nBROKEN=\"no end\n")
	program := fmt.Sprintf("\n[program:app]\ncommand=%s\nstartsecs=0\nstartretries=0\nenvironment_file=%s\n",
		helperCmd(t, "dumpenv", filepath.Join(dir, "env.json")), bad)
	conf := filepath.Join(dir, "supervisord.conf")
	writeText(t, conf, testbin.BaseConf(dir)+program)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, testbin.Path(t, "supervisord"), "-n", "-c", conf).CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 2 {
		t.Fatalf("supervisord with a malformed environment file: %v, want exit status 2\n%s", err, out)
	}
	line := strings.Count(testbin.BaseConf(dir), "\n") + 6 // environment_file= in program
	wantMsg := fmt.Sprintf("Error: environment file %s, line 2: unterminated double-quoted value (no closing \" before the end of the file)"+
		" for environment_file in section 'program:app' (file: '%s', line %d)", bad, conf, line)
	if !strings.HasPrefix(string(out), wantMsg) {
		t.Fatalf("supervisord said:\n%s\nwant it to start with\n%s", out, wantMsg)
	}

	// Now a good file: the daemon starts; a later reread sees it broken.
	writeText(t, bad, "GOOD=1\n")
	late := filepath.Join(dir, "late.env")
	d := testbin.StartConf(t, false, dir, testbin.BaseConf(dir)+program+fmt.Sprintf(
		"\n[program:late]\ncommand=%s\nstartsecs=0\nstartretries=0\nenvironment_file=%s\n",
		helperCmd(t, "dumpenv", filepath.Join(dir, "late.json")), late))
	d.WaitState(t, "app", "RUNNING", 10*time.Second)
	writeText(t, bad, "GOOD=1\n\n1BAD=x\n")
	_, err = d.Client(t).Call(context.Background(), "supervisor.reloadConfig")
	var f *xmlrpc.Fault
	wantReread := fmt.Sprintf(`environment file %s, line 3: invalid variable name "1BAD"`, bad)
	if !errors.As(err, &f) || f.Code != xmlrpc.FaultCantReread || !strings.Contains(f.String, wantReread) || !strings.Contains(f.String, "'program:app'") {
		t.Errorf("reloadConfig with a broken file: %v, want CANT_REREAD naming %q and the section", err, wantReread)
	}

	// At spawn: the start fails with the file's error.
	d.Call(t, "supervisor.stopProcess", "app")
	_, err = d.Client(t).Call(context.Background(), "supervisor.startProcess", "app")
	if !errors.As(err, &f) || f.Code != xmlrpc.FaultSpawnError {
		t.Errorf("startProcess with a broken file: %v, want SPAWN_ERROR", err)
	}
	d.WaitState(t, "app", "FATAL", 10*time.Second)
	info, _ := d.Call(t, "supervisor.getProcessInfo", "app").(map[string]any)
	if desc, _ := info["description"].(string); desc != wantReread+": a name is letters, digits and _, not starting with a digit" {
		t.Errorf("FATAL description %q, want the file's error", desc)
	}
	waitLog(t, d, `^spawnerr: `+regexp.QuoteMeta(wantReread), 1, 5*time.Second)

	// A required file that does not exist: a warning at load, FATAL at
	// spawn, and a start once it exists runs with it.
	waitLog(t, d, `^For \[program:late\], environment file `+regexp.QuoteMeta(late)+`: cannot read it: no such file or directory`, 1, 5*time.Second)
	d.WaitState(t, "late", "FATAL", 10*time.Second)
	info, _ = d.Call(t, "supervisor.getProcessInfo", "late").(map[string]any)
	if desc, _ := info["description"].(string); desc != "environment file "+late+": cannot read it: no such file or directory" {
		t.Errorf("late: FATAL description %q", desc)
	}
	writeText(t, late, "LATE=here\n")
	d.Call(t, "supervisor.startProcess", "late")
	if env := readEnvDump(t, filepath.Join(dir, "late.json")); env["LATE"] != "here" {
		t.Errorf("late: LATE=%q", env["LATE"])
	}
}

// login_env with user=: HOME, USER, LOGNAME and SHELL of the passwd
// entry, under what environment= sets. Needs root to switch users (CI runs
// as root).
func TestLoginEnv(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("login_env with user= needs root to switch users (CI runs as root)")
	}
	home, shell := passwdOf(t, "nobody")
	dir := t.TempDir()
	conf := testbin.BaseConf(dir) + fmt.Sprintf(`
[program:login]
command=/bin/sh -c 'echo "HOME=$HOME USER=$USER LOGNAME=$LOGNAME SHELL=$SHELL"; exec sleep 300'
user=nobody
login_env=true
environment=SHELL="/bin/custom"
startsecs=0
stdout_logfile=%[1]s/login.out
[program:plain]
command=/bin/sh -c 'echo "HOME=$HOME USER=$USER"; exec sleep 300'
user=nobody
startsecs=0
stdout_logfile=%[1]s/plain.out
`, dir)
	t.Setenv("HOME", "/root")
	t.Setenv("USER", "root")
	d := testbin.StartConf(t, false, dir, conf)
	d.WaitState(t, "login", "RUNNING", 10*time.Second)
	want := fmt.Sprintf("HOME=%s USER=nobody LOGNAME=nobody SHELL=/bin/custom", home)
	waitFor(t, 10*time.Second, "login's output", func() bool { return len(lines(filepath.Join(dir, "login.out"))) > 0 })
	if got := lines(filepath.Join(dir, "login.out")); got[0] != want {
		t.Errorf("login_env=true: %q, want %q (passwd shell %s)", got[0], want, shell)
	}
	// Without login_env, 4.2's behaviour: the daemon's own HOME and USER.
	waitFor(t, 10*time.Second, "plain's output", func() bool { return len(lines(filepath.Join(dir, "plain.out"))) > 0 })
	if got := lines(filepath.Join(dir, "plain.out")); got[0] != "HOME=/root USER=root" {
		t.Errorf("without login_env: %q, want the daemon's HOME=/root USER=root", got[0])
	}
}

// passwdOf reads a user's home and shell from /etc/passwd.
func passwdOf(t *testing.T, name string) (home, shell string) {
	t.Helper()
	b, err := os.ReadFile("/etc/passwd")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Split(l, ":"); len(f) == 7 && f[0] == name {
			return f[5], f[6]
		}
	}
	t.Fatalf("no %s in /etc/passwd", name)
	return "", ""
}

// An exec health check runs with the program's environment as of its
// latest spawn: after the environment file changes and the program is
// restarted, the check sees the new value.
func TestHealthCheckSeesEnvironmentFile(t *testing.T) {
	dir := t.TempDir()
	envFile := filepath.Join(dir, "app.env")
	writeText(t, envFile, "MODE=ok\n")
	conf := testbin.BaseConf(dir) + fmt.Sprintf(`
[program:app]
command=/bin/sh -c 'exec sleep 300'
startsecs=0
environment_file=%s
healthcheck=/bin/sh -c 'test "$MODE" = ok'
healthcheck_interval=0.1
healthcheck_retries=1
healthcheck_action=none
`, envFile)
	d := testbin.StartConf(t, false, dir, conf)
	health := func() string {
		h, _ := d.Call(t, "super.getProcessHealth", "app").(map[string]any)
		s, _ := h["health"].(string)
		return s
	}
	waitFor(t, 10*time.Second, "app healthy with MODE=ok", func() bool { return health() == "healthy" })
	writeText(t, envFile, "MODE=changed\n")
	d.Call(t, "supervisor.stopProcess", "app")
	d.Call(t, "supervisor.startProcess", "app")
	waitFor(t, 10*time.Second, "app unhealthy with MODE=changed", func() bool { return health() == "unhealthy" })
}
