package config

import (
	"reflect"
	"strings"
	"testing"
)

func TestNotifyKeys(t *testing.T) {
	cfg, err := loadString(t, "[supervisord]\n[program:a]\ncommand=/bin/a\n[program:b]\ncommand=/bin/b\nnotify=yes\nwatchdog_secs=15\n")
	if err != nil {
		t.Fatal(err)
	}
	if a := findProc(t, cfg, "a"); a.Notify || a.WatchdogSecs != 0 {
		t.Errorf("defaults: notify %v watchdog_secs %d", a.Notify, a.WatchdogSecs)
	}
	if b := findProc(t, cfg, "b"); !b.Notify || b.WatchdogSecs != 15 {
		t.Errorf("b: notify %v watchdog_secs %d", b.Notify, b.WatchdogSecs)
	}
	for conf, want := range map[string]string{
		"[supervisord]\n[program:a]\ncommand=/bin/a\nwatchdog_secs=-1\n":  "watchdog_secs must be 0 (off) or more, not -1 in section 'program:a' (file: '%s', line 4)",
		"[supervisord]\n[program:a]\ncommand=/bin/a\nwatchdog_secs=1.5\n": "invalid literal for int() with base 10: '1.5' for watchdog_secs in section 'program:a' (file: '%s', line 4)",
		"[supervisord]\n[program:a]\ncommand=/bin/a\nnotify=sure\n":       "not a valid boolean value: 'sure' for notify in section 'program:a' (file: '%s', line 4)",
	} {
		_, err := loadString(t, conf)
		if err == nil {
			t.Errorf("%q loaded", conf)
			continue
		}
		e := err.(*Error)
		if want = strings.Replace(want, "%s", e.File, 1); err.Error() != want {
			t.Errorf("%q:\n got %v\nwant %s", conf, err, want)
		}
	}
	// reread: either key changed is a changed program.
	plain := findProc(t, cfg, "a")
	for _, extra := range []string{"", "notify=true", "watchdog_secs=3"} {
		c2, err := loadString(t, "[supervisord]\n[program:a]\ncommand=/bin/a\n"+extra+"\n")
		if err != nil {
			t.Fatal(err)
		}
		if same := reflect.DeepEqual(plain, findProc(t, c2, "a")); same != (extra == "") {
			t.Errorf("%q: same program = %v", extra, same)
		}
	}
}
