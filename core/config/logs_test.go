package config

import (
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
