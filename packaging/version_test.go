package packaging

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"
)

// TestVersionFromGitDescribe runs version.sh in a repository of its own
// through the life of a release: no tag yet, on a tag, commits after it,
// uncommitted changes; each as super's version and as a Debian version
// that sorts the same way.
func TestVersionFromGitDescribe(t *testing.T) {
	root := repoRoot(t)
	repo := t.TempDir()
	for _, f := range []string{"packaging/version.sh", "core/version/version.go"} {
		b, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			t.Fatal(err)
		}
		os.MkdirAll(filepath.Join(repo, filepath.Dir(f)), 0o755)
		if err := os.WriteFile(filepath.Join(repo, f), b, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	git := func(args ...string) string {
		return run(t, repo, []string{"GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@t", "GIT_COMMITTER_NAME=t",
			"GIT_COMMITTER_EMAIL=t@t", "GIT_CONFIG_GLOBAL=/dev/null"}, "git", args...)
	}
	versions := func() (string, string) {
		v := run(t, repo, nil, "packaging/version.sh")
		d := run(t, repo, nil, "packaging/version.sh", "--deb")
		return v[:len(v)-1], d[:len(d)-1]
	}
	check := func(when string, wantV, wantDeb *regexp.Regexp) (string, string) {
		t.Helper()
		v, d := versions()
		if !wantV.MatchString(v) || !wantDeb.MatchString(d) {
			t.Errorf("%s: version %q, Debian version %q; want %v and %v", when, v, d, wantV, wantDeb)
		}
		return v, d
	}

	// Not a git checkout: core/version's own.
	check("outside git", regexp.MustCompile(`^0\.1\.0-dev$`), regexp.MustCompile(`^0\.1\.0~dev$`))

	git("init", "-q")
	git("add", ".")
	git("commit", "-q", "-m", "one")
	git("commit", "-q", "--allow-empty", "-m", "two")
	_, dev := check("before any tag", regexp.MustCompile(`^0\.1\.0-dev-2-g[0-9a-f]{7,}$`), regexp.MustCompile(`^0\.1\.0~dev\+2\.g[0-9a-f]{7,}$`))

	git("tag", "v0.1.0")
	_, rel := check("on the tag", regexp.MustCompile(`^0\.1\.0$`), regexp.MustCompile(`^0\.1\.0$`))

	git("commit", "-q", "--allow-empty", "-m", "three")
	_, after := check("after the tag", regexp.MustCompile(`^0\.1\.0-1-g[0-9a-f]{7,}$`), regexp.MustCompile(`^0\.1\.0\+1\.g[0-9a-f]{7,}$`))

	os.WriteFile(filepath.Join(repo, "core/version/version.go"), []byte("package version\n"), 0o644)
	check("with changes", regexp.MustCompile(`^0\.1\.0-1-g[0-9a-f]{7,}-dirty$`), regexp.MustCompile(`^0\.1\.0\+1\.g[0-9a-f]{7,}\+dirty$`))

	// dpkg orders them as they were made: the development build before
	// the release, the release before what came after it.
	run(t, "", nil, "dpkg", "--compare-versions", dev, "lt", rel)
	run(t, "", nil, "dpkg", "--compare-versions", rel, "lt", after)
}
