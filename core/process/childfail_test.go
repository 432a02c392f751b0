package process

import (
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// runRetry runs the retry child for the given steps with a pipe as its
// stderr and returns what it wrote and its exit status.
func runRetry(t *testing.T, filename string, argv []string, dir string, setuidErr string) (string, int) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	null, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer null.Close()
	attr := &syscall.ProcAttr{
		Dir:   dir,
		Env:   []string{"PATH=/usr/bin:/bin"},
		Files: []uintptr{null.Fd(), null.Fd(), w.Fd()},
		Sys:   &syscall.SysProcAttr{Setpgid: true},
	}
	pid, err := retryInChild(filename, argv, attr, nil, 4242, setuidErr)
	w.Close()
	if err != nil {
		t.Fatal(err)
	}
	out, _ := io.ReadAll(r)
	var ws syscall.WaitStatus
	if _, err := syscall.Wait4(pid, &ws, 0, nil); err != nil {
		t.Fatal(err)
	}
	return string(out), ws.ExitStatus()
}

// The retry child writes 4.2's message for the step that failed, then
// "child process was not spawned", and exits 127.
func TestRetryChildReportsTheFailedStep(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o755); err != nil {
		t.Fatal(err)
	}
	const tail = "supervisor: child process was not spawned\n"
	for _, c := range []struct {
		name, filename, dir, setuidErr, want string
	}{
		{"setuid", "/bin/true", "", "Can't drop privilege as nonroot user",
			"supervisor: couldn't setuid to 4242: Can't drop privilege as nonroot user\n"},
		{"chdir", "/bin/true", filepath.Join(dir, "missing"), "",
			"supervisor: couldn't chdir to " + filepath.Join(dir, "missing") + ": ENOENT\n"},
		{"chdir to a file", "/bin/true", file, "", "supervisor: couldn't chdir to " + file + ": ENOTDIR\n"},
		{"exec", file, dir, "", "supervisor: couldn't exec prog: ENOEXEC\n"},
	} {
		t.Run(c.name, func(t *testing.T) {
			out, code := runRetry(t, c.filename, []string{"prog"}, c.dir, c.setuidErr)
			if out != c.want+tail || code != 127 {
				t.Errorf("wrote %q and exited %d, want %q and 127", out, code, c.want+tail)
			}
		})
	}
}

// When the steps succeed on the retry, the program itself runs.
func TestRetryChildExecsWhenTheStepsSucceed(t *testing.T) {
	out, code := runRetry(t, "/bin/sh", []string{"sh", "-c", "pwd >&2; exit 7"}, "/", "")
	if out != "/\n" || code != 7 {
		t.Errorf("wrote %q and exited %d, want %q and 7", out, code, "/\n")
	}
}
