package testbin

import (
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"testing"
)

// RealworldEnv names a directory of real-world supervisord.conf files to
// use instead of the default: shared/realworld-configs beside the
// repository (they are reference data, kept out of the repository).
const RealworldEnv = "SUPER_REALWORLD_CONFIGS"

// RealworldConfigs returns the real-world configs (NNN.conf, in order)
// and their directory: $SUPER_REALWORLD_CONFIGS, else
// ../shared/realworld-configs from the repository's root (from the main
// checkout's when this is a linked worktree). When the directory does
// not exist the test is skipped, saying where it looked.
func RealworldConfigs(t testing.TB) (dir string, files []string) {
	t.Helper()
	var tried []string
	if d := os.Getenv(RealworldEnv); d != "" {
		tried = append(tried, d)
	} else {
		_, file, _, _ := runtime.Caller(0)
		root := filepath.Join(filepath.Dir(file), "..", "..")
		tried = append(tried, filepath.Join(root, "..", "shared", "realworld-configs"))
		// A linked worktree's .git is a file naming the main checkout's
		// .git/worktrees/NAME.
		if b, err := os.ReadFile(filepath.Join(root, ".git")); err == nil {
			if gitdir, ok := strings.CutPrefix(strings.TrimSpace(string(b)), "gitdir: "); ok {
				if main, _, ok := strings.Cut(filepath.ToSlash(gitdir), "/.git/worktrees/"); ok {
					tried = append(tried, filepath.Join(filepath.FromSlash(main), "..", "shared", "realworld-configs"))
				}
			}
		}
	}
	for _, d := range tried {
		if st, err := os.Stat(d); err == nil && st.IsDir() {
			dir, _ = filepath.Abs(d)
			break
		}
	}
	if dir == "" {
		t.Skipf("no real-world configs: %s does not exist (set %s to a directory of them)",
			strings.Join(tried, " nor "), RealworldEnv)
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.conf"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("%s holds no *.conf files", dir)
	}
	sort.Strings(files)
	return dir, files
}

var (
	errLineRE = regexp.MustCompile(`(\(file: '(?:[^'\\]|\\.)*'), line \d+\)`)
	errKeyRE  = regexp.MustCompile(` for [\w.]+( in section ')`)
)

// MaskConfigLocation removes from super's text of a config error what it
// adds to 4.2's: the key before " in section" and the line after the
// file. What follows the location (super's advice) is left, so 4.2's
// text is a prefix of the result.
func MaskConfigLocation(msg string) string {
	msg = errLineRE.ReplaceAllString(msg, "$1)")
	return errKeyRE.ReplaceAllString(msg, "$1")
}
