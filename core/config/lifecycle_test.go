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
	if p.RestartDelay != 0 || p.RestartDelayMax != 0 || p.Startretries != 3 || p.Oneshot || p.Schedule != "" {
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
[program:backup]
command=x
schedule =  CRON_TZ=UTC 30 2 * * mon-fri  
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
	if s := findProc(t, cfg, "backup").Schedule; s != "CRON_TZ=UTC 30 2 * * mon-fri" {
		t.Errorf("schedule %q", s)
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
		{"bad cron", "[program:a]\ncommand=x\nschedule=* * *\n",
			`invalid schedule "* * *": expected exactly 5 fields, found 3: [* * *] in section 'program:a' (file: '%s', line 4)`},
		{"cron out of range", "[program:a]\ncommand=x\nschedule=61 * * * *\n",
			`invalid schedule "61 * * * *": end of range (61) above maximum (59): 61`},
		{"unknown descriptor", "[program:a]\ncommand=x\nschedule=@sometimes\n",
			`invalid schedule "@sometimes": unrecognized descriptor: @sometimes in section 'program:a' (file: '%s', line 4)`},
		{"every below a second", "[program:a]\ncommand=x\nschedule=@every 500ms\n",
			`invalid schedule "@every 500ms": @every needs a whole number of seconds, at least 1s`},
		{"every negative", "[program:a]\ncommand=x\nschedule=@every -5s\n",
			`invalid schedule "@every -5s": @every needs a whole number of seconds, at least 1s`},
		{"every no duration", "[program:a]\ncommand=x\nschedule=@every\n",
			`invalid schedule "@every": @every needs a duration`},
		{"bad zone", "[program:a]\ncommand=x\nschedule=CRON_TZ=Nowhere/Land 0 3 * * *\n",
			`invalid schedule "CRON_TZ=Nowhere/Land 0 3 * * *": provided bad location Nowhere/Land`},
		{"zone alone", "[program:a]\ncommand=x\nschedule=TZ=UTC\n",
			`invalid schedule "TZ=UTC": a time zone must be followed by the schedule`},
		{"never fires", "[program:a]\ncommand=x\nschedule=0 0 30 2 *\n",
			`invalid schedule "0 0 30 2 *": it never fires in section 'program:a' (file: '%s', line 4)`},
		{"schedule listener", "[eventlistener:a]\ncommand=x\nevents=TICK_5\nschedule=@hourly\n",
			`schedule cannot be used in an [eventlistener:x] section in section 'eventlistener:a' (file: '%s', line 5)`},
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

func TestParseScheduleNext(t *testing.T) {
	utc := func(s string) time.Time {
		t.Helper()
		x, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return x
	}
	for _, tc := range []struct{ spec, after, next string }{
		{"*/15 * * * *", "2026-03-01T10:07:00Z", "2026-03-01T10:15:00Z"},
		{"CRON_TZ=UTC 30 2 * * mon", "2026-03-04T00:00:00Z", "2026-03-09T02:30:00Z"},
		{"TZ=Asia/Tokyo 0 9 * * *", "2026-03-01T00:00:00Z", "2026-03-02T00:00:00Z"}, // 09:00 JST is 00:00 UTC
		{"CRON_TZ=UTC @daily", "2026-03-01T10:00:00Z", "2026-03-02T00:00:00Z"},
		{"CRON_TZ=UTC @hourly", "2026-03-01T10:59:59Z", "2026-03-01T11:00:00Z"},
		{"@every 30s", "2026-03-01T10:00:00.250Z", "2026-03-01T10:00:30Z"},
		{"@every 1h30m", "2026-03-01T10:00:00Z", "2026-03-01T11:30:00Z"},
	} {
		s, err := ParseSchedule(tc.spec)
		if err != nil {
			t.Errorf("%s: %v", tc.spec, err)
			continue
		}
		if got := s.Next(utc(tc.after)); !got.Equal(utc(tc.next)) {
			t.Errorf("%s after %s: %s, want %s", tc.spec, tc.after, got.UTC().Format(time.RFC3339), tc.next)
		}
	}
}

// FuzzSchedule: no schedule= value crashes the parser, and one it accepts
// always has a next tick, later than the time asked about, at a whole
// second.
func FuzzSchedule(f *testing.F) {
	for _, s := range []string{"* * * * *", "*/5 1-3 * jan-mar mon,wed", "@hourly", "@every 30s", "@every 1h30m",
		"CRON_TZ=UTC 0 3 * * *", "TZ=Europe/Paris @daily", "TZ=UTC", "CRON_TZ= * * * * *", "0 0 30 2 *",
		"1-5/0 * * * *", "*/1000000000000 * * * *", "@every 500ms", "5-1 * * * *", "? ? ? ? ?"} {
		f.Add(s)
	}
	at := time.Date(2026, 3, 1, 10, 7, 30, 500, time.UTC)
	f.Fuzz(func(t *testing.T, spec string) {
		s, err := ParseSchedule(spec)
		if err != nil {
			if s != nil {
				t.Fatalf("%q: a schedule and an error", spec)
			}
			return
		}
		next := s.Next(at)
		if next.IsZero() || !next.After(at) || next.Nanosecond() != 0 {
			t.Fatalf("%q accepted, next tick after %v is %v", spec, at, next)
		}
	})
}
