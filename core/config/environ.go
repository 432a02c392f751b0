package config

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"super/core/envfile"
)

// Keys of issue 22 that shape a child's environment. Like every key of
// super's own they are read after 4.2's keys of a section, and a config
// without them loads exactly as before.
//
// [supervisord] and [program:x] (and the other process sections)
//
//	environment_file =  PATH[, PATH…]: KEY=VALUE files (systemd's
//	                    EnvironmentFile=, dotenv; see core/envfile), %(…)s
//	                    expanded and made absolute like 4.2's other paths; a
//	                    leading "-" makes a missing file no error. They are
//	                    read again at every start of a process, so a restart
//	                    picks up a changed file.
//
// [program:x] (and the other process sections)
//
//	login_env = false   HOME, USER, LOGNAME and SHELL from the passwd entry
//	                    of user= (of the daemon's own user without user=)
//
// A child's environment, lowest first: supervisord's own environment (with
// SUPERVISOR_ENABLED and friends), the login variables, the [supervisord]
// environment files, [supervisord] environment=, the section's environment
// files, the section's environment=. A file named twice is read twice, in
// its places.

// EnvFile is one path of environment_file.
type EnvFile struct {
	Path     string // absolute
	Optional bool   // written with a leading "-": a missing file is skipped
	// Supervisord is true for the files of [supervisord]'s
	// environment_file, which every process's list starts with: they sit
	// under [supervisord] environment=, the section's own files over it.
	Supervisord bool
}

func (f EnvFile) String() string {
	if f.Optional {
		return "-" + f.Path
	}
	return f.Path
}

// readSupervisordEnviron reads [supervisord] environment_file.
func (l *loader) readSupervisordEnviron(s *Supervisord, exp map[string]any) error {
	files, err := l.envFiles("supervisord", exp)
	for i := range files {
		files[i].Supervisord = true
	}
	s.EnvironmentFiles = files
	return err
}

// processEnviron reads a process section's environment_file and
// login_env into p, whose Environment is still the section's own.
func (l *loader) processEnviron(section string, p *ProcessConfig, exp map[string]any) error {
	var err error
	p.OwnEnvironment = p.Environment
	if p.EnvironmentFiles, err = l.envFiles(section, exp); err != nil {
		return err
	}
	p.LoginEnv, err = l.boolean(section, "login_env", "false", exp)
	return err
}

// envFiles parses a section's environment_file and checks the files that
// exist: a malformed line fails the load (start, reread) as any other
// config error, naming the file and line. A missing file is only a
// warning here, unless optional: it may be made before the program starts
// (by a one-shot program, say), and its start fails if it is not.
func (l *loader) envFiles(section string, exp map[string]any) ([]EnvFile, error) {
	const key = "environment_file"
	if _, ok := l.raw(section, key); !ok {
		return nil, nil
	}
	v, err := l.value(section, key, "", exp)
	if err != nil {
		return nil, err
	}
	var files []EnvFile
	for _, entry := range strings.Split(v, ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		f := EnvFile{}
		if rest, ok := strings.CutPrefix(entry, "-"); ok {
			f.Optional, entry = true, strings.TrimSpace(rest)
		}
		if entry == "" {
			return nil, l.errAt(section, key, fmt.Sprintf("%s has a \"-\" without a path", key))
		}
		f.Path = normalizePath(entry)
		if err := l.checkEnvFile(section, f); err != nil {
			return nil, err
		}
		files = append(files, f)
	}
	return files, nil
}

// checkEnvFile reads f once per load, however many processes name it.
func (l *loader) checkEnvFile(section string, f EnvFile) error {
	if l.envFilesSeen == nil {
		l.envFilesSeen = map[string]bool{}
	}
	if l.envFilesSeen[f.Path] {
		return nil
	}
	l.envFilesSeen[f.Path] = true
	_, err := envfile.Read(f.Path)
	var e *envfile.Error
	switch {
	case err == nil:
		return nil
	case errors.Is(err, fs.ErrNotExist) && f.Optional:
		return nil
	case errors.As(err, &e) && e.Line > 0:
		return l.errAt(section, "environment_file", err.Error())
	}
	l.warnings = append(l.warnings, fmt.Sprintf("For [%s], %s (it is read again at each start)", section, err))
	return nil
}

// withSupervisordFiles is a process's environment_file list: the
// [supervisord] files, then its own.
func withSupervisordFiles(global, own []EnvFile) []EnvFile {
	if len(global) == 0 {
		return own
	}
	return append(append(make([]EnvFile, 0, len(global)+len(own)), global...), own...)
}
