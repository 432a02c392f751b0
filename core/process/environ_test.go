package process

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"super/core/config"
)

// Environ: supervisord's environment first, then SUPERVISOR_*, then the
// [supervisord] and the program's environment; a variable set again keeps
// its first place and takes the last value. One child's variables never
// leak into another's.
func TestEnviron(t *testing.T) {
	t.Setenv("SUPER_ENV_T_A", "from-daemon-env")
	l := &Launcher{
		DaemonEnv: map[string]string{"SUPER_ENV_T_A": "from-supervisord", "SUPER_ENV_T_B": "b1"},
		ServerURL: "unix:///tmp/s.sock",
	}
	one := &config.ProcessConfig{Name: "one", Group: "g", Environment: map[string]string{
		"SUPER_ENV_T_B": "b2", "SUPER_ENV_T_C": "c", "SUPERVISOR_PROCESS_NAME": "renamed",
		"SUPER_ENV_T_A": "one-only"}}
	two := &config.ProcessConfig{Name: "two", Group: "g", ServerURL: "http://127.0.0.1:9001"}

	env1 := environ(t, l, one)
	env2 := environ(t, l, two)
	env1again := environ(t, l, one)
	if !slices.Equal(env1, env1again) {
		t.Errorf("Environ is not stable across spawns:\n%v\n%v", env1, env1again)
	}

	pos := func(env []string, k string) (int, string) {
		for i, kv := range env {
			if key, v, _ := strings.Cut(kv, "="); key == k {
				return i, v
			}
		}
		return -1, ""
	}
	want := func(env []string, k, v string) int {
		t.Helper()
		i, got := pos(env, k)
		if i < 0 || got != v {
			t.Errorf("%s = %q (at %d), want %q", k, got, i, v)
		}
		return i
	}
	a := want(env1, "SUPER_ENV_T_A", "one-only")
	en := want(env1, "SUPERVISOR_ENABLED", "1")
	url := want(env1, "SUPERVISOR_SERVER_URL", "unix:///tmp/s.sock")
	name := want(env1, "SUPERVISOR_PROCESS_NAME", "renamed")
	grp := want(env1, "SUPERVISOR_GROUP_NAME", "g")
	b := want(env1, "SUPER_ENV_T_B", "b2")
	c := want(env1, "SUPER_ENV_T_C", "c")
	if !(a < en && en < url && url < name && name < grp && grp < b && b < c) {
		t.Errorf("order: A %d ENABLED %d URL %d NAME %d GROUP %d B %d C %d", a, en, url, name, grp, b, c)
	}

	want(env2, "SUPER_ENV_T_A", "from-supervisord")
	want(env2, "SUPERVISOR_SERVER_URL", "http://127.0.0.1:9001")
	want(env2, "SUPERVISOR_PROCESS_NAME", "two")
	want(env2, "SUPER_ENV_T_B", "b1")
	if i, _ := pos(env2, "SUPER_ENV_T_C"); i >= 0 {
		t.Errorf("program one's SUPER_ENV_T_C leaked into two: %v", env2)
	}
	if len(env1) != len(env2)+1 {
		t.Errorf("len(one) = %d, len(two) = %d: want one more (SUPER_ENV_T_C)", len(env1), len(env2))
	}
}

func environ(t *testing.T, l *Launcher, cfg *config.ProcessConfig) []string {
	t.Helper()
	env, err := l.Environ(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return env
}

func lookup(env []string, k string) (string, bool) {
	for _, kv := range env {
		if key, v, _ := strings.Cut(kv, "="); key == k {
			return v, true
		}
	}
	return "", false
}

func writeFile(t *testing.T, dir, name, data string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// The layers of a child's environment, lowest first: the daemon's own,
// login_env, [supervisord] files, [supervisord] environment=, the
// section's files, the section's environment=. Each variable below is set
// by every layer up to the one that must win.
func TestEnvironLayers(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("SUPER_L1", "daemon")
	supFile := writeFile(t, dir, "sup.env", "SUPER_L1=supfile\nSUPER_L2=supfile\nSUPER_L3=supfile\nSUPER_L4=supfile\n")
	ownFile := writeFile(t, dir, "own.env", "SUPER_L1=ownfile\nSUPER_L2=ownfile\nSUPER_L3=ownfile\nSUPER_L4=ownfile\nSUPER_L5=ownfile\n")
	supEnv := map[string]string{"SUPER_L1": "supenv", "SUPER_L2": "supenv"}
	own := map[string]string{"SUPER_L1": "ownenv"}
	merged := map[string]string{"SUPER_L1": "ownenv", "SUPER_L2": "supenv"}
	l := &Launcher{DaemonEnv: supEnv}
	cfg := &config.ProcessConfig{Name: "p", Group: "p", Environment: merged, OwnEnvironment: own,
		EnvironmentFiles: []config.EnvFile{{Path: supFile, Supervisord: true}, {Path: ownFile}}}
	env := environ(t, l, cfg)
	for k, want := range map[string]string{"SUPER_L1": "ownenv", "SUPER_L2": "ownfile", "SUPER_L3": "ownfile", "SUPER_L4": "ownfile", "SUPER_L5": "ownfile"} {
		if got, _ := lookup(env, k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	// Without the section's own file, [supervisord] environment= is over
	// the [supervisord] file.
	cfg.EnvironmentFiles = cfg.EnvironmentFiles[:1]
	env = environ(t, l, cfg)
	for k, want := range map[string]string{"SUPER_L1": "ownenv", "SUPER_L2": "supenv", "SUPER_L3": "supfile"} {
		if got, _ := lookup(env, k); got != want {
			t.Errorf("[supervisord] file only: %s = %q, want %q", k, got, want)
		}
	}
	// A file is read at every spawn.
	writeFile(t, dir, "sup.env", "SUPER_L3=changed\n")
	if got, _ := lookup(environ(t, l, cfg), "SUPER_L3"); got != "changed" {
		t.Errorf("after the file changed: SUPER_L3 = %q", got)
	}
}

func TestEnvironFileErrors(t *testing.T) {
	dir := t.TempDir()
	l := &Launcher{}
	missing := filepath.Join(dir, "missing.env")
	cfg := &config.ProcessConfig{Name: "p", Group: "p", EnvironmentFiles: []config.EnvFile{{Path: missing, Optional: true}}}
	if _, err := l.Environ(cfg); err != nil {
		t.Errorf("optional missing file: %v", err)
	}
	cfg.EnvironmentFiles[0].Optional = false
	if _, err := l.Environ(cfg); err == nil || err.Error() != "environment file "+missing+": cannot read it: no such file or directory" {
		t.Errorf("required missing file: %v", err)
	}
	bad := writeFile(t, dir, "bad.env", "A=1\nB=\"open\n")
	cfg.EnvironmentFiles = []config.EnvFile{{Path: bad, Optional: true}}
	if _, err := l.Environ(cfg); err == nil || !strings.HasPrefix(err.Error(), "environment file "+bad+", line 2: unterminated double-quoted value") {
		t.Errorf("malformed file: %v", err)
	}
}

// A PATH from an environment file is where the command is looked up, as
// PATH from environment= is.
func TestResolveWithPathFromFile(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "bin")
	if err := os.Mkdir(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, bin, "only-here", "#!/bin/sh\n")
	if err := os.Chmod(filepath.Join(bin, "only-here"), 0o755); err != nil {
		t.Fatal(err)
	}
	f := writeFile(t, dir, "path.env", "PATH="+bin+":/usr/bin:/bin\n")
	l := &Launcher{}
	cfg := &config.ProcessConfig{Name: "p", Group: "p", Command: "only-here --x"}
	if _, _, err := l.Resolve(cfg); err == nil {
		t.Fatal("found only-here without the file's PATH")
	}
	cfg.EnvironmentFiles = []config.EnvFile{{Path: f}}
	if file, argv, err := l.Resolve(cfg); err != nil || file != filepath.Join(bin, "only-here") || !slices.Equal(argv, []string{"only-here", "--x"}) {
		t.Errorf("Resolve = %q %q %v", file, argv, err)
	}
}

func TestLoginVars(t *testing.T) {
	dir := t.TempDir()
	old := passwdFile
	passwdFile = writeFile(t, dir, "passwd", "# comment\nroot:x:0:0:root:/root:/bin/bash\n"+
		"app:x:1234:1234:App:/srv/app:/usr/sbin/nologin\nalias:x:1234:1234::/other:\nnohome:x:77:77:::\n")
	t.Cleanup(func() { passwdFile = old })
	for _, tt := range []struct {
		user string
		uid  int
		want string
	}{
		{"app", 1234, "HOME=/srv/app USER=app LOGNAME=app SHELL=/usr/sbin/nologin"},
		{"alias", 1234, "HOME=/other USER=alias LOGNAME=alias SHELL=/bin/sh"},
		{"1234", 1234, "HOME=/srv/app USER=app LOGNAME=app SHELL=/usr/sbin/nologin"},
		{"nohome", 77, "HOME=/ USER=nohome LOGNAME=nohome SHELL=/bin/sh"},
	} {
		vars, err := loginVars(&config.ProcessConfig{User: tt.user, UID: tt.uid})
		var got []string
		for _, v := range vars {
			got = append(got, v.Key+"="+v.Value)
		}
		if err != nil || strings.Join(got, " ") != tt.want {
			t.Errorf("user %s: %v %v, want %s", tt.user, got, err, tt.want)
		}
	}
	if _, err := loginVars(&config.ProcessConfig{User: "ghost", UID: 999}); err == nil || err.Error() != "login_env: no passwd entry for user ghost in "+passwdFile {
		t.Errorf("unknown user: %v", err)
	}
	// login_env sits under every explicit setting.
	l := &Launcher{DaemonEnv: map[string]string{"SHELL": "/bin/zsh"}}
	cfg := &config.ProcessConfig{Name: "p", Group: "p", User: "app", UID: 1234, LoginEnv: true,
		Environment: map[string]string{"HOME": "/custom", "SHELL": "/bin/zsh"}, OwnEnvironment: map[string]string{"HOME": "/custom"}}
	env := environ(t, l, cfg)
	for k, want := range map[string]string{"HOME": "/custom", "USER": "app", "LOGNAME": "app", "SHELL": "/bin/zsh"} {
		if got, _ := lookup(env, k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
}
