// Package testbin gives black-box tests the real super binary.
//
// `make test` builds bin/super first and exports SUPER_BIN; a plain
// `go test` builds the binary once per test process into a temp dir. Tests
// call the applets through symlinks, exactly as users do.
package testbin

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
)

var (
	once     sync.Once
	dir      string
	built    bool // dir is a temp dir of this process's, not SUPER_BIN's
	buildErr error
)

// Dir returns a directory holding super and its applet symlinks
// (supervisord, supervisorctl, pidproxy, echo_supervisord_conf).
func Dir(t testing.TB) string {
	t.Helper()
	once.Do(func() {
		if bin := os.Getenv("SUPER_BIN"); bin != "" {
			dir = filepath.Dir(bin)
			return
		}
		d, err := os.MkdirTemp("", "super-testbin-")
		if err != nil {
			buildErr = err
			return
		}
		_, file, _, _ := runtime.Caller(0)
		root := filepath.Join(filepath.Dir(file), "..", "..")
		cmd := exec.Command("go", "build", "-o", filepath.Join(d, "super"), ".")
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = &buildError{err, string(out)}
			return
		}
		for _, name := range []string{"supervisord", "supervisorctl", "pidproxy", "echo_supervisord_conf"} {
			if err := os.Symlink("super", filepath.Join(d, name)); err != nil {
				buildErr = err
				return
			}
		}
		dir, built = d, true
	})
	if buildErr != nil {
		t.Fatalf("building super: %v", buildErr)
	}
	return dir
}

// Cleanup removes the binary Dir built for this test process (never
// SUPER_BIN's). Call it from TestMain after m.Run.
func Cleanup() {
	if built {
		os.RemoveAll(dir)
	}
}

// Path returns the path of one applet (or "super").
func Path(t testing.TB, name string) string {
	t.Helper()
	return filepath.Join(Dir(t), name)
}

type buildError struct {
	err error
	out string
}

func (e *buildError) Error() string { return e.err.Error() + "\n" + e.out }
