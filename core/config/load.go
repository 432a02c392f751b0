package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"unicode/utf8"
)

// Load reads the main config file at path, its [include]d files, and
// returns the model exactly as Supervisor 4.2's ServerOptions sees it
// (read_config, process_groups_from_parser, server_configs_from_parser and
// the path normalization of realize). Errors are *Error values.
func Load(path string) (*Config, error) {
	l, err := newLoader(path, nil)
	if err != nil {
		return nil, err
	}
	return l.loadServer()
}

// LoadClient reads what supervisorctl reads (ClientOptions.read_config):
// only the main file and only [supervisorctl] and [ctlplugin:x]; a bad
// [program:x] does not matter to it. Config.Supervisorctl and
// Config.CtlPlugins are filled, the rest is left zero.
func LoadClient(path string) (*Config, error) {
	l, err := newLoader(path, clientSection)
	if err != nil {
		return nil, err
	}
	cfg := &Config{File: l.abs, Here: l.here}
	if !l.doc.HasSection("supervisorctl") {
		return nil, &Error{File: path, Msg: ".ini file does not include supervisorctl section"}
	}
	if err := l.readClient(cfg, true); err != nil {
		return nil, err
	}
	return cfg, nil
}

type loader struct {
	file     string // as given (4.2 names the main file this way)
	abs      string
	here     string
	hostname string
	doc      *iniDoc
	// envExp is Supervisor's environ_expansions: ENV_x for the process
	// environment, later extended by [supervisord] environment=. It is the
	// parser's own expansions too, so it is shared and mutated as in 4.2.
	envExp   map[string]any
	warnings []string
	// containerLogs is [supervisord] container_logs: an unset *_logfile
	// then means NONE, not AUTO.
	containerLogs bool
	// envFilesSeen are the environment files already checked (environ.go).
	envFilesSeen map[string]bool
	// cgroups is [supervisord] cgroups: every process gets a cgroup.
	cgroups bool
}

// clientSection says which sections LoadClient needs the values of.
func clientSection(name string) bool {
	return name == "supervisorctl" || strings.HasPrefix(name, "ctlplugin:")
}

// newLoader reads path; only, when set, limits the sections whose values
// are kept (see iniDoc.only).
func newLoader(path string, only func(section string) bool) (*loader, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, &Error{Msg: fmt.Sprintf("could not find config file %s", path)}
	}
	l := &loader{file: path, abs: abs, here: filepath.Dir(abs), envExp: map[string]any{}}
	l.hostname, _ = os.Hostname()
	for _, kv := range os.Environ() {
		if k, v, ok := strings.Cut(kv, "="); ok {
			l.envExp["ENV_"+k] = v
		}
	}
	if _, err := os.Stat(path); err != nil {
		return nil, &Error{Msg: fmt.Sprintf("could not find config file %s", path)}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &Error{Msg: fmt.Sprintf("could not read config file %s", path)}
	}
	l.doc = newIniDoc()
	l.doc.only = only
	if err := l.readInto(path, data); err != nil {
		return nil, err
	}
	return l, nil
}

func (l *loader) readInto(name string, data []byte) error {
	if !utf8.Valid(data) {
		return &Error{File: name, Msg: fmt.Sprintf("could not read config file %s: not valid UTF-8", name)}
	}
	if err := l.doc.read(name, string(data)); err != nil {
		var pe *ParseError
		if errors.As(err, &pe) {
			return &Error{Msg: pe.Error()}
		}
		return &Error{File: name, Msg: err.Error()}
	}
	return nil
}

// errAt builds an *Error for a key, locating it in the files read.
func (l *loader) errAt(section, key string, msg string) *Error {
	e := &Error{Section: section, Key: key, Msg: msg}
	if p, ok := l.doc.KeyPos(section, key); ok && key != "" {
		e.File, e.Line = p.File, p.Line
	} else if l.doc.HasSection(section) {
		p := l.doc.SectionPos(section)
		e.File, e.Line = p.File, p.Line
	} else {
		e.File = l.file
	}
	return e
}

// value is UnhosedConfigParser.saneget: the key's value (own or DEFAULT's)
// or def, %-expanded with the parser's expansions plus exp.
func (l *loader) value(section, key, def string, exp map[string]any) (string, error) {
	v, ok := l.doc.Get(section, key)
	if !ok {
		v = def
	}
	if strings.IndexByte(v, '%') < 0 {
		return v, nil // most values: no expansion, so no name for its errors to build
	}
	return l.expandAs(section, key, v, exp, section+"."+key)
}

func (l *loader) expandAs(section, key, v string, exp map[string]any, name string) (string, error) {
	if strings.IndexByte(v, '%') < 0 {
		return v, nil
	}
	out, err := expandIn(v, vars{top: exp, base: l.envExp}, name)
	if err != nil {
		return "", l.errAt(section, key, err.Error())
	}
	return out, nil
}

// raw returns a key's value without expansion; ok is false when absent.
func (l *loader) raw(section, key string) (string, bool) { return l.doc.Get(section, key) }

// conv wraps a converter error with the key's position.
func (l *loader) conv(section, key string, err error) error {
	if err == nil {
		return nil
	}
	var ce *Error
	if errors.As(err, &ce) {
		return err
	}
	return l.errAt(section, key, err.Error())
}

// parsed reads key (def when absent) and converts it with parse; a
// conversion error names the section and key, as 4.2's messages do.
func parsed[T any](l *loader, section, key, def string, exp map[string]any, parse func(string) (T, error)) (T, error) {
	v, err := l.value(section, key, def, exp)
	if err != nil {
		var zero T
		return zero, err
	}
	x, err := parse(v)
	return x, l.conv(section, key, err)
}

func (l *loader) integer(section, key, def string, exp map[string]any) (int, error) {
	return parsed(l, section, key, def, exp, pyInt)
}

func (l *loader) boolean(section, key, def string, exp map[string]any) (bool, error) {
	return parsed(l, section, key, def, exp, parseBool)
}

func (l *loader) byteSize(section, key, def string, exp map[string]any) (int64, error) {
	return parsed(l, section, key, def, exp, parseByteSize)
}

func (l *loader) loadServer() (*Config, error) {
	cfg := &Config{File: l.abs, Here: l.here}
	if err := l.includes(cfg); err != nil {
		return nil, err
	}
	if !l.doc.HasSection("supervisord") {
		return nil, &Error{File: l.file, Msg: ".ini file does not include supervisord section"}
	}
	if err := l.readSupervisord(cfg); err != nil {
		return nil, err
	}
	rpcs, err := l.plugins("supervisor.rpcinterface_factory", "rpcinterface:")
	if err != nil {
		return nil, err
	}
	for _, p := range rpcs {
		cfg.RPCInterfaces = append(cfg.RPCInterfaces, RPCInterface(p))
	}
	if cfg.Groups, err = l.groups(); err != nil {
		return nil, err
	}
	for _, g := range cfg.Groups {
		for _, p := range g.Processes {
			p.Environment = mergeEnv(cfg.Supervisord.Environment, p.Environment)
			p.EnvironmentFiles = withSupervisordFiles(cfg.Supervisord.EnvironmentFiles, p.EnvironmentFiles)
		}
	}
	if err := l.checkDependencies(cfg); err != nil {
		return nil, err
	}
	if err := l.servers(cfg); err != nil {
		return nil, err
	}
	// supervisord itself never reads [supervisorctl]; fill it as
	// supervisorctl would, ignoring what supervisorctl alone would reject.
	_ = l.readClient(cfg, false)
	cfg.Warnings = l.warnings
	return cfg, nil
}

func mergeEnv(global, own map[string]string) map[string]string {
	if len(global) == 0 && len(own) == 0 {
		return nil
	}
	env := make(map[string]string, len(global)+len(own))
	for k, v := range global {
		env[k] = v
	}
	for k, v := range own {
		env[k] = v
	}
	return env
}

// includes follows [include] files= of the main file (read_config).
func (l *loader) includes(cfg *Config) error {
	if !l.doc.HasSection("include") {
		return nil
	}
	l.doc.expandHere(l.here)
	files, ok := l.raw("include", "files")
	if !ok {
		return &Error{File: l.file, Section: "include", Line: l.doc.SectionPos("include").Line,
			Msg: ".ini file has [include] section, but no files setting"}
	}
	exp := map[string]any{"here": l.here, "host_node_name": l.hostname}
	for k, v := range l.envExp {
		exp[k] = v
	}
	files, err := expand(files, exp, "include.files")
	if err != nil {
		return l.errAt("include", "files", err.Error())
	}
	for _, pattern := range strings.FieldsFunc(files, pyIsSpace) {
		if !strings.HasPrefix(pattern, "/") {
			pattern = strings.TrimSuffix(l.here, "/") + "/" + pattern
		}
		names := pyGlob(pattern)
		if len(names) == 0 {
			l.warnings = append(l.warnings, fmt.Sprintf("No file matches via include %q", pattern))
			continue
		}
		sort.Strings(names)
		for _, name := range names {
			data, err := os.ReadFile(name)
			if err != nil {
				// RawConfigParser.read skips files it cannot open.
				continue
			}
			if err := l.readInto(name, data); err != nil {
				return err
			}
			dir, _ := filepath.Abs(filepath.Dir(name))
			l.doc.expandHere(dir)
			cfg.IncludedFiles = append(cfg.IncludedFiles, name)
		}
	}
	return nil
}

// pyGlob is glob.glob for an absolute pattern: like filepath.Glob, but a
// wildcard does not match a leading dot, and a malformed pattern matches
// nothing instead of failing.
func pyGlob(pattern string) []string {
	if !strings.ContainsAny(pattern, "*?[") {
		if _, err := os.Lstat(pattern); err == nil {
			return []string{pattern}
		}
		return nil
	}
	matches, err := filepath.Glob(pattern)
	if err != nil {
		return nil
	}
	parts := strings.Split(pattern, "/")
	out := matches[:0]
	for _, m := range matches {
		mp := strings.Split(m, "/")
		hidden := false
		for i := range parts {
			if i < len(mp) && strings.HasPrefix(mp[i], ".") && !strings.HasPrefix(parts[i], ".") &&
				strings.ContainsAny(parts[i], "*?[") {
				hidden = true
			}
		}
		if !hidden {
			out = append(out, m)
		}
	}
	return out
}

// readSupervisord is the [supervisord] half of ServerOptions.read_config
// plus realize's path normalization, in 4.2's order (the first bad value
// is the one reported).
func (l *loader) readSupervisord(cfg *Config) error {
	const sec = "supervisord"
	s := &cfg.Supervisord
	exp := map[string]any{"here": l.here}
	var err error
	if s.Minfds, err = l.integer(sec, "minfds", "1024", exp); err != nil {
		return err
	}
	if s.Minprocs, err = l.integer(sec, "minprocs", "200", exp); err != nil {
		return err
	}
	if _, ok := l.raw(sec, "directory"); ok {
		v, err := l.value(sec, "directory", "", exp)
		if err != nil {
			return err
		}
		if s.Directory, err = existingDirectory(v); err != nil {
			return l.conv(sec, "directory", err)
		}
	}
	if _, ok := l.raw(sec, "user"); ok {
		if s.User, err = l.value(sec, "user", "", exp); err != nil {
			return err
		}
	}
	v, err := l.value(sec, "umask", "022", exp)
	if err != nil {
		return err
	}
	if s.Umask, err = parseOctal(v); err != nil {
		return l.conv(sec, "umask", err)
	}
	if v, err = l.value(sec, "logfile", "supervisord.log", exp); err != nil {
		return err
	}
	if s.Logfile, err = existingDirpath(v); err != nil {
		return l.conv(sec, "logfile", err)
	}
	if s.LogfileMaxbytes, err = l.byteSize(sec, "logfile_maxbytes", "50MB", exp); err != nil {
		return err
	}
	if s.LogfileBackups, err = l.integer(sec, "logfile_backups", "10", exp); err != nil {
		return err
	}
	if v, err = l.value(sec, "loglevel", "info", exp); err != nil {
		return err
	}
	if s.Loglevel, err = parseLogLevel(v); err != nil {
		return l.conv(sec, "loglevel", err)
	}
	if v, err = l.value(sec, "pidfile", "supervisord.pid", exp); err != nil {
		return err
	}
	if s.Pidfile, err = existingDirpath(v); err != nil {
		return l.conv(sec, "pidfile", err)
	}
	if s.Identifier, err = l.value(sec, "identifier", "supervisor", exp); err != nil {
		return err
	}
	if s.Nodaemon, err = l.boolean(sec, "nodaemon", "false", exp); err != nil {
		return err
	}
	if s.Silent, err = l.boolean(sec, "silent", "false", exp); err != nil {
		return err
	}
	if v, err = l.value(sec, "childlogdir", os.TempDir(), exp); err != nil {
		return err
	}
	if s.Childlogdir, err = existingDirectory(v); err != nil {
		return l.conv(sec, "childlogdir", err)
	}
	if s.Nocleanup, err = l.boolean(sec, "nocleanup", "false", exp); err != nil {
		return err
	}
	if s.StripANSI, err = l.boolean(sec, "strip_ansi", "false", exp); err != nil {
		return err
	}
	// environment is expanded twice, as 4.2 does (so %% must be doubled).
	if v, err = l.value(sec, "environment", "", exp); err != nil {
		return err
	}
	exp2 := map[string]any{"here": l.here, "host_node_name": l.hostname}
	for k, x := range l.envExp {
		exp2[k] = x
	}
	if v, err = expand(v, exp2, "environment"); err != nil {
		return l.errAt(sec, "environment", err.Error())
	}
	env, err := parseKeyValuePairs(v)
	if err != nil {
		return l.conv(sec, "environment", err)
	}
	if len(env) > 0 {
		s.Environment = env
	}
	for k, x := range env {
		l.envExp["ENV_"+k] = x
	}
	// realize(): paths become absolute, except the syslog marker.
	if s.Logfile != LogSyslog {
		s.Logfile = normalizePath(s.Logfile)
	}
	s.Pidfile = normalizePath(s.Pidfile)
	if err := l.readSupervisordExtras(s, exp); err != nil {
		return err
	}
	if err := l.readSupervisordEnviron(s, exp); err != nil {
		return err
	}
	if err := l.readSupervisordLogs(s, exp); err != nil {
		return err
	}
	l.containerLogs = s.ContainerLogs
	l.cgroups = s.Cgroups
	return nil
}

type plugin struct {
	Name    string
	Factory string
	Params  map[string]string
}

// plugins is Options.get_plugins. The factory is kept as written: super
// implements the standard interfaces itself and cannot import Python code.
func (l *loader) plugins(factoryKey, prefix string) ([]plugin, error) {
	var out []plugin
	for _, sec := range l.doc.Sections() {
		if !strings.HasPrefix(sec, prefix) {
			continue
		}
		_, name, _ := strings.Cut(sec, ":")
		if _, ok := l.raw(sec, factoryKey); !ok {
			return nil, l.errAt(sec, "", fmt.Sprintf("section [%s] does not specify a %s", sec, factoryKey))
		}
		factory, err := l.value(sec, factoryKey, "", nil)
		if err != nil {
			return nil, err
		}
		p := plugin{Name: name, Factory: factory, Params: map[string]string{}}
		for _, k := range l.doc.Options(sec) {
			if k == factoryKey {
				continue
			}
			if p.Params[k], err = l.value(sec, k, "", nil); err != nil {
				return nil, err
			}
		}
		out = append(out, p)
	}
	return out, nil
}

// readClient is ClientOptions.read_config for the [supervisorctl] section.
func (l *loader) readClient(cfg *Config, strict bool) error {
	const sec = "supervisorctl"
	c := &cfg.Supervisorctl
	c.ServerURL, c.Prompt = "http://localhost:9001", "supervisor"
	if !l.doc.HasSection(sec) {
		return nil
	}
	// ClientOptions sets here to the directory of the normalized path.
	here := filepath.Dir(normalizePath(l.file))
	exp := map[string]any{"here": here}
	var err error
	if c.ServerURL, err = l.value(sec, "serverurl", "http://localhost:9001", exp); err != nil {
		return err
	}
	if strings.HasPrefix(c.ServerURL, "unix://") {
		c.ServerURL = "unix://" + normalizePath(c.ServerURL[len("unix://"):])
	}
	if c.Prompt, err = l.value(sec, "prompt", "supervisor", nil); err != nil {
		return err
	}
	if c.Username, err = l.value(sec, "username", "", nil); err != nil {
		return err
	}
	if c.Password, err = l.value(sec, "password", "", nil); err != nil {
		return err
	}
	h, err := l.value(sec, "history_file", "", exp)
	if err != nil {
		return err
	}
	if h != "" {
		c.HistoryFile = normalizePath(h)
	}
	plugins, err := l.plugins("supervisor.ctl_factory", "ctlplugin:")
	if err != nil && strict {
		return err
	}
	cfg.CtlPlugins = nil
	for _, p := range plugins {
		cfg.CtlPlugins = append(cfg.CtlPlugins, CtlPlugin(p))
	}
	return nil
}

// servers is server_configs_from_parser, with the serverurl fallback of
// realize left to the caller (it depends on command-line overrides).
func (l *loader) servers(cfg *Config) error {
	for _, sec := range l.doc.Sections() {
		if !strings.HasPrefix(sec, "inet_http_server") {
			continue
		}
		user, pass, err := l.auth(sec)
		if err != nil {
			return err
		}
		if _, ok := l.raw(sec, "port"); !ok {
			return l.errAt(sec, "", fmt.Sprintf("section [%s] has no port value", sec))
		}
		v, err := l.value(sec, "port", "", nil)
		if err != nil {
			return err
		}
		host, port, err := parseInetAddress(v)
		if err != nil {
			return l.conv(sec, "port", err)
		}
		if cfg.InetHTTP == nil { // 4.2 keeps every one; only the first is served by name
			cfg.InetHTTP = &InetHTTPServer{Host: host, Port: port, Username: user, Password: pass}
		}
	}
	for _, sec := range l.doc.Sections() {
		if !strings.HasPrefix(sec, "unix_http_server") {
			continue
		}
		if _, ok := l.raw(sec, "file"); !ok {
			return l.errAt(sec, "", fmt.Sprintf("section [%s] has no file value", sec))
		}
		file, err := l.value(sec, "file", "", map[string]any{"here": l.here})
		if err != nil {
			return err
		}
		u := &UnixHTTPServer{File: normalizePath(pyStrip(file)), Chmod: 0o700, ChownUID: -1, ChownGID: -1}
		if u.Username, u.Password, err = l.auth(sec); err != nil {
			return err
		}
		if _, ok := l.raw(sec, "chown"); ok {
			v, err := l.value(sec, "chown", "", nil)
			if err != nil {
				return err
			}
			if u.ChownUID, u.ChownGID, err = parseUserGroup(v); err != nil {
				return l.errAt(sec, "chown", fmt.Sprintf("Invalid sockchown value %s", v))
			}
		}
		if _, ok := l.raw(sec, "chmod"); ok {
			v, err := l.value(sec, "chmod", "", nil)
			if err != nil {
				return err
			}
			if u.Chmod, err = parseOctal(v); err != nil {
				return l.errAt(sec, "chmod", fmt.Sprintf("Invalid chmod value %s", v))
			}
		}
		if cfg.UnixHTTP == nil {
			cfg.UnixHTTP = u
		}
	}
	return nil
}

// auth is _parse_username_and_password.
func (l *loader) auth(sec string) (user, pass string, err error) {
	_, hasUser := l.raw(sec, "username")
	_, hasPass := l.raw(sec, "password")
	if user, err = l.value(sec, "username", "", nil); err != nil {
		return
	}
	if pass, err = l.value(sec, "password", "", nil); err != nil {
		return
	}
	if hasUser != hasPass {
		err = l.errAt(sec, "", fmt.Sprintf("Section [%s] contains incomplete authentication: "+
			"If a username or a password is specified, both the username and password must be specified", sec))
	}
	return
}
