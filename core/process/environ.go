package process

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sort"
	"strconv"
	"strings"

	"super/core/config"
	"super/core/envfile"
)

// Environ builds the child's environment. As 4.2 does: supervisord's
// environment, SUPERVISOR_ENABLED, SUPERVISOR_SERVER_URL,
// SUPERVISOR_PROCESS_NAME, SUPERVISOR_GROUP_NAME, then the [supervisord]
// and the process's environment over it; a variable set again keeps its
// first place. super's own layers (issue 22, config/environ.go) slot in:
// the login variables (login_env) over supervisord's environment, the
// [supervisord] environment files under [supervisord] environment=, the
// section's files under its environment=. The files are read now, at
// every spawn; an error in one (a malformed line, a missing file not
// marked optional) fails the spawn with its text.
//
// The daemon's own part is built once per Launcher and its "k=v" strings
// are shared by every child's slice, which is built at each spawn and not
// kept: hundreds of idle programs would otherwise each hold a private copy
// of the whole environment.
func (l *Launcher) Environ(cfg *config.ProcessConfig) ([]string, error) {
	env, _, err := l.environ(cfg)
	return env, err
}

// environ is Environ and the directories the command is looked up in:
// the resulting PATH when an environment file set PATH, else nil
// (SearchPath's 4.2 rule applies).
func (l *Launcher) environ(cfg *config.ProcessConfig) (env []string, search []string, err error) {
	b := l.baseEnv()
	out := make([]string, len(b.env), len(b.env)+4+len(l.DaemonEnv)+len(cfg.Environment))
	copy(out, b.env)
	var added map[string]int
	set := func(k, v string) {
		i, ok := b.index[k]
		if !ok {
			i, ok = added[k]
		}
		if ok {
			out[i] = k + "=" + v
			return
		}
		if added == nil {
			added = map[string]int{}
		}
		added[k] = len(out)
		out = append(out, k+"="+v)
	}
	setSorted := func(m map[string]string, skip map[string]string) {
		keys := make([]string, 0, len(m))
		for k := range m {
			if _, ok := skip[k]; !ok {
				keys = append(keys, k)
			}
		}
		sort.Strings(keys)
		for _, k := range keys {
			set(k, m[k])
		}
	}
	pathFromFile := false
	setFiles := func(supervisord bool) error {
		for _, f := range cfg.EnvironmentFiles {
			if f.Supervisord != supervisord {
				continue
			}
			vars, err := readEnvFile(f)
			if err != nil {
				return err
			}
			for _, v := range vars {
				set(v.Key, v.Value)
				pathFromFile = pathFromFile || v.Key == "PATH"
			}
		}
		return nil
	}

	url := cfg.ServerURL
	if url == "" || strings.EqualFold(strings.TrimSpace(url), "AUTO") {
		url = l.ServerURL
	}
	if url != "" {
		set("SUPERVISOR_SERVER_URL", url)
	}
	set("SUPERVISOR_PROCESS_NAME", cfg.Name)
	set("SUPERVISOR_GROUP_NAME", cfg.Group)
	if cfg.LoginEnv {
		vars, err := loginVars(cfg)
		if err != nil {
			return nil, nil, err
		}
		for _, v := range vars {
			set(v.Key, v.Value)
		}
	}
	if err := setFiles(true); err != nil {
		return nil, nil, err
	}
	for _, k := range b.daemonKeys {
		set(k, l.DaemonEnv[k])
	}
	ownFiles := false
	for _, f := range cfg.EnvironmentFiles {
		ownFiles = ownFiles || !f.Supervisord
	}
	if ownFiles {
		// Environment is [supervisord]'s and the section's together:
		// [supervisord]'s part goes under the section's files, its own
		// over them.
		setSorted(cfg.Environment, cfg.OwnEnvironment)
		if err := setFiles(false); err != nil {
			return nil, nil, err
		}
		setSorted(cfg.OwnEnvironment, nil)
	} else {
		setSorted(cfg.Environment, nil)
	}
	if cfg.Notify || cfg.WatchdogSecs > 0 {
		if err := l.notifyVars(cfg, set); err != nil {
			return nil, nil, err
		}
	}
	if pathFromFile {
		i, ok := added["PATH"]
		if !ok {
			i = b.index["PATH"]
		}
		search = strings.Split(strings.TrimPrefix(out[i], "PATH="), ":")
	}
	return out, search, nil
}

// readEnvFile reads one environment file; an optional one that does not
// exist sets nothing.
func readEnvFile(f config.EnvFile) ([]envfile.Var, error) {
	vars, err := envfile.Read(f.Path)
	if err != nil && f.Optional && errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	return vars, err
}

// launcherEnv is the part of every child's environment that comes from
// supervisord itself.
type launcherEnv struct {
	env        []string       // "k=v": supervisord's environment and SUPERVISOR_ENABLED
	index      map[string]int // key → position in env
	daemonKeys []string       // DaemonEnv's keys, sorted
}

func (l *Launcher) baseEnv() *launcherEnv {
	l.envOnce.Do(func() {
		b := &launcherEnv{index: map[string]int{}}
		set := func(k, kv string) {
			if i, ok := b.index[k]; ok {
				b.env[i] = kv
				return
			}
			b.index[k] = len(b.env)
			b.env = append(b.env, kv)
		}
		for _, kv := range os.Environ() {
			if k, _, ok := strings.Cut(kv, "="); ok {
				set(k, kv)
			}
		}
		set("SUPERVISOR_ENABLED", "SUPERVISOR_ENABLED=1")
		for k := range l.DaemonEnv {
			b.daemonKeys = append(b.daemonKeys, k)
		}
		sort.Strings(b.daemonKeys)
		l.env = b
	})
	return l.env
}

// Resolve is ResolveCommand with the PATH the spawn would use, environment
// files included. A file that cannot be read is left to the spawn to
// report; the command is then looked up as without it.
//
// Only an environment file can set the PATH the spawn uses apart from
// SearchPath's; without one, the environment is not built here (start
// and startAll check every command before its spawn builds it again:
// at 5,000 programs the check cost as much as the spawn's own
// preparation).
func (l *Launcher) Resolve(cfg *config.ProcessConfig) (string, []string, error) {
	var search []string
	if len(cfg.EnvironmentFiles) > 0 {
		_, search, _ = l.environ(cfg)
	}
	if search == nil {
		search = SearchPath(cfg, l.DaemonEnv)
	}
	return resolveIn(cfg, search)
}

// passwdFile is the user database login_env reads (a variable for tests).
var passwdFile = "/etc/passwd"

// loginVars are the variables login(1) sets for the user a process runs
// as (user=, else the daemon's own): HOME, USER, LOGNAME and SHELL, from
// the passwd entry, read at each spawn as the environment files are.
func loginVars(cfg *config.ProcessConfig) ([]envfile.Var, error) {
	uid, name := os.Getuid(), ""
	if cfg.User != "" {
		uid = cfg.UID
		if _, err := strconv.Atoi(cfg.User); err != nil {
			name = cfg.User
		}
	}
	e, err := lookupPasswd(passwdFile, name, uid)
	if err != nil {
		who := strconv.Itoa(uid)
		if name != "" {
			who = name
		}
		return nil, fmt.Errorf("login_env: no passwd entry for user %s in %s", who, passwdFile)
	}
	home, shell := e.home, e.shell
	if home == "" {
		home = "/"
	}
	if shell == "" {
		shell = "/bin/sh"
	}
	return []envfile.Var{{Key: "HOME", Value: home}, {Key: "USER", Value: e.name},
		{Key: "LOGNAME", Value: e.name}, {Key: "SHELL", Value: shell}}, nil
}

type passwdEntry struct{ name, home, shell string }

// lookupPasswd finds a user in a passwd(5) file: by name when name is
// set, else by uid (the first entry, as getpwuid does). os/user leaves
// out the shell.
func lookupPasswd(file, name string, uid int) (passwdEntry, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return passwdEntry{}, err
	}
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Split(line, ":")
		if len(f) != 7 || strings.HasPrefix(line, "#") {
			continue
		}
		if name != "" && f[0] != name {
			continue
		}
		if name == "" && f[2] != strconv.Itoa(uid) {
			continue
		}
		return passwdEntry{name: f[0], home: f[5], shell: f[6]}, nil
	}
	return passwdEntry{}, fs.ErrNotExist
}
