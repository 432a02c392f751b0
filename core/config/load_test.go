package config

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/golden/*.json from the current loader")

// goldenJSON renders a Config with machine-specific paths replaced, so the
// golden files hold only what the config decides.
func goldenJSON(t *testing.T, cfg *Config) []byte {
	t.Helper()
	b, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	here, _ := filepath.Abs("testdata/golden")
	wd, _ := os.Getwd()
	host, _ := os.Hostname()
	s = strings.ReplaceAll(s, here, "$HERE")
	s = strings.ReplaceAll(s, wd, "$CWD")
	if tmp := os.TempDir(); tmp != "/" {
		s = strings.ReplaceAll(s, `"`+tmp+`"`, `"$TMP"`)
	}
	if host != "" {
		s = strings.ReplaceAll(s, host, "$HOST")
	}
	for _, kv := range os.Environ() {
		if k, v, _ := strings.Cut(kv, "="); k == "HOME" && v != "" && v != "/" {
			s = strings.ReplaceAll(s, `"`+v+`"`, `"$HOME"`)
		}
	}
	return []byte(s + "\n")
}

func TestGolden(t *testing.T) {
	files, _ := filepath.Glob("testdata/golden/*.conf")
	if len(files) == 0 {
		t.Fatal("no golden configs")
	}
	for _, f := range files {
		cfg, err := Load(f)
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		got := goldenJSON(t, cfg)
		gf := strings.TrimSuffix(f, ".conf") + ".json"
		if *update {
			if err := os.WriteFile(gf, got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(gf)
		if err != nil {
			t.Fatalf("%v (run go test -update to create it)", err)
		}
		if string(want) != string(got) {
			t.Errorf("%s differs from %s (go test -update rewrites it):\n%s", f, gf, got)
		}
		// Two loads of one file compare equal: reread relies on it.
		again, err := Load(f)
		if err != nil || !reflect.DeepEqual(cfg, again) {
			t.Errorf("%s: second load differs (%v)", f, err)
		}
	}
}

// TestSampleLoads: the sample config echo_supervisord_conf prints loads.
func TestSampleLoads(t *testing.T) {
	if Sample == "" {
		t.Skip("no sample config")
	}
	f := filepath.Join(t.TempDir(), "supervisord.conf")
	if err := os.WriteFile(f, []byte(Sample), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(f); err != nil {
		t.Fatalf("sample config does not load: %v", err)
	}
	if _, err := LoadClient(f); err != nil {
		t.Fatalf("sample config does not load for supervisorctl: %v", err)
	}
}

func write(t *testing.T, dir, name, text string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestErrorPositions(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		text, section, key string
		line               int
		msg                string
	}{
		{"[supervisord]\n[program:cat]\ncommand=cat\nstartsecs=x\n", "program:cat", "startsecs", 4,
			"invalid literal for int() with base 10: 'x' for startsecs in section 'program:cat'"},
		{"[supervisord]\n\n[program:a]\ncommand=a\nstopsignal=FOO\n", "program:a", "stopsignal", 5,
			"value 'FOO' is not a valid signal name for stopsignal in section 'program:a'"},
		{"[supervisord]\n[program:a]\ndirectory=/\n", "program:a", "command", 2,
			"program section program:a does not specify a command in section 'program:a'"},
		{"[supervisord]\nloglevel = loud\n", "supervisord", "loglevel", 2, "bad logging level name 'loud'"},
		{"[supervisord]\n[program:a]\ncommand=a %(x)s\n", "program:a", "command", 3,
			"Format string 'a %(x)s' for 'program:a.command' contains names ('x') which cannot be expanded."},
	} {
		p := write(t, dir, "c.conf", c.text)
		_, err := Load(p)
		var ce *Error
		if !errors.As(err, &ce) {
			t.Fatalf("%q: error %v is not *Error", c.text, err)
		}
		if ce.Section != c.section || ce.Key != c.key || ce.Line != c.line || ce.File != p {
			t.Errorf("%q: got %+v", c.text, ce)
		}
		if !strings.HasPrefix(err.Error(), c.msg) || !strings.HasSuffix(err.Error(), "line "+itoa(c.line)+")") {
			t.Errorf("%q: text %q", c.text, err)
		}
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

func TestParseErrorText(t *testing.T) {
	p := write(t, t.TempDir(), "bad.conf", "[supervisord]\nnovalue\n[program:a]\ncommand=a\n=v")
	_, err := Load(p)
	want := "Source contains parsing errors: '" + p + "'\n\t[line  2]: 'novalue\\n'\n\t[line  5]: '=v'"
	if err == nil || err.Error() != want {
		t.Errorf("got  %v\nwant %s", err, want)
	}
	p = write(t, t.TempDir(), "nohdr.conf", "x=1\n")
	_, err = Load(p)
	want = "File contains no section headers.\nfile: '" + p + "', line: 1\n'x=1\\n'"
	if err == nil || err.Error() != want {
		t.Errorf("got  %v\nwant %s", err, want)
	}
	if _, err := Load(filepath.Join(t.TempDir(), "missing.conf")); err == nil || !strings.HasPrefix(err.Error(), "could not find config file ") {
		t.Errorf("got %v", err)
	}
}

func TestInclude(t *testing.T) {
	dir := t.TempDir()
	main := write(t, dir, "supervisord.conf", "[supervisord]\nlogfile=%(here)s/sd.log\n[include]\nfiles = conf.d/*.conf ; comment\n  missing/*.conf\n")
	write(t, dir, "conf.d/b.conf", "[program:b]\ncommand=b %(here)s\n")
	write(t, dir, "conf.d/a.conf", "[program:a]\ncommand=a\n[include]\nfiles=../never.conf\n")
	write(t, dir, "conf.d/.hidden.conf", "[program:hidden]\ncommand=h\n")
	write(t, dir, "never.conf", "[program:never]\ncommand=n\n")
	cfg, err := Load(main)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.File != main || cfg.Here != dir {
		t.Errorf("File %q Here %q", cfg.File, cfg.Here)
	}
	want := []string{filepath.Join(dir, "conf.d/a.conf"), filepath.Join(dir, "conf.d/b.conf")}
	if !reflect.DeepEqual(cfg.IncludedFiles, want) {
		t.Errorf("included %v, want %v", cfg.IncludedFiles, want)
	}
	var names []string
	for _, g := range cfg.Groups {
		names = append(names, g.Name)
	}
	if !reflect.DeepEqual(names, []string{"a", "b"}) {
		t.Errorf("groups %v", names)
	}
	if got := cfg.Groups[1].Processes[0].Command; got != "b "+filepath.Join(dir, "conf.d") {
		t.Errorf("%%(here)s in an included file: %q", got)
	}
	if cfg.Supervisord.Logfile != filepath.Join(dir, "sd.log") {
		t.Errorf("logfile %q", cfg.Supervisord.Logfile)
	}
	if len(cfg.Warnings) != 1 || cfg.Warnings[0] != `No file matches via include "`+dir+`/missing/*.conf"` {
		t.Errorf("warnings %q", cfg.Warnings)
	}
}

func TestGroupsAndOrder(t *testing.T) {
	p := write(t, t.TempDir(), "s.conf", `[supervisord]
[program:w]
command=w
process_name=w_%(process_num)s
numprocs=3
numprocs_start=9
[group:g]
programs=x,y
priority=5
[program:x]
command=x
priority=2
[program:y]
command=y
priority=1
[eventlistener:e]
command=e
events=TICK_5
`)
	cfg, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, g := range cfg.Groups {
		s := g.Name + ":"
		for _, q := range g.Processes {
			s += q.Name + ","
		}
		got = append(got, s)
	}
	// Listeners default to priority -1; group members keep their order in
	// programs=; numprocs names sort as strings, as 4.2 sorts them.
	want := []string{"e:e,", "g:x,y,", "w:w_10,w_11,w_9,"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	if cfg.Groups[1].Kind != KindGroup || cfg.Groups[0].Kind != KindEventListener || !cfg.Groups[0].Processes[0].IsEventListener {
		t.Errorf("kinds wrong: %+v", cfg.Groups)
	}
}

func TestProgramInTwoGroups(t *testing.T) {
	p := write(t, t.TempDir(), "s.conf", "[supervisord]\n[group:g1]\nprograms=a\n[group:g2]\nprograms=a\n[program:a]\ncommand=a\n")
	_, err := Load(p)
	if err == nil || !strings.Contains(err.Error(), "[program:a] is named in both [group:g1] and [group:g2]") {
		t.Errorf("got %v", err)
	}
}

func TestLoadClient(t *testing.T) {
	dir := t.TempDir()
	p := write(t, dir, "s.conf", "[supervisorctl]\nserverurl=unix://%(here)s/../x.sock\nusername=u\npassword=p\nprompt=hi\nhistory_file=~/.h\n"+
		"[program:bad]\nstartsecs=x\n")
	cfg, err := LoadClient(p)
	if err != nil {
		t.Fatal(err)
	}
	c := cfg.Supervisorctl
	if c.ServerURL != "unix://"+filepath.Join(filepath.Dir(dir), "x.sock") || c.Username != "u" || c.Password != "p" || c.Prompt != "hi" {
		t.Errorf("got %+v", c)
	}
	if !strings.HasSuffix(c.HistoryFile, "/.h") || !filepath.IsAbs(c.HistoryFile) {
		t.Errorf("history %q", c.HistoryFile)
	}
	p = write(t, dir, "d.conf", "[supervisorctl]\n")
	if cfg, err = LoadClient(p); err != nil || cfg.Supervisorctl.ServerURL != "http://localhost:9001" || cfg.Supervisorctl.Prompt != "supervisor" {
		t.Errorf("defaults: %+v %v", cfg, err)
	}
	p = write(t, dir, "n.conf", "[supervisord]\n")
	if _, err = LoadClient(p); err == nil || err.Error() != ".ini file does not include supervisorctl section (file: '"+p+"')" {
		t.Errorf("got %v", err)
	}
}

func TestClientDifferential(t *testing.T) {
	dir := t.TempDir()
	files := []string{
		write(t, dir, "a.conf", "[supervisorctl]\nserverurl=unix://%(here)s/x.sock\nusername=%(ENV_HOME)s\nhistory_file=%(here)s/h\n[program:bad]\nstartsecs=x\n"),
		write(t, dir, "b.conf", "[supervisorctl]\n"),
		write(t, dir, "c.conf", "[supervisord]\n"),
		write(t, dir, "d.conf", "[DEFAULT]\nprompt=p\n[supervisorctl]\nserverurl=http://127.0.0.1:9001\n"),
	}
	want := oracle(t, "client", files...)
	for i, f := range files {
		cfg, err := LoadClient(f)
		if pyErr, ok := want[i]["error"]; ok {
			if err == nil {
				t.Errorf("%s: accepted, Python: %v", f, pyErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		c := cfg.Supervisorctl
		got := map[string]any{"serverurl": c.ServerURL, "username": nilIfEmpty(c.Username), "password": nilIfEmpty(c.Password),
			"prompt": c.Prompt, "history_file": nilIfEmpty(c.HistoryFile)}
		if !reflect.DeepEqual(jsonRoundTrip(t, got), jsonRoundTrip(t, want[i])) {
			t.Errorf("%s: ours %v, python %v", f, got, want[i])
		}
	}
}

func FuzzLoad(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/load/*.conf")
	more, _ := filepath.Glob("testdata/ini/*.ini")
	for _, s := range append(seeds, more...) {
		if b, err := os.ReadFile(s); err == nil {
			f.Add(string(b))
		}
	}
	dir := f.TempDir()
	p := filepath.Join(dir, "f.conf")
	f.Fuzz(func(t *testing.T, text string) {
		if strings.Contains(text, "[include]") || strings.Contains(strings.ToLower(text), "numprocs") {
			// Keep the fuzzer away from the file system and from
			// legitimately huge process lists (numprocs=10000000).
			return
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		cfg, err := Load(p)
		if err != nil {
			var ce *Error
			if !errors.As(err, &ce) || err.Error() == "" {
				t.Fatalf("rejection is not a *config.Error: %T %v", err, err)
			}
			return
		}
		if cfg == nil {
			t.Fatal("nil config without error")
		}
		client, err := LoadClient(p)
		if err != nil {
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("client rejection is not a *config.Error: %T %v", err, err)
			}
			return
		}
		// LoadClient reads only the client's sections; what it finds there
		// must be what the full read found.
		if !reflect.DeepEqual(client.Supervisorctl, cfg.Supervisorctl) {
			t.Fatalf("LoadClient [supervisorctl] = %+v, Load = %+v", client.Supervisorctl, cfg.Supervisorctl)
		}
		if !reflect.DeepEqual(client.CtlPlugins, cfg.CtlPlugins) {
			t.Fatalf("LoadClient ctlplugins = %+v, Load = %+v", client.CtlPlugins, cfg.CtlPlugins)
		}
	})
}

// FuzzINI checks the ini layer: no panic, and the values go-ini hands back
// are exactly the ones the line classifier produced.
func FuzzINI(f *testing.F) {
	more, _ := filepath.Glob("testdata/ini/*.ini")
	for _, s := range more {
		if b, err := os.ReadFile(s); err == nil {
			f.Add(string(b))
		}
	}
	f.Add("[s]\nk=\"\"\"x\"\"\"\n`q`=`v`\n-=1\n")
	f.Fuzz(func(t *testing.T, text string) {
		heads, entries, err := classify("f", text)
		if err != nil {
			return
		}
		d := newIniDoc()
		if err := d.read("f", text); err != nil {
			t.Fatalf("classified but not stored: %v", err)
		}
		_ = heads
		want := map[[2]string]string{}
		for _, e := range entries {
			want[[2]string{e.section, e.key}] = joinValue(e.value)
		}
		for k, v := range want {
			sec := k[0]
			if sec == defaultSection {
				continue
			}
			got, ok := d.Get(sec, k[1])
			if !ok || got != v {
				t.Fatalf("[%s] %q: go-ini gave %q (%v), want %q", sec, k[1], got, ok, v)
			}
		}
	})
}

// One file that reopens a section and assigns a key twice: sections and
// keys keep their first-appearance order, the later value wins, and a
// key of the reopened section's first part stays (configparser's rules).
func TestReopenedSectionInOneFile(t *testing.T) {
	d := newIniDoc()
	text := "[DEFAULT]\nd = 1\n[a]\nx = 1\ny = 2\n[b]\nz = 3\n[DEFAULT]\ne = 6\n[a]\nx = 9\nw = 4\n[c]\n"
	if err := d.read("f.conf", text); err != nil {
		t.Fatal(err)
	}
	if got, want := d.Sections(), []string{"a", "b", "c"}; !reflect.DeepEqual(got, want) {
		t.Errorf("sections %v, want %v", got, want)
	}
	if got, want := d.Options("a"), []string{"x", "y", "w", "d", "e"}; !reflect.DeepEqual(got, want) {
		t.Errorf("options of a %v, want %v", got, want)
	}
	for _, c := range []struct{ sec, key, want string }{{"a", "x", "9"}, {"a", "y", "2"}, {"a", "w", "4"}, {"b", "z", "3"}, {"c", "d", "1"}, {"c", "e", "6"}} {
		if v, ok := d.Get(c.sec, c.key); !ok || v != c.want {
			t.Errorf("%s.%s = %q, %v; want %q", c.sec, c.key, v, ok, c.want)
		}
	}
	// Get remembers the sections it looked at last: a section asked for
	// before it existed, or before it had keys, shows what is added later.
	if v, ok := d.Get("d", "q"); ok {
		t.Fatalf("d.q before the second file = %q", v)
	}
	if v, ok := d.Get("c", "set"); ok {
		t.Fatalf("c.set before Set = %q", v)
	}
	d.Set("c", "set", "s")
	if v, ok := d.Get("c", "set"); !ok || v != "s" {
		t.Errorf("c.set after Set = %q, %v; want s", v, ok)
	}
	// A second file merges over the first, reopening sections of its own
	// and of the first file's, DEFAULT included.
	if err := d.read("g.conf", "[a]\ny = 7\n[d]\nq = 5\n[DEFAULT]\nd = 2\n[a]\nv = 8\n[d]\nq = 6\n"); err != nil {
		t.Fatal(err)
	}
	if got, want := d.Options("a"), []string{"x", "y", "w", "v", "d", "e"}; !reflect.DeepEqual(got, want) {
		t.Errorf("options of a after the second file %v, want %v", got, want)
	}
	for _, c := range []struct{ sec, key, want string }{{"a", "v", "8"}, {"d", "q", "6"}, {"b", "d", "2"}, {"d", "e", "6"}} {
		if v, ok := d.Get(c.sec, c.key); !ok || v != c.want {
			t.Errorf("after the second file %s.%s = %q, %v; want %q", c.sec, c.key, v, ok, c.want)
		}
	}
	// go-ini holds one section per name (it is told not to look for an
	// earlier one: a second would hide the first's keys from Get).
	for _, name := range []string{"DEFAULT", "a", "b", "c", "d"} {
		if secs, err := d.f.SectionsByName(name); err != nil || len(secs) != 1 {
			t.Errorf("go-ini holds %d sections named %q (%v), want 1", len(secs), name, err)
		}
	}
	if v, _ := d.Get("a", "y"); v != "7" {
		t.Errorf("a.y after the second file = %q, want 7", v)
	}
	if v, _ := d.Get("a", "x"); v != "9" {
		t.Errorf("a.x after the second file = %q, want 9", v)
	}
	if got, want := d.Sections(), []string{"a", "b", "c", "d"}; !reflect.DeepEqual(got, want) {
		t.Errorf("sections %v, want %v", got, want)
	}
}

// With numprocs, each process's environment= sees supervisord's ENV_x
// again, not what the previous process's environment set under the same
// name (4.2 updates its shared expansions with its environ before each
// process); names only a program's environment set stay for the next.
// Checked against 4.2.5's ServerOptions: FOO="xsup" for every process.
func TestNumprocsEnvExpansionsStartOverFromSupervisord(t *testing.T) {
	t.Setenv("FOO", "sup")
	t.Setenv("BAR", "sb")
	dir := t.TempDir()
	conf := write(t, dir, "s.conf", `[supervisord]
logfile=`+dir+`/d.log

[program:w]
command=/bin/true
numprocs=3
process_name=%(program_name)s_%(process_num)d
environment=FOO="x%(ENV_FOO)s",BAR="y%(process_num)d",ONLY="%(process_num)d"
directory=/tmp/%(ENV_FOO)s/%(ENV_BAR)s/%(ENV_ONLY)s
`)
	cfg, err := Load(conf)
	if err != nil {
		t.Fatal(err)
	}
	ps := cfg.Groups[0].Processes
	if len(ps) != 3 {
		t.Fatalf("%d processes", len(ps))
	}
	for i, p := range ps {
		want := map[string]string{"FOO": "xsup", "BAR": fmt.Sprintf("y%d", i), "ONLY": fmt.Sprint(i)}
		if !reflect.DeepEqual(p.Environment, want) {
			t.Errorf("%s: environment %v, want %v", p.Name, p.Environment, want)
		}
		if d := fmt.Sprintf("/tmp/xsup/y%d/%d", i, i); p.Directory != d {
			t.Errorf("%s: directory %q, want %q", p.Name, p.Directory, d)
		}
	}
}
