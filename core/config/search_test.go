package config

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestSearchPathsFollowPython(t *testing.T) {
	// Expected values are 4.2's searchpaths for the same sys.argv[0].
	for _, c := range []struct {
		argv0 string
		want  []string
	}{
		{"/usr/bin/supervisord", []string{"/usr/etc/supervisord.conf", "/usr/supervisord.conf",
			"supervisord.conf", "etc/supervisord.conf", "/etc/supervisord.conf", "/etc/supervisor/supervisord.conf"}},
		{"/supervisord", []string{"/etc/supervisord.conf", "/supervisord.conf",
			"supervisord.conf", "etc/supervisord.conf", "/etc/supervisord.conf", "/etc/supervisor/supervisord.conf"}},
		{"bin/supervisord", []string{"etc/supervisord.conf", "supervisord.conf",
			"supervisord.conf", "etc/supervisord.conf", "/etc/supervisord.conf", "/etc/supervisor/supervisord.conf"}},
		{"/opt/super/bin/supervisord", []string{"/opt/super/etc/supervisord.conf", "/opt/super/supervisord.conf",
			"supervisord.conf", "etc/supervisord.conf", "/etc/supervisord.conf", "/etc/supervisor/supervisord.conf"}},
	} {
		if got := SearchPaths(c.argv0); !slices.Equal(got, c.want) {
			t.Errorf("SearchPaths(%q) =\n%q\nwant\n%q", c.argv0, got, c.want)
		}
	}
}

// A bare program name is resolved to the running executable, so the first
// path is relative to its installation prefix, never to the working
// directory.
func TestSearchPathsBareName(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Skip(err)
	}
	prefix := filepath.Dir(filepath.Dir(self))
	got := SearchPaths("no-such-program-on-path")
	if want := pyJoin(prefix, "etc/supervisord.conf"); got[0] != want {
		t.Errorf("first path = %q, want %q", got[0], want)
	}
}

func TestFindConfigFileOrder(t *testing.T) {
	dir := t.TempDir()
	a, b, c := filepath.Join(dir, "a"), filepath.Join(dir, "b"), filepath.Join(dir, "c")
	for _, p := range []string{b, c} {
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(filepath.Join(dir, "missing"), a); err != nil {
		t.Fatal(err)
	}
	if got := FindConfigFile([]string{a, b, c}); got != b {
		t.Errorf("FindConfigFile = %q, want %q (dangling symlinks do not count)", got, b)
	}
	if got := FindConfigFile([]string{a, filepath.Join(dir, "nope")}); got != "" {
		t.Errorf("FindConfigFile = %q, want none", got)
	}
}

func TestNotFoundMessage(t *testing.T) {
	got := NotFoundMessage([]string{"x.conf", "/etc/y.conf"})
	want := "No config file found at default paths (x.conf, /etc/y.conf); use the -c option to specify a config file at a different path"
	if got != want {
		t.Errorf("got %q", got)
	}
}
