package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"super/core/testbin"
)

// container_logs=true: every line a program writes shows up once on the
// daemon's stdout (stderr lines on its stderr) as "name | line", whole,
// in order, never cut by another program's output; no AUTO log files are
// made; a configured log file is still written; an event listener's
// stdout (its protocol) stays off the console.
func TestContainerLogs(t *testing.T) {
	t.Parallel()
	const n = 20000
	dir := t.TempDir()
	// awk writes in 4 KiB blocks, so lines arrive cut across chunks; the
	// two awks of a program run at once on its stdout and stderr. The
	// program then stays until stopped: output still in a pipe
	// process.DrainGrace after its program was reaped is dropped, and a
	// console read more slowly than awk writes (this test's reader on a
	// loaded machine) leaves up to a pipe's capacity behind; this test is
	// about the console, not that bound.
	script := filepath.Join(dir, "flood.sh")
	if err := os.WriteFile(script, []byte(fmt.Sprintf(`tag=$1
awk -v t=$tag 'BEGIN{for(i=0;i<%[1]d;i++) printf "out-%%s %%d %%s\n", t, i, substr("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", 1, i%%40)}' &
awk -v t=$tag 'BEGIN{for(i=0;i<%[1]d;i++) printf "err-%%s %%d\n", t, i}' | cat >&2
wait
exec sleep 3600
`, n)), 0o644); err != nil {
		t.Fatal(err)
	}
	flood := func(tag string) string { return "sh " + script + " " + tag }
	conf := strings.Replace(testbin.BaseConf(dir), "[supervisord]\n", "[supervisord]\ncontainer_logs=true\n", 1) + `
[program:a]
command=` + flood("a") + `
autorestart=false
startsecs=0

[group:grp]
programs=b

[program:b]
command=` + flood("b") + `
autorestart=false
startsecs=0
stdout_logfile=` + filepath.Join(dir, "b.log") + `

[program:merged]
command=sh -c 'echo to-out; echo to-err >&2; printf no-newline'
redirect_stderr=true
autorestart=false
startsecs=0

[eventlistener:listener]
command=sh -c 'echo listener-err >&2; printf "READY\n"; exec cat >/dev/null'
events=TICK_3600
`
	d := testbin.StartConfStdio(t, false, dir, conf)
	d.WaitState(t, "merged", "EXITED", 60*time.Second)
	d.WaitState(t, "listener:listener", "RUNNING", 60*time.Second)

	count := func(s, sub string) int { return strings.Count(s, sub) }
	complete := func() bool {
		out, errs := d.Stdout.String(), d.Stderr.String()
		return count(out, "a | out-a ")+count(out, "grp:b | out-b ") >= 2*n &&
			count(errs, "a | err-a ")+count(errs, "grp:b | err-b ") >= 2*n &&
			strings.Contains(out, "merged | no-newline\n") && strings.Contains(errs, "listener | listener-err\n")
	}
	if err := testbin.Poll(120*time.Second, complete); err != nil {
		out, errs := d.Stdout.String(), d.Stderr.String()
		t.Fatalf("not every line on the console: stdout has %d+%d program lines, stderr %d+%d; stdout ends:\n%s\nstderr ends:\n%s", count(out, "a | out-a "), count(out, "grp:b | out-b "),
			count(errs, "a | err-a "), count(errs, "grp:b | err-b "), tail(out, 600), tail(errs, 600))
	}
	// Stop the daemon so nothing more arrives while the output is checked.
	d.Stop()

	activity := regexp.MustCompile(`^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} [A-Z]+ `)
	check := func(stream, text string, want map[string]string) {
		t.Helper()
		next := map[string]int{}
		for _, line := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
			if activity.MatchString(line) {
				continue // the activity log, echoed on stdout with -n
			}
			name, body, ok := strings.Cut(line, " | ")
			tag, known := want[name]
			if !ok || !known {
				if stream == "stdout" && (line == "merged | to-out" || line == "merged | to-err" || line == "merged | no-newline") {
					continue
				}
				t.Errorf("%s: line not from a program, or cut: %q", stream, line)
				continue
			}
			if name == "listener" {
				if body != "listener-err" {
					t.Errorf("%s: listener line %q", stream, line)
				}
				continue
			}
			i := next[name]
			wantBody := fmt.Sprintf("%s %d", tag, i)
			if stream == "stdout" {
				wantBody += " " + strings.Repeat("x", i%40)
				wantBody = strings.TrimSuffix(wantBody, " ")
			}
			if strings.TrimSuffix(body, " ") != wantBody {
				t.Fatalf("%s: %s line %d is %q, want %q", stream, name, i, line, wantBody)
			}
			next[name]++
		}
		for name := range want {
			if name != "listener" && next[name] != n {
				t.Errorf("%s: %d lines of %s, want %d", stream, next[name], name, n)
			}
		}
	}
	out, errs := d.Stdout.String(), d.Stderr.String()
	check("stdout", out, map[string]string{"a": "out-a", "grp:b": "out-b"})
	check("stderr", errs, map[string]string{"a": "err-a", "grp:b": "err-b", "listener": ""})
	for _, want := range []string{"merged | to-out\n", "merged | to-err\n", "merged | no-newline\n"} {
		if count(out, want) != 1 {
			t.Errorf("stdout has %q %d times, want once (redirect_stderr, the last line flushed at exit)", want, count(out, want))
		}
	}
	if strings.Contains(out, "READY") {
		t.Errorf("the listener's protocol reached the console:\n%s", out)
	}

	// The configured log file is still written: the console is one more
	// sink, not a replacement.
	if got := len(lines(filepath.Join(dir, "b.log"))); got != n {
		t.Errorf("b.log has %d lines, want %d", got, n)
	}
	// container_logs makes unset *_logfile NONE: no AUTO files.
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.Contains(e.Name(), "---testsup-") {
			t.Errorf("AUTO log file created with container_logs=true: %s", e.Name())
		}
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}
