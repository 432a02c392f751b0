package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestLifecycleDefaultsAre42(t *testing.T) {
	cfg, err := loadString(t, "[supervisord]\n[program:a]\ncommand=/bin/true\n")
	if err != nil {
		t.Fatal(err)
	}
	p := findProc(t, cfg, "a")
	if p.RestartDelay != 0 || p.RestartDelayMax != 0 || p.Startretries != 3 || p.Oneshot {
		t.Fatalf("lifecycle keys not 4.2's by default: %+v", p)
	}
}

func TestLifecycleParsed(t *testing.T) {
	cfg, err := loadString(t, `[supervisord]
[program:fixed]
command=x
restart_delay = 2
startretries = Infinite
[program:grows]
command=x
restart_delay = 0.25
restart_delay_max = 30
[eventlistener:l]
command=x
events=TICK_5
restart_delay=1
[program:migrate]
command=x
oneshot=yes
`)
	if err != nil {
		t.Fatal(err)
	}
	fixed := findProc(t, cfg, "fixed")
	if fixed.RestartDelay != 2*time.Second || fixed.RestartDelayMax != 2*time.Second || fixed.Startretries != RetryForever {
		t.Errorf("fixed: delay %v max %v retries %d", fixed.RestartDelay, fixed.RestartDelayMax, fixed.Startretries)
	}
	grows := findProc(t, cfg, "grows")
	if grows.RestartDelay != 250*time.Millisecond || grows.RestartDelayMax != 30*time.Second || grows.Startretries != 3 {
		t.Errorf("grows: delay %v max %v retries %d", grows.RestartDelay, grows.RestartDelayMax, grows.Startretries)
	}
	if l := findProc(t, cfg, "l"); l.RestartDelay != time.Second {
		t.Errorf("listener: delay %v", l.RestartDelay)
	}
	if !findProc(t, cfg, "migrate").Oneshot || fixed.Oneshot {
		t.Errorf("oneshot not read")
	}
}

// Each bad value is an error naming the key, the section, the file and
// the line of the key.
func TestLifecycleErrors(t *testing.T) {
	for _, tc := range []struct{ name, conf, want string }{
		{"negative delay", "[program:a]\ncommand=x\nrestart_delay=-1\n",
			`invalid restart_delay value "-1": expected a number of seconds, 0 or more in section 'program:a' (file: '%s', line 4)`},
		{"not a number", "[program:a]\ncommand=x\nrestart_delay=soon\n",
			`invalid restart_delay value "soon"`},
		{"max without delay", "[program:a]\ncommand=x\nrestart_delay_max=10\n",
			`restart_delay_max is set but restart_delay is not in section 'program:a' (file: '%s', line 4)`},
		{"max below delay", "[program:a]\ncommand=x\nrestart_delay=5\n\nrestart_delay_max=2.5\n",
			`restart_delay_max (2.5) is less than restart_delay (5) in section 'program:a' (file: '%s', line 6)`},
		{"negative max", "[program:a]\ncommand=x\nrestart_delay=5\nrestart_delay_max=-5\n",
			`invalid restart_delay_max value "-5"`},
		{"bad oneshot", "[program:a]\ncommand=x\noneshot=once\n",
			`not a valid boolean value: 'once' for oneshot in section 'program:a' (file: '%s', line 4)`},
		{"oneshot listener", "[eventlistener:a]\ncommand=x\nevents=TICK_5\noneshot=true\n",
			`oneshot cannot be used in an [eventlistener:x] section in section 'eventlistener:a' (file: '%s', line 5)`},
		{"oneshot healthcheck", "[program:a]\ncommand=x\nhealthcheck=true\noneshot=true\n",
			`oneshot=true cannot be used with healthcheck, notify or watchdog_secs in section 'program:a' (file: '%s', line 5)`},
		{"oneshot notify", "[program:a]\ncommand=x\noneshot=true\nnotify=true\n",
			`oneshot=true cannot be used with healthcheck, notify or watchdog_secs in section 'program:a' (file: '%s', line 4)`},
		{"bad startretries", "[program:a]\ncommand=x\nstartretries=forever\n",
			`invalid literal for int() with base 10: 'forever' for startretries in section 'program:a' (file: '%s', line 4)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "supervisord.conf")
			if err := os.WriteFile(path, []byte("[supervisord]\n"+tc.conf), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := Load(path)
			want := strings.ReplaceAll(tc.want, "%s", path)
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Fatalf("error = %v, want it to contain %q", err, want)
			}
		})
	}
}

func TestFormatSeconds(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0: "0", 8 * time.Second: "8", 10 * time.Second: "10", 250 * time.Millisecond: "0.25",
		1500 * time.Millisecond: "1.5", 100 * time.Second: "100",
	} {
		if got := FormatSeconds(d); got != want {
			t.Errorf("FormatSeconds(%v) = %q, want %q", d, got, want)
		}
	}
}
