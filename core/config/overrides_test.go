package config

import (
	"os"
	"path/filepath"
	"testing"
)

// Messages are 4.2's, taken from `supervisord <option> <value>`.
func TestOverridesSetErrors(t *testing.T) {
	for _, c := range []struct{ key, value, want string }{
		{"minfds", "x", "invalid literal for int() with base 10: 'x'"},
		{"minprocs", "abc", "invalid literal for int() with base 10: 'abc'"},
		{"logfile_backups", "1.5", "invalid literal for int() with base 10: '1.5'"},
		{"umask", "9", "9 can not be converted to an octal type"},
		{"loglevel", "foo", "bad logging level name 'foo'"},
		{"directory", "/nonexist", "/nonexist is not an existing directory"},
		{"childlogdir", "/nonexist", "/nonexist is not an existing directory"},
		{"logfile", "/nonexist/x", "The directory named as part of the path /nonexist/x does not exist"},
		{"pidfile", "/nonexist/x", "The directory named as part of the path /nonexist/x does not exist"},
		{"logfile_maxbytes", "10XB", "invalid literal for int() with base 10: '10xb'"},
	} {
		var o Overrides
		err := o.Set(c.key, c.value)
		if err == nil || err.Error() != c.want {
			t.Errorf("Set(%q, %q) = %v, want %q", c.key, c.value, err, c.want)
		}
	}
}

func TestOverridesReplaceFileValues(t *testing.T) {
	dir := t.TempDir()
	var o Overrides
	for _, kv := range [][2]string{
		{"nodaemon", ""}, {"silent", ""}, {"nocleanup", ""}, {"strip_ansi", ""},
		{"umask", "077"}, {"directory", dir}, {"childlogdir", dir},
		{"logfile", filepath.Join(dir, "d.log")}, {"pidfile", "d.pid"},
		{"logfile_maxbytes", "1KB"}, {"logfile_backups", "3"}, {"loglevel", "DEBUG"},
		{"identifier", "ident"}, {"minfds", "10"}, {"minprocs", " 20 "},
	} {
		if err := o.Set(kv[0], kv[1]); err != nil {
			t.Fatalf("Set(%q, %q): %v", kv[0], kv[1], err)
		}
	}
	c := &Config{Supervisord: Supervisord{
		Logfile: "file.log", Pidfile: "file.pid", Umask: 0o022, Loglevel: LevelInfo,
		LogfileMaxbytes: 50 << 20, LogfileBackups: 10, Identifier: "supervisor",
		Minfds: 1024, Minprocs: 200, Childlogdir: "/tmp",
	}}
	if err := o.Apply(c); err != nil {
		t.Fatal(err)
	}
	wd, _ := os.Getwd()
	s := c.Supervisord
	want := Supervisord{
		Nodaemon: true, Silent: true, Nocleanup: true, StripANSI: true,
		Umask: 0o077, Directory: dir, Childlogdir: dir,
		Logfile: filepath.Join(dir, "d.log"), Pidfile: filepath.Join(wd, "d.pid"),
		LogfileMaxbytes: 1024, LogfileBackups: 3, Loglevel: LevelDebug,
		Identifier: "ident", Minfds: 10, Minprocs: 20,
	}
	if s.Nodaemon != want.Nodaemon || s.Silent != want.Silent || s.Nocleanup != want.Nocleanup ||
		s.StripANSI != want.StripANSI || s.Umask != want.Umask || s.Directory != want.Directory ||
		s.Childlogdir != want.Childlogdir || s.Logfile != want.Logfile || s.Pidfile != want.Pidfile ||
		s.LogfileMaxbytes != want.LogfileMaxbytes || s.LogfileBackups != want.LogfileBackups ||
		s.Loglevel != want.Loglevel || s.Identifier != want.Identifier || s.Minfds != want.Minfds ||
		s.Minprocs != want.Minprocs {
		t.Errorf("after Apply:\n%+v\nwant\n%+v", s, want)
	}
}

// Without command-line values the file's settings stay, except that 4.2
// makes the log and pid paths absolute and keeps "syslog" as is.
func TestOverridesEmptyKeepsFile(t *testing.T) {
	c := &Config{Supervisord: Supervisord{Logfile: LogSyslog, Pidfile: "/run/x/../s.pid", Umask: 0o002, Nodaemon: true}}
	var o Overrides
	if err := o.Apply(c); err != nil {
		t.Fatal(err)
	}
	s := c.Supervisord
	if s.Logfile != LogSyslog || s.Pidfile != "/run/s.pid" || s.Umask != 0o002 || !s.Nodaemon {
		t.Errorf("got %+v", s)
	}
}

func TestOverridesUnknownUser(t *testing.T) {
	var o Overrides
	if err := o.Set("user", "no-such-user-here"); err != nil {
		t.Fatal(err)
	}
	err := o.Apply(&Config{})
	if err == nil || err.Error() != "Invalid user name no-such-user-here" {
		t.Errorf("err = %v", err)
	}
}
