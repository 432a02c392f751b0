package logging

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

type readCase struct {
	Offset int64 `json:"o"`
	Length int64 `json:"l"`
}

func TestReadAndTailMatchOracle(t *testing.T) {
	py := oraclePython(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "x.log")
	content := strings.Repeat("0123456789abcdef\n", 10) // 170 bytes
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "empty.log")
	os.WriteFile(empty, nil, 0o644)

	var cases []readCase
	for _, o := range []int64{-1000, -171, -170, -169, -100, -1, 0, 1, 50, 169, 170, 171, 1000} {
		for _, l := range []int64{-5, -1, 0, 1, 10, 100, 169, 170, 171, 1000} {
			cases = append(cases, readCase{o, l})
		}
	}
	in, _ := json.Marshal(cases)
	script := `
import sys, json
from supervisor import options
cases = json.loads(sys.argv[2])
out = []
for c in cases:
    try:
        r = {"data": options.readFile(sys.argv[1], c["o"], c["l"]).decode("latin-1")}
    except ValueError as e:
        r = {"err": e.args[0]}
    d, off, ov = options.tailFile(sys.argv[1], c["o"], c["l"])
    r["tail"] = [d, off, ov]
    out.append(r)
print(json.dumps(out))
`
	for _, file := range []string{path, empty} {
		raw, err := exec.Command(py, "-c", script, file, string(in)).Output()
		if err != nil {
			t.Fatal(err)
		}
		var want []struct {
			Data *string `json:"data"`
			Err  string  `json:"err"`
			Tail []any   `json:"tail"`
		}
		if err := json.Unmarshal(raw, &want); err != nil {
			t.Fatal(err)
		}
		for i, c := range cases {
			w := want[i]
			got, err := ReadLog(file, c.Offset, c.Length)
			switch {
			case w.Err != "":
				if err == nil || err.Error() != w.Err {
					t.Errorf("%s ReadLog(%d, %d) = %q, %v; 4.2 raises %s", filepath.Base(file), c.Offset, c.Length, got, err, w.Err)
				}
			case err != nil || string(got) != *w.Data:
				t.Errorf("%s ReadLog(%d, %d) = %q, %v; 4.2 returns %q", filepath.Base(file), c.Offset, c.Length, got, err, *w.Data)
			}
			data, next, overflow := TailLog(file, c.Offset, c.Length)
			if string(data) != w.Tail[0].(string) || float64(next) != w.Tail[1].(float64) || overflow != w.Tail[2].(bool) {
				t.Errorf("%s TailLog(%d, %d) = %q, %d, %v; 4.2 returns %v", filepath.Base(file), c.Offset, c.Length, data, next, overflow, w.Tail)
			}
		}
	}
}

func TestReadLogErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := ReadLog("", 0, 0); !errors.Is(err, ErrNoFile) {
		t.Errorf("no path: %v", err)
	}
	if _, err := ReadLog(filepath.Join(dir, "missing"), 0, 0); !errors.Is(err, ErrNoFile) {
		t.Errorf("missing: %v", err)
	}
	if _, err := ReadLog(dir, 0, 0); !errors.Is(err, ErrFailed) {
		t.Errorf("directory: %v", err)
	}
	if d, next, ov := TailLog(filepath.Join(dir, "missing"), 5, 10); d != nil || next != 0 || ov {
		t.Errorf("tail of missing file = %q, %d, %v", d, next, ov)
	}
}
