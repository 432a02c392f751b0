package config

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// The differential tests run Debian's Supervisor 4.2 (the Python package)
// through testdata/oracle.py on the same files and compare.

const oraclePython = "/usr/bin/python3"

// oracle runs the helper in mode over files and returns one decoded JSON
// object per file, or skips the test when Supervisor is not installed.
func oracle(t *testing.T, mode string, files ...string) []map[string]any {
	t.Helper()
	if _, err := os.Stat("/usr/bin/supervisord"); err != nil {
		t.Skip("oracle absent: /usr/bin/supervisord not installed; differential test skipped")
	}
	if err := exec.Command(oraclePython, "-c", "import supervisor.options").Run(); err != nil {
		t.Skipf("oracle absent: %s cannot import supervisor.options (%v); differential test skipped", oraclePython, err)
	}
	helper, err := filepath.Abs("testdata/oracle.py")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(oraclePython, append([]string{helper, mode}, files...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("oracle helper failed: %v\n%s", err, stderr.String())
	}
	var res []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("oracle output: %v: %s", err, sc.Text())
		}
		res = append(res, m)
	}
	if len(res) != len(files) {
		t.Fatalf("oracle gave %d results for %d files", len(res), len(files))
	}
	return res
}

// rawView renders our ini layer the way oracle.py's "ini" mode does.
func rawView(path string) map[string]any {
	data, err := os.ReadFile(path)
	if err != nil {
		return map[string]any{"error": err.Error()}
	}
	d := newIniDoc()
	if err := d.read(path, string(data)); err != nil {
		return map[string]any{"error": err.Error()}
	}
	secs := []any{}
	for _, s := range d.Sections() {
		items := []any{}
		for _, k := range d.Options(s) {
			v, _ := d.Get(s, k)
			items = append(items, []any{k, v})
		}
		secs = append(secs, []any{s, items})
	}
	return map[string]any{"sections": secs}
}

func jsonRoundTrip(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestINIDifferential(t *testing.T) {
	files, _ := filepath.Glob("testdata/ini/*.ini")
	if len(files) == 0 {
		t.Fatal("no ini corpus")
	}
	want := oracle(t, "ini", files...)
	for i, f := range files {
		got := jsonRoundTrip(t, rawView(f))
		w := jsonRoundTrip(t, want[i])
		gb, _ := json.Marshal(got)
		wb, _ := json.Marshal(w)
		if !bytes.Equal(gb, wb) {
			t.Errorf("%s:\n ours:   %s\n python: %s", f, gb, wb)
		}
	}
}
