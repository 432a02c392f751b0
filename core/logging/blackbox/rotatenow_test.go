package blackbox

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"super/core/testbin"
)

// backupsOldestFirst lists path's backups (x.log.N or x.log.N.gz), the
// oldest first, then path.
func backupsOldestFirst(t *testing.T, path string) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Dir(path))
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`^` + regexp.QuoteMeta(filepath.Base(path)) + `\.(\d+)(\.gz)?$`)
	type backup struct {
		n    int
		name string
	}
	var bs []backup
	for _, e := range entries {
		if m := re.FindStringSubmatch(e.Name()); m != nil {
			n, _ := strconv.Atoi(m[1])
			bs = append(bs, backup{n, filepath.Join(filepath.Dir(path), e.Name())})
		}
	}
	sort.Slice(bs, func(i, j int) bool { return bs[i].n > bs[j].n })
	var out []string
	for i, b := range bs {
		if i > 0 && bs[i-1].n == b.n {
			t.Fatalf("backup %d exists compressed and not", b.n)
		}
		out = append(out, b.name)
	}
	return append(out, path)
}

// supervisorctl rotate and super.rotateLogs while a program writes 100 MB
// as fast as it can: the backups and the live file, in order, are exactly
// what it wrote — no byte lost, none doubled. (Compression during writes
// and rotations: TestCompressedBackups.)
func TestRotateDuring100MBWrite(t *testing.T) {
	t.Parallel()
	const parts, per = 10, 1200000 // seq 1 12000000: 100.9 MB
	dir := t.TempDir()
	out := dir + "/writer.log"
	// Ten bursts of seq, a moment apart, so rotations land inside the
	// write however fast the machine is.
	cmd := fmt.Sprintf(`sh -c 'i=0; while [ $i -lt %d ]; do seq $((i*%d+1)) $(((i+1)*%d)); i=$((i+1)); sleep 0.05; done'`, parts, per, per)
	conf := testbin.BaseConf(dir) + program("writer", cmd,
		"stdout_logfile="+out, "stdout_logfile_maxbytes=0", "stdout_logfile_backups=10000")
	d := testbin.StartConfEnv(t, dir, conf, nil)
	ctl := testbin.Path(t, "supervisorctl")
	c := d.Client(t)
	rotations := 0
	for d.StateOf(t, "writer") != "EXITED" {
		v, err := c.Call(context.Background(), "super.rotateLogs", "writer")
		if err != nil {
			t.Fatal(err)
		}
		res := v.([]any)[0].(map[string]any)
		if res["status"] != 80 || res["name"] != "writer" {
			t.Fatalf("super.rotateLogs(writer) = %v", v)
		}
		rotations++
		if rotations%10 == 0 {
			if got, err := exec.Command(ctl, "-c", d.Conf, "rotate", "writer").CombinedOutput(); err != nil || string(got) != "writer: rotated\n" {
				t.Fatalf("supervisorctl rotate writer: %v %q", err, got)
			}
		}
	}
	files := backupsOldestFirst(t, out)
	if len(files) < 10 {
		t.Fatalf("%d files after %d rotation requests: the rotations did not land inside the write", len(files), rotations)
	}
	// The backups and the live file, in order, are seq's output.
	want := filepath.Join(dir, "want")
	if b, err := exec.Command("sh", "-c", "seq 1 "+strconv.Itoa(parts*per)+" > "+want).CombinedOutput(); err != nil {
		t.Fatalf("%v %s", err, b)
	}
	if b, err := exec.Command("sh", append([]string{"-c", `cat "$@" | cmp - ` + want, "sh"}, files...)...).CombinedOutput(); err != nil {
		t.Fatalf("the %d backups and the live file are not what the program wrote: %v %s", len(files)-1, err, b)
	}
}

// supervisorctl rotate: one name, a group, several, all (the main log
// too), an unknown name; the output and exit status of each.
func TestCtlRotate(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	conf := testbin.BaseConf(dir) +
		program("a", `sh -c 'echo a; exec sleep 1000'`, "stdout_logfile="+dir+"/a.log") +
		"[group:g]\nprograms=b,none\n\n" +
		program("b", `sh -c 'echo b >&2; exec sleep 1000'`, "stdout_logfile="+dir+"/b.log", "stderr_logfile="+dir+"/b.err") +
		program("none", "sleep 1000", "stdout_logfile=NONE", "stderr_logfile=NONE")
	d := testbin.StartConfEnv(t, dir, conf, nil)
	for _, n := range []string{"a", "g:b", "g:none"} {
		d.WaitState(t, n, "RUNNING", 30*time.Second)
	}
	waitFor(t, 30*time.Second, func() bool {
		a, _ := os.ReadFile(dir + "/a.log")
		b, _ := os.ReadFile(dir + "/b.err")
		return string(a) == "a\n" && string(b) == "b\n"
	}, func() string { return "no output" })
	ctl := testbin.Path(t, "supervisorctl")
	run := func(args ...string) (string, int) {
		cmd := exec.Command(ctl, append([]string{"-c", d.Conf}, args...)...)
		b, _ := cmd.CombinedOutput()
		return string(b), cmd.ProcessState.ExitCode()
	}
	for _, c := range []struct {
		args []string
		out  string
		code int
	}{
		{[]string{"rotate", "a"}, "a: rotated\n", 0},
		{[]string{"rotate", "g:*"}, "g:b: rotated\ng:none: ERROR (no log file)\n", 1},
		{[]string{"rotate", "nope", "a"}, "nope: ERROR (no such process)\na: rotated\n", 1},
		{[]string{"rotate", "all"}, "a: rotated\ng:b: rotated\ng:none: ERROR (no log file)\nsupervisord: rotated\n", 1},
		{[]string{"rotate"}, "Error: rotate requires a process name\n", 1},
	} {
		out, code := run(c.args...)
		if len(c.args) == 1 && strings.HasPrefix(out, c.out) {
			out = c.out // rotate's help follows the error
		}
		if out != c.out || code != c.code {
			t.Errorf("supervisorctl %v: %q, exit %d; want %q, exit %d", c.args, out, code, c.out, c.code)
		}
	}
	if b, _ := os.ReadFile(dir + "/a.log.1"); string(b) != "a\n" {
		t.Errorf("a.log.1 = %q", b)
	}
	if b, _ := os.ReadFile(dir + "/b.err.1"); string(b) != "b\n" {
		t.Errorf("b.err.1 = %q", b)
	}
	if _, err := os.Stat(dir + "/a.log.2"); err == nil {
		t.Errorf("an empty log was rotated again")
	}
	if _, err := os.Stat(dir + "/supervisord.log.1"); err != nil {
		t.Errorf("rotate all left the activity log: %v", err)
	}
	// help rotate explains it.
	if out, _ := run("help", "rotate"); !strings.Contains(out, "rotate all\t\tRotate every process' log files and the main log") {
		t.Errorf("help rotate: %q", out)
	}
}
