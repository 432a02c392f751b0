package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func loadString(t *testing.T, text string) (*Config, error) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "supervisord.conf")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return Load(path)
}

func findProc(t *testing.T, cfg *Config, name string) *ProcessConfig {
	t.Helper()
	for _, g := range cfg.Groups {
		for _, p := range g.Processes {
			if p.Name == name {
				return p
			}
		}
	}
	t.Fatalf("no process %s", name)
	return nil
}

func TestExtrasDefaultsAreOff(t *testing.T) {
	cfg, err := loadString(t, "[supervisord]\n[program:a]\ncommand=/bin/true\n")
	if err != nil {
		t.Fatal(err)
	}
	p := findProc(t, cfg, "a")
	if cfg.Supervisord.ContainerLogs || cfg.Supervisord.ExitWhenDone || p.Critical || p.DependsOn != nil || p.Healthcheck != nil {
		t.Fatalf("new keys not off by default: %+v %+v", cfg.Supervisord, p)
	}
	if p.Stdout.Logfile != LogAuto || p.Stderr.Logfile != LogAuto {
		t.Fatalf("unset logfiles = %q/%q, want AUTO", p.Stdout.Logfile, p.Stderr.Logfile)
	}
}

func TestExtrasParsed(t *testing.T) {
	cfg, err := loadString(t, `[supervisord]
container_logs = true
exit_when_done = yes
[program:db]
command=/bin/db
healthcheck = tcp://127.0.0.1:5432
healthcheck_interval = 0.5
healthcheck_retries = 2
[program:web]
command=/bin/web
numprocs=2
process_name=web%(process_num)d
critical = true
depends_on = db, cache:redis
stdout_logfile = AUTO
healthcheck = http://127.0.0.1:80%(process_num)d/health
healthcheck_timeout = 2
healthcheck_start_period = 3
healthcheck_action = none
[program:redis]
command=/bin/redis
healthcheck = /bin/check --port %(program_name)s
[group:cache]
programs=redis
`)
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.Supervisord.ContainerLogs || !cfg.Supervisord.ExitWhenDone {
		t.Fatalf("supervisord extras: %+v", cfg.Supervisord)
	}
	db := findProc(t, cfg, "db")
	if db.Stdout.Logfile != LogNone || db.Stderr.Logfile != LogNone {
		t.Errorf("container_logs: unset logfiles = %q/%q, want NONE", db.Stdout.Logfile, db.Stderr.Logfile)
	}
	want := &HealthCheck{Kind: HealthTCP, Target: "127.0.0.1:5432", Interval: 500 * time.Millisecond,
		Timeout: 5 * time.Second, Retries: 2, Action: HealthRestart}
	if !reflect.DeepEqual(db.Healthcheck, want) {
		t.Errorf("db healthcheck = %+v, want %+v", db.Healthcheck, want)
	}
	web1 := findProc(t, cfg, "web1")
	if !web1.Critical || web1.Stdout.Logfile != LogAuto {
		t.Errorf("web1: critical %v, stdout %q", web1.Critical, web1.Stdout.Logfile)
	}
	if want := []Dependency{{Group: "db"}, {Group: "cache", Process: "redis"}}; !reflect.DeepEqual(web1.DependsOn, want) {
		t.Errorf("depends_on = %v, want %v", web1.DependsOn, want)
	}
	want = &HealthCheck{Kind: HealthHTTP, Target: "http://127.0.0.1:801/health", Interval: 10 * time.Second,
		Timeout: 2 * time.Second, Retries: 3, StartPeriod: 3 * time.Second, Action: HealthNone}
	if !reflect.DeepEqual(web1.Healthcheck, want) {
		t.Errorf("web1 healthcheck = %+v, want %+v", web1.Healthcheck, want)
	}
	if h := findProc(t, cfg, "redis").Healthcheck; h == nil || h.Kind != HealthExec || h.Target != "/bin/check --port redis" {
		t.Errorf("redis healthcheck = %+v", h)
	}
}

func TestExtrasErrors(t *testing.T) {
	for _, tc := range []struct{ name, conf, want string }{
		{"unknown dependency", "[program:a]\ncommand=x\ndepends_on=nope\n",
			"depends_on names nope, which is not a configured program or group in section 'program:a' (file: '%s', line 4)"},
		{"unknown process", "[program:a]\ncommand=x\ndepends_on=b:c\n[program:b]\ncommand=x\n",
			"depends_on names b:c, which is not a process of group b in section 'program:a'"},
		{"self", "[program:a]\ncommand=x\ndepends_on=a\n", "depends_on cycle: a -> a in section 'program:a'"},
		{"cycle", "[program:a]\ncommand=x\ndepends_on=b\n[program:b]\ncommand=x\ndepends_on=c\n[program:c]\ncommand=x\ndepends_on=a\n",
			"depends_on cycle: a -> b -> c -> a in section 'program:a'"},
		{"bad entry", "[program:a]\ncommand=x\ndepends_on=b:c:d\n", "bad depends_on entry \"b:c:d\""},
		{"bad critical", "[program:a]\ncommand=x\ncritical=maybe\n", "not a valid boolean value: 'maybe' for critical in section 'program:a'"},
		{"bad tcp", "[program:a]\ncommand=x\nhealthcheck=tcp://nohost\n", "bad healthcheck address \"tcp://nohost\""},
		{"bad port", "[program:a]\ncommand=x\nhealthcheck=tcp://h:99999\n", "bad healthcheck port"},
		{"bad interval", "[program:a]\ncommand=x\nhealthcheck=true\nhealthcheck_interval=0\n", "must be more than 0 seconds: \"0\" for healthcheck_interval"},
		{"bad retries", "[program:a]\ncommand=x\nhealthcheck=true\nhealthcheck_retries=0\n", "healthcheck_retries must be at least 1, not 0"},
		{"bad action", "[program:a]\ncommand=x\nhealthcheck=true\nhealthcheck_action=kill\n", "invalid healthcheck_action \"kill\""},
		{"orphan key", "[program:a]\ncommand=x\nhealthcheck_retries=2\n", "healthcheck_retries is set but healthcheck is not in section 'program:a'"},
		{"bad container_logs", "[supervisord]\ncontainer_logs=perhaps\n", "not a valid boolean value: 'perhaps' for container_logs in section 'supervisord'"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			conf := tc.conf
			if !strings.HasPrefix(conf, "[supervisord]") {
				conf = "[supervisord]\n" + conf
			}
			path := filepath.Join(t.TempDir(), "supervisord.conf")
			if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := Load(path)
			want := tc.want
			if strings.Contains(want, "%s") {
				want = strings.ReplaceAll(want, "%s", path)
			}
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Fatalf("error = %v, want it to contain %q", err, want)
			}
		})
	}
}
