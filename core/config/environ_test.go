package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestEnvironKeysOffByDefault(t *testing.T) {
	cfg, err := loadString(t, "[supervisord]\n[program:a]\ncommand=/bin/true\nenvironment=A=1\n")
	if err != nil {
		t.Fatal(err)
	}
	p := findProc(t, cfg, "a")
	if cfg.Supervisord.EnvironmentFiles != nil || p.EnvironmentFiles != nil || p.LoginEnv {
		t.Fatalf("environ keys not off by default: %+v %+v", cfg.Supervisord, p)
	}
}

func TestEnvironmentFileParsed(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "global.env", "G=1\n")
	write(t, dir, "web0.env", "W=0\n")
	write(t, dir, "web1.env", "W=1\n")
	wd, _ := os.Getwd()
	conf := write(t, dir, "s.conf", `[supervisord]
environment_file = %(here)s/global.env
environment = S=1
[program:web]
command=/bin/web
numprocs=2
process_name=web%(process_num)d
environment = OWN=1
environment_file = %(here)s/web%(process_num)d.env, -%(here)s/optional-%(program_name)s.env ,relative.env
login_env = true
`)
	cfg, err := Load(conf)
	if err != nil {
		t.Fatal(err)
	}
	global := EnvFile{Path: filepath.Join(dir, "global.env"), Supervisord: true}
	if want := []EnvFile{global}; !reflect.DeepEqual(cfg.Supervisord.EnvironmentFiles, want) {
		t.Errorf("[supervisord] files = %+v, want %+v", cfg.Supervisord.EnvironmentFiles, want)
	}
	for _, n := range []string{"0", "1"} {
		p := findProc(t, cfg, "web"+n)
		want := []EnvFile{global, {Path: filepath.Join(dir, "web"+n+".env")},
			{Path: filepath.Join(dir, "optional-web.env"), Optional: true}, {Path: filepath.Join(wd, "relative.env")}}
		if !reflect.DeepEqual(p.EnvironmentFiles, want) {
			t.Errorf("web%s files = %+v\nwant %+v", n, p.EnvironmentFiles, want)
		}
		if !reflect.DeepEqual(p.OwnEnvironment, map[string]string{"OWN": "1"}) || !reflect.DeepEqual(p.Environment, map[string]string{"OWN": "1", "S": "1"}) {
			t.Errorf("web%s environment %v, own %v", n, p.Environment, p.OwnEnvironment)
		}
		if !p.LoginEnv {
			t.Errorf("web%s: login_env not set", n)
		}
	}
	// A required file that is missing is a warning at load (it may be
	// made before the program starts); an optional one is not mentioned.
	var warned []string
	for _, w := range cfg.Warnings {
		if strings.Contains(w, "environment file") {
			warned = append(warned, w)
		}
	}
	if want := []string{"For [program:web], environment file " + filepath.Join(wd, "relative.env") +
		": cannot read it: no such file or directory (it is read again at each start)"}; !reflect.DeepEqual(warned, want) {
		t.Errorf("warnings %q, want %q", warned, want)
	}
}

// A malformed line fails the load, naming the environment file and its
// line, and the config file, section, key and line that named it.
func TestEnvironmentFileErrors(t *testing.T) {
	dir := t.TempDir()
	bad := write(t, dir, "bad.env", "A=1\n# fine\nB C=2\n")
	for _, tt := range []struct {
		conf string
		want string
	}{
		{"[supervisord]\n[program:a]\ncommand=/bin/a\nenvironment_file=" + bad + "\n",
			"environment file " + bad + `, line 3: invalid variable name "B C": a name is letters, digits and _, not starting with a digit` +
				" for environment_file in section 'program:a' (file: '%s', line 4)"},
		{"[supervisord]\nenvironment_file=-" + bad + "\n[program:a]\ncommand=/bin/a\n",
			"environment file " + bad + `, line 3: invalid variable name "B C": a name is letters, digits and _, not starting with a digit` +
				" for environment_file in section 'supervisord' (file: '%s', line 2)"},
		{"[supervisord]\n[eventlistener:l]\ncommand=/bin/a\nevents=TICK_5\nenvironment_file=/x.env, -\n",
			"environment_file has a \"-\" without a path in section 'eventlistener:l' (file: '%s', line 5)"},
		{"[supervisord]\n[fcgi-program:f]\ncommand=/bin/a\nsocket=tcp://127.0.0.1:9999\nlogin_env=maybe\n",
			"not a valid boolean value: 'maybe' for login_env in section 'fcgi-program:f' (file: '%s', line 5)"},
		{"[supervisord]\n[program:a]\ncommand=/bin/a\nenvironment_file=%(nope)s.env\n",
			"Format string '%%(nope)s.env' for 'program:a.environment_file' contains names ('nope') which cannot be expanded."},
	} {
		conf := write(t, dir, "s.conf", tt.conf)
		_, err := Load(conf)
		want := tt.want
		if strings.Contains(want, "%s") {
			want = strings.Replace(want, "%s", conf, 1)
		}
		want = strings.ReplaceAll(want, "%%", "%")
		if err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("%q:\n got %v\nwant %s", tt.conf, err, want)
		}
	}
}

// reread/update compare process configs: a changed environment_file or
// login_env, in the section or in [supervisord], is a changed program.
func TestEnvironKeysChangeTheProcess(t *testing.T) {
	dir := t.TempDir()
	base := "[supervisord]\n%s\n[program:a]\ncommand=/bin/a\n%s\n"
	load := func(sup, prog string) *ProcessConfig {
		cfg, err := Load(write(t, dir, "s.conf", strings.Replace(strings.Replace(base, "%s", sup, 1), "%s", prog, 1)))
		if err != nil {
			t.Fatal(err)
		}
		return findProc(t, cfg, "a")
	}
	plain := load("", "")
	for _, c := range [][2]string{
		{"", "environment_file=-/a.env"},
		{"", "login_env=true"},
		{"environment_file=-/a.env", ""},
	} {
		if reflect.DeepEqual(plain, load(c[0], c[1])) {
			t.Errorf("%q / %q: not seen as a change", c[0], c[1])
		}
	}
	if !reflect.DeepEqual(plain, load("", "login_env=false")) {
		t.Errorf("login_env=false differs from no login_env")
	}
}
