package config

import (
	"regexp"
	"strings"
	"testing"
)

// loadErr loads conf, which must fail with want (%s: the file's name).
func loadErr(t *testing.T, conf, want string) {
	t.Helper()
	_, err := loadString(t, conf)
	if err == nil {
		t.Errorf("%q loaded", conf)
		return
	}
	e := err.(*Error)
	if want = strings.Replace(want, "%s", e.File, 1); err.Error() != want {
		t.Errorf("%q:\n got %v\nwant %s", conf, err, want)
	}
}

func TestContainerLogsFormatKeys(t *testing.T) {
	for conf, want := range map[string][2]bool{
		"[supervisord]\n":                      {false, false},
		"[supervisord]\ncontainer_logs=true\n": {false, false},
		"[supervisord]\ncontainer_logs=true\ncontainer_logs_format=JSON\n":      {true, false},
		"[supervisord]\ncontainer_logs=true\ncontainer_logs_format = plain \n":  {false, false},
		"[supervisord]\ncontainer_logs=true\ncontainer_logs_timestamps=true\n":  {false, true},
		"[supervisord]\ncontainer_logs=true\ncontainer_logs_timestamps=false\n": {false, false},
	} {
		cfg, err := loadString(t, conf)
		if err != nil {
			t.Errorf("%q: %v", conf, err)
			continue
		}
		if got := [2]bool{cfg.Supervisord.ContainerLogsJSON, cfg.Supervisord.ContainerLogsTimestamps}; got != want {
			t.Errorf("%q: json, timestamps = %v, want %v", conf, got, want)
		}
	}
	for conf, want := range map[string]string{
		"[supervisord]\ncontainer_logs=true\ncontainer_logs_format=xml\n":                                  "invalid container_logs_format \"xml\": expected plain or json in section 'supervisord' (file: '%s', line 3)",
		"[supervisord]\ncontainer_logs_format=json\n":                                                      "container_logs_format is set but container_logs is not true in section 'supervisord' (file: '%s', line 2)",
		"[supervisord]\ncontainer_logs=false\ncontainer_logs_timestamps=true\n":                            "container_logs_timestamps is set but container_logs is not true in section 'supervisord' (file: '%s', line 3)",
		"[supervisord]\ncontainer_logs=true\ncontainer_logs_format=json\ncontainer_logs_timestamps=true\n": "container_logs_timestamps is for container_logs_format=plain: JSON lines always have their time in section 'supervisord' (file: '%s', line 4)",
	} {
		loadErr(t, conf, want)
	}
}

func TestLogfileTimestampsKeys(t *testing.T) {
	cfg, err := loadString(t, "[supervisord]\n[program:a]\ncommand=/bin/a\n[program:b]\ncommand=/bin/b\nstdout_logfile_timestamps=true\nstderr_logfile_timestamps=yes\n")
	if err != nil {
		t.Fatal(err)
	}
	if a := findProc(t, cfg, "a"); a.Stdout.Timestamps || a.Stderr.Timestamps {
		t.Errorf("defaults: %v %v", a.Stdout.Timestamps, a.Stderr.Timestamps)
	}
	if b := findProc(t, cfg, "b"); !b.Stdout.Timestamps || !b.Stderr.Timestamps {
		t.Errorf("b: %v %v", b.Stdout.Timestamps, b.Stderr.Timestamps)
	}
	loadErr(t, "[supervisord]\n[program:a]\ncommand=/bin/a\nstderr_logfile_timestamps=often\n",
		"not a valid boolean value: 'often' for stderr_logfile_timestamps in section 'program:a' (file: '%s', line 4)")
}

func TestRotationKeys(t *testing.T) {
	cfg, err := loadString(t, "[supervisord]\nlogfile_rotate=Daily\nlogfile_maxage=30\nlogfile_compress=true\n"+
		"[program:a]\ncommand=/bin/a\n"+
		"[program:b]\ncommand=/bin/b\nstdout_logfile_rotate=hourly\nstdout_logfile_maxage=7\nstdout_logfile_compress=true\nstderr_logfile_rotate=never\n")
	if err != nil {
		t.Fatal(err)
	}
	sd := cfg.Supervisord
	if sd.LogfileRotate != RotateDaily || sd.LogfileMaxage != 30 || !sd.LogfileCompress {
		t.Errorf("[supervisord]: %v %d %v", sd.LogfileRotate, sd.LogfileMaxage, sd.LogfileCompress)
	}
	a, b := findProc(t, cfg, "a"), findProc(t, cfg, "b")
	if a.Stdout.Rotate != RotateNever || a.Stdout.Maxage != 0 || a.Stdout.Compress || a.Stderr != (LogConfig{Logfile: a.Stderr.Logfile, Maxbytes: a.Stderr.Maxbytes, Backups: 10}) {
		t.Errorf("defaults: %+v %+v", a.Stdout, a.Stderr)
	}
	if b.Stdout.Rotate != RotateHourly || b.Stdout.Maxage != 7 || !b.Stdout.Compress || b.Stderr.Rotate != RotateNever {
		t.Errorf("b: %+v %+v", b.Stdout, b.Stderr)
	}
	for conf, want := range map[string]string{
		"[supervisord]\nlogfile_rotate=weekly\n":                                                          "invalid rotate value \"weekly\": expected hourly, daily or never for logfile_rotate in section 'supervisord' (file: '%s', line 2)",
		"[supervisord]\nlogfile_maxage=-1\n":                                                              "logfile_maxage must be 0 (no limit) or more days, not -1 in section 'supervisord' (file: '%s', line 2)",
		"[supervisord]\nlogfile_backups=0\nlogfile_compress=true\n":                                       "logfile_compress needs logfile_backups > 0: no backup is kept in section 'supervisord' (file: '%s', line 3)",
		"[supervisord]\n[program:a]\ncommand=/bin/a\nstderr_logfile_maxage=1.5\n":                         "invalid literal for int() with base 10: '1.5' for stderr_logfile_maxage in section 'program:a' (file: '%s', line 4)",
		"[supervisord]\n[program:a]\ncommand=/bin/a\nstdout_logfile_rotate=daly\n":                        "invalid rotate value \"daly\": expected hourly, daily or never for stdout_logfile_rotate in section 'program:a' (file: '%s', line 4)",
		"[supervisord]\n[program:a]\ncommand=/bin/a\nstdout_logfile_backups=0\nstdout_logfile_maxage=3\n": "stdout_logfile_maxage needs stdout_logfile_backups > 0: no backup is kept in section 'program:a' (file: '%s', line 5)",
	} {
		loadErr(t, conf, want)
	}
}

func FuzzParseRotateEvery(f *testing.F) {
	for _, s := range []string{"hourly", " Daily ", "never", "", "weekly", "\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseRotateEvery(s)
		if err != nil {
			if !strings.Contains(err.Error(), "expected hourly, daily or never") {
				t.Fatalf("%q: error %v", s, err)
			}
			return
		}
		// What is accepted reads back the same from its name.
		if back, err := ParseRotateEvery(r.String()); err != nil || back != r {
			t.Fatalf("%q: %v → %q → %v, %v", s, r, r.String(), back, err)
		}
	})
}

func TestReadyLogLineKey(t *testing.T) {
	cfg, err := loadString(t, "[supervisord]\n[program:a]\ncommand=/bin/a\n[program:db]\ncommand=/bin/db\nready_log_line=ready to accept connections on port \\d+ (100%%)\n")
	if err != nil {
		t.Fatal(err)
	}
	if a := findProc(t, cfg, "a"); a.ReadyLogLine != "" {
		t.Errorf("default %q", a.ReadyLogLine)
	}
	if db := findProc(t, cfg, "db"); db.ReadyLogLine != `ready to accept connections on port \d+ (100%)` {
		t.Errorf("db: %q", db.ReadyLogLine)
	}
	for conf, want := range map[string]string{
		"[supervisord]\n[program:a]\ncommand=/bin/a\nready_log_line=(unclosed\n":               "invalid ready_log_line \"(unclosed\": error parsing regexp: missing closing ): `(unclosed` in section 'program:a' (file: '%s', line 4)",
		"[supervisord]\n[program:a]\ncommand=/bin/a\nready_log_line=x*\n":                      "ready_log_line \"x*\" matches an empty line: it would match any output in section 'program:a' (file: '%s', line 4)",
		"[supervisord]\n[program:a]\ncommand=/bin/a\nready_log_line=\n":                        "ready_log_line is empty: give a regular expression a line of the program's output matches when it is ready in section 'program:a' (file: '%s', line 4)",
		"[supervisord]\n[program:a]\ncommand=/bin/a\nready_log_line=up\nnotify=true\n":         "ready_log_line and notify=true are two ways to say a program is ready: set one in section 'program:a' (file: '%s', line 4)",
		"[supervisord]\n[program:a]\ncommand=/bin/a\nready_log_line=up\noneshot=true\n":        "oneshot=true cannot be used with ready_log_line: a one-shot is never RUNNING in section 'program:a' (file: '%s', line 4)",
		"[supervisord]\n[eventlistener:l]\ncommand=/bin/l\nevents=TICK_5\nready_log_line=up\n": "ready_log_line cannot be used in an [eventlistener:x] section in section 'eventlistener:l' (file: '%s', line 5)",
	} {
		loadErr(t, conf, want)
	}
}

func FuzzCheckReadyLogLine(f *testing.F) {
	for _, s := range []string{"ready", "^listening on :\\d+$", "x*", "(", "", "a|", "\\b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if err := CheckReadyLogLine(s); err == nil {
			// What is accepted compiles and does not match an empty line.
			re := regexp.MustCompile(s)
			if re.MatchString("") {
				t.Fatalf("%q accepted but matches an empty line", s)
			}
		}
	})
}
