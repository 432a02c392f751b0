package blackbox

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"super/core/testbin"
)

// consoleLine is one line of container_logs_format=json.
type consoleLine struct {
	Time    string `json:"time"`
	Program string `json:"program"`
	Group   string `json:"group"`
	Process string `json:"process"`
	Stream  string `json:"stream"`
	Level   string `json:"level"`
	Line    string `json:"line"`
}

// pyJSONCheck reads the daemon's stdout with Python's json module and
// checks every program line against what the program wrote, decoded with
// Python's own "backslashreplace": prints "ok" and the line counts, or
// the first problem.
const pyJSONCheck = `
import json, sys
want_keys = {"time", "program", "group", "process", "stream", "line"}
counts = {}
for raw in open(sys.argv[1], "rb").read().split(b"\n")[:-1]:
    obj = json.loads(raw.decode("utf-8"))
    if obj.get("program") == "supervisord":
        if set(obj) != want_keys | {"level"}:
            sys.exit("activity line keys: %r" % raw)
        continue
    if set(obj) != want_keys or obj["stream"] != "stdout":
        sys.exit("keys: %r" % raw)
    name = obj["process"]
    i = counts.get(name, 0)
    tag = name.split("_")[0]
    body = ("%s %d " % (tag, i)).encode() + b"\xff\xfe caf\xc3\xa9 \x22q\x22 \\ \x01 " + b"x" * (i % 40)
    if obj["line"] != body.decode("utf-8", "backslashreplace"):
        sys.exit("%s line %d is %r, want %r" % (name, i, obj["line"], body.decode("utf-8", "backslashreplace")))
    counts[name] = i + 1
print("ok", " ".join("%s=%d" % kv for kv in sorted(counts.items())))
`

// container_logs_format=json: every line on the daemon's stdout is one
// JSON object that Go's encoding/json and Python's json module parse; the
// programs' lines carry their names and stream, bytes that are not UTF-8
// escaped (never dropped), each line once, in order, never mixed with
// another program's, while three programs write as fast as they can. The
// activity log's echo is JSON too.
func TestConsoleJSON(t *testing.T) {
	t.Parallel()
	const n = 3000
	dir := t.TempDir()
	// awk writes in 4 KiB blocks: lines arrive cut across chunks.
	script := filepath.Join(dir, "flood.sh")
	if err := os.WriteFile(script, []byte(fmt.Sprintf(`awk -v t=$1 'BEGIN{for(i=0;i<%d;i++) printf "%%s %%d \377\376 caf\303\251 \"q\" \\ \001 %%s\n", t, i, substr("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", 1, i%%40)}'
echo "to stderr" >&2
exec sleep 3600
`, n)), 0o644); err != nil {
		t.Fatal(err)
	}
	conf := withSupervisord(testbin.BaseConf(dir), "container_logs=true", "container_logs_format=json") +
		"[program:fast]\ncommand=sh " + script + " fast\nprocess_name=fast_%(process_num)d\nnumprocs=2\nstartsecs=0\n\n" +
		"[group:grp]\nprograms=other\n\n" +
		"[program:other]\ncommand=sh " + script + " other\nstartsecs=0\n"
	d := testbin.StartConfStdio(t, false, dir, conf)
	want := map[string]consoleLine{
		"fast_0": {Program: "fast", Group: "fast", Process: "fast_0", Stream: "stdout"},
		"fast_1": {Program: "fast", Group: "fast", Process: "fast_1", Stream: "stdout"},
		"other":  {Program: "other", Group: "grp", Process: "other", Stream: "stdout"},
	}
	count := func() int { return strings.Count(d.Stdout.String(), `"stream":"stdout","line":"`) }
	waitFor(t, 60*time.Second, func() bool { return count() >= len(want)*n && strings.Count(d.Stderr.String(), "to stderr") == 3 },
		func() string {
			return fmt.Sprintf("%d program lines on stdout, want %d; stderr %q", count(), len(want)*n, d.Stderr.String())
		})
	d.Stop()

	out := d.Stdout.String()
	next := map[string]int{}
	activity := 0
	for _, text := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		if !utf8.ValidString(text) {
			t.Fatalf("a line is not UTF-8: %q", text)
		}
		var l consoleLine
		dec := json.NewDecoder(strings.NewReader(text))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&l); err != nil || dec.More() {
			t.Fatalf("not one JSON object (%v): %q", err, text)
		}
		if _, err := time.Parse("2006-01-02T15:04:05.000Z07:00", l.Time); err != nil {
			t.Fatalf("time %q: %v", l.Time, err)
		}
		if l.Program == "supervisord" {
			if l.Level == "" || l.Group != "supervisord" || l.Process != "supervisord" {
				t.Fatalf("activity line %q", text)
			}
			activity++
			continue
		}
		w, ok := want[l.Process]
		if !ok || l.Program != w.Program || l.Group != w.Group || l.Stream != w.Stream || l.Level != "" {
			t.Fatalf("line from an unknown source or with wrong names: %q", text)
		}
		i := next[l.Process]
		tag := strings.Split(l.Process, "_")[0]
		if body := fmt.Sprintf(`%s %d \xff\xfe café "q" \ `+"\x01 %s", tag, i, strings.Repeat("x", i%40)); l.Line != body {
			t.Fatalf("%s line %d is %q, want %q", l.Process, i, l.Line, body)
		}
		next[l.Process]++
	}
	for name := range want {
		if next[name] != n {
			t.Errorf("%s: %d lines, want %d", name, next[name], n)
		}
	}
	if activity == 0 || !strings.Contains(out, `"level":"INFO","line":"spawned: 'grp:other' with pid`) &&
		!strings.Contains(out, `"level":"INFO","line":"spawned: 'other' with pid`) {
		t.Errorf("the activity log's echo is missing from stdout or not JSON:\n%.2000s", out)
	}
	// stderr lines go to the daemon's stderr, JSON too.
	for _, text := range strings.Split(strings.TrimSuffix(d.Stderr.String(), "\n"), "\n") {
		var l consoleLine
		if err := json.Unmarshal([]byte(text), &l); err != nil || l.Stream != "stderr" || l.Line != "to stderr" {
			t.Errorf("stderr line %q (%v)", text, err)
		}
	}

	// The same output read by Python's json module.
	saved := filepath.Join(dir, "stdout.jsonl")
	if err := os.WriteFile(saved, []byte(out), 0o644); err != nil {
		t.Fatal(err)
	}
	py, err := exec.Command(testbin.Python, "-c", pyJSONCheck, saved).CombinedOutput()
	if got, want := strings.TrimSpace(string(py)), fmt.Sprintf("ok fast_0=%d fast_1=%d other=%d", n, n, n); err != nil || got != want {
		t.Fatalf("Python's json module: %v\n%s\nwant %s", err, py, want)
	}
}

// container_logs_timestamps=true: plain lines start with the time they
// were read; the activity log's echo keeps 4.2's format.
func TestConsoleTimestamps(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	conf := withSupervisord(testbin.BaseConf(dir), "container_logs=true", "container_logs_timestamps=true") +
		program("hello", `sh -c 'echo one; echo two; exec sleep 3600'`)
	d := testbin.StartConfStdio(t, false, dir, conf)
	waitFor(t, 30*time.Second, func() bool { return strings.Contains(d.Stdout.String(), " hello | two\n") },
		func() string { return d.Stdout.String() })
	d.Stop()
	var got []string
	for _, line := range strings.Split(d.Stdout.String(), "\n") {
		stamp, rest, ok := strings.Cut(line, " ")
		if !ok || !strings.HasPrefix(rest, "hello | ") {
			continue // the activity log: "2026-11-25 10:00:00,123 INFO …"
		}
		if _, err := time.Parse("2006-01-02T15:04:05.000Z07:00", stamp); err != nil {
			t.Errorf("line %q: %v", line, err)
		}
		got = append(got, rest)
	}
	if strings.Join(got, "\n") != "hello | one\nhello | two" {
		t.Errorf("program lines %q\nstdout:\n%s", got, d.Stdout.String())
	}
	if !strings.Contains(d.Stdout.String(), " INFO spawned: 'hello' with pid ") {
		t.Errorf("the activity log's echo is not 4.2's:\n%s", d.Stdout.String())
	}
}
