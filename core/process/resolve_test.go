package process

import (
	"os"
	"path/filepath"
	"testing"

	"super/core/config"
)

// The command lookup of 4.2's get_execv_args: the first directory of the
// search that has the name wins, whatever it is; then a directory, a
// file without execute bits and a missing file each get their message.
// Links are followed.
func TestResolveInAsGetExecvArgs(t *testing.T) {
	dir := t.TempDir()
	mk := func(rel string, mode os.FileMode) string {
		t.Helper()
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("#!/bin/sh\n"), mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	a, b, c := filepath.Join(dir, "a"), filepath.Join(dir, "b"), filepath.Join(dir, "c")
	good := mk("b/prog", 0o755)
	mk("a/plain", 0o644)
	mk("b/plain", 0o755) // not reached: a/plain comes first
	if err := os.MkdirAll(filepath.Join(c, "adir"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(good, filepath.Join(c, "link")); err != nil {
		t.Fatal(err)
	}
	search := []string{filepath.Join(dir, "none"), a, b + "/", c}
	for _, tt := range []struct {
		command, file, msg string
	}{
		{"prog -x", good, ""},
		{"link", filepath.Join(c, "link"), ""},
		{good + " y", good, ""},
		{"plain", "", "command at '" + filepath.Join(a, "plain") + "' is not executable"},
		{"adir", "", "command at '" + filepath.Join(c, "adir") + "' is a directory"},
		{"missing", "", "can't find command 'missing'"},
		{filepath.Join(dir, "missing"), "", "can't find command '" + filepath.Join(dir, "missing") + "'"},
		{c, "", "command at '" + c + "' is a directory"},
	} {
		file, _, err := resolveIn(&config.ProcessConfig{Command: tt.command}, search)
		switch {
		case tt.msg == "" && (err != nil || file != tt.file):
			t.Errorf("%s: %q, %v; want %q", tt.command, file, err, tt.file)
		case tt.msg != "" && (err == nil || err.Error() != tt.msg):
			t.Errorf("%s: %v, want %q", tt.command, err, tt.msg)
		}
	}
}
