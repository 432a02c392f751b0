package config

import (
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

// commentedSetting matches a commented-out section header or key in the
// sample; uncommenting them all switches every documented setting on.
var commentedSetting = regexp.MustCompile(`(?m)^;(\[[^]]+\]|[a-z_.]+ ?=)`)

// sampleIn writes the sample, its /tmp paths pointed into dir, and
// returns its path.
func sampleIn(t *testing.T, dir, name string, uncomment bool) string {
	t.Helper()
	s := strings.ReplaceAll(Sample, "/tmp/", dir+"/")
	if uncomment {
		s = commentedSetting.ReplaceAllString(s, "$1")
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestSampleEverySettingLoads(t *testing.T) {
	dir := t.TempDir()
	cfg, err := Load(sampleIn(t, dir, "plain.conf", false))
	if err != nil {
		t.Fatalf("the sample as printed does not load: %v", err)
	}
	if cfg.UnixHTTP == nil || cfg.UnixHTTP.File != filepath.Join(dir, "supervisor.sock") ||
		cfg.Supervisorctl.ServerURL != "unix://"+filepath.Join(dir, "supervisor.sock") || len(cfg.Groups) != 0 {
		t.Errorf("plain sample loaded as %+v", cfg)
	}

	cfg, err = Load(sampleIn(t, dir, "full.conf", true))
	if err != nil {
		t.Fatalf("the sample with every setting switched on does not load: %v", err)
	}
	var names []string
	for _, g := range cfg.Groups {
		names = append(names, g.Name)
	}
	// The group takes the program and the fcgi-program; the listener pool
	// has a default priority of -1, so it comes first.
	if !reflect.DeepEqual(names, []string{"theeventlistenername", "thegroupname"}) {
		t.Errorf("groups %q", names)
	}
	if cfg.InetHTTP == nil || cfg.InetHTTP.Port != 9001 {
		t.Errorf("inet_http_server %+v", cfg.InetHTTP)
	}
}

// The program keys the sample shows with their defaults must be the
// defaults: a program with only those keys equals one with none.
func TestSampleProgramDefaults(t *testing.T) {
	start := strings.Index(Sample, ";[program:theprogramname]\n")
	end := strings.Index(Sample[start:], "\n\n")
	if start < 0 || end < 0 {
		t.Fatal("no program section in the sample")
	}
	section := commentedSetting.ReplaceAllString(Sample[start:start+end], "$1")
	// Keys that show an example rather than a default.
	examples := map[string]bool{"directory": true, "umask": true, "user": true, "environment": true}
	var kept []string
	for _, line := range strings.Split(section, "\n") {
		key, _, found := strings.Cut(line, "=")
		if found && examples[strings.TrimSpace(key)] {
			continue
		}
		kept = append(kept, line)
	}
	dir := t.TempDir()
	load := func(name, body string) *ProcessConfig {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte("[supervisord]\n"+body+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		cfg, err := Load(path)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return cfg.Groups[0].Processes[0]
	}
	shown := load("shown.conf", strings.Join(kept, "\n"))
	bare := load("bare.conf", "[program:theprogramname]\ncommand=/bin/cat")
	if !reflect.DeepEqual(shown, bare) {
		t.Errorf("the sample's program defaults differ from the real ones:\nsample %+v\ndefault %+v", shown, bare)
	}
}
