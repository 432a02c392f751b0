package config

import "fmt"

// Overrides are the values given on supervisord's command line. As in 4.2,
// each one given replaces what the config file says, and it keeps doing so
// on every reload (SIGHUP or `supervisorctl reload`), because the command
// line does not change while the daemon runs.
type Overrides struct {
	// Flags can only switch a setting on; absent means "as the file says".
	Nodaemon, Silent, Nocleanup, StripANSI bool

	// nil means "not given".
	User            *string
	Umask           *int
	Directory       *string
	Logfile         *string
	LogfileMaxbytes *int64
	LogfileBackups  *int
	Loglevel        *LogLevel
	Pidfile         *string
	Identifier      *string
	Childlogdir     *string
	Minfds          *int
	Minprocs        *int
}

// Set converts one command-line value for the [supervisord] key of the same
// name, with the converter 4.2 uses for that option, and records it. Flags
// (nodaemon, silent, nocleanup, strip_ansi) ignore value. The error text is
// 4.2's reason, e.g. "9 can not be converted to an octal type".
func (o *Overrides) Set(key, value string) error {
	var err error
	switch key {
	case "nodaemon":
		o.Nodaemon = true
	case "silent":
		o.Silent = true
	case "nocleanup":
		o.Nocleanup = true
	case "strip_ansi":
		o.StripANSI = true
	case "user":
		o.User = &value
	case "identifier":
		o.Identifier = &value
	case "umask":
		o.Umask, err = ptr(parseOctal(value))
	case "directory":
		o.Directory, err = ptr(existingDirectory(value))
	case "childlogdir":
		o.Childlogdir, err = ptr(existingDirectory(value))
	case "logfile":
		o.Logfile, err = ptr(existingDirpath(value))
	case "pidfile":
		o.Pidfile, err = ptr(existingDirpath(value))
	case "logfile_maxbytes":
		o.LogfileMaxbytes, err = ptr(parseByteSize(value))
	case "logfile_backups":
		o.LogfileBackups, err = ptr(pyInt(value))
	case "minfds":
		o.Minfds, err = ptr(pyInt(value))
	case "minprocs":
		o.Minprocs, err = ptr(pyInt(value))
	case "loglevel":
		o.Loglevel, err = ptr(parseLogLevel(value))
	default:
		return fmt.Errorf("no command-line option for [supervisord] %s", key)
	}
	return err
}

func ptr[T any](v T, err error) (*T, error) {
	if err != nil {
		return nil, err
	}
	return &v, nil
}

// Apply writes the overrides into c.Supervisord, then finishes the section
// the way 4.2 does once command line and file are merged: the effective
// user must exist, and the log and pid file paths become absolute (relative
// to the working directory at startup, before any chdir for daemonizing).
// The error text is 4.2's, e.g. "Invalid user name nobody2".
func (o *Overrides) Apply(c *Config) error {
	s := &c.Supervisord
	s.Nodaemon = s.Nodaemon || o.Nodaemon
	s.Silent = s.Silent || o.Silent
	s.Nocleanup = s.Nocleanup || o.Nocleanup
	s.StripANSI = s.StripANSI || o.StripANSI
	set(&s.User, o.User)
	set(&s.Umask, o.Umask)
	set(&s.Directory, o.Directory)
	set(&s.Logfile, o.Logfile)
	set(&s.LogfileMaxbytes, o.LogfileMaxbytes)
	set(&s.LogfileBackups, o.LogfileBackups)
	set(&s.Loglevel, o.Loglevel)
	set(&s.Pidfile, o.Pidfile)
	set(&s.Identifier, o.Identifier)
	set(&s.Childlogdir, o.Childlogdir)
	set(&s.Minfds, o.Minfds)
	set(&s.Minprocs, o.Minprocs)

	if s.User != "" {
		if _, err := lookupUID(s.User); err != nil {
			return err
		}
	}
	// "syslog" names the syslog service, not a file; empty means no log.
	if s.Logfile != LogSyslog && s.Logfile != LogNone {
		s.Logfile = normalizePath(s.Logfile)
	}
	if s.Pidfile != "" {
		s.Pidfile = normalizePath(s.Pidfile)
	}
	return nil
}

func set[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}
