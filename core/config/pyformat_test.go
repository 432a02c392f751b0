package config

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"super/core/pyrepr"
)

// testdata/pyformat_cases.json holds [format, Python's result, Python's
// error] triples recorded from CPython 3.11's `format % mapping` (the
// expansion 4.2 performs), so this table runs without Python installed.
func TestPyFormatTable(t *testing.T) {
	data, err := os.ReadFile("testdata/pyformat_cases.json")
	if err != nil {
		t.Fatal(err)
	}
	var cases [][3]string
	if err := json.Unmarshal(data, &cases); err != nil {
		t.Fatal(err)
	}
	m := map[string]any{"here": "/etc", "process_num": 7, "neg": -42, "uni": "café", "one": "z", "a(b)c": "nested"}
	for _, c := range cases {
		format, want, wantErr := c[0], c[1], c[2]
		got, missing, err := pyFormat(format, m)
		switch {
		case strings.HasPrefix(wantErr, "KEY "):
			if pyrepr.Str(missing) != strings.TrimPrefix(wantErr, "KEY ") {
				t.Errorf("%q: missing %q, want KeyError %s (err %v)", format, missing, wantErr, err)
			}
		case wantErr == "format requires a mapping" || format == "%s":
			// Python formats the mapping itself; we refuse (see pyFormat).
			if err == nil {
				t.Errorf("%q: want an error", format)
			}
		case wantErr != "":
			if err == nil || err.Error() != wantErr {
				t.Errorf("%q: error %v, want %q", format, err, wantErr)
			}
		default:
			if err != nil || missing != "" || got != want {
				t.Errorf("%q: got %q (missing %q, err %v), want %q", format, got, missing, err, want)
			}
		}
	}
}

func TestExpandMessages(t *testing.T) {
	exp := map[string]any{"here": "/etc", "ENV_HOME": "/root"}
	_, err := expand("%(missing)s", exp, "program:a.command")
	want := "Format string '%(missing)s' for 'program:a.command' contains names ('missing') which cannot be expanded. Available names: ENV_HOME, here"
	if err == nil || err.Error() != want {
		t.Errorf("got %v\nwant %s", err, want)
	}
	_, err = expand("100%", exp, "program:a.command")
	want = "Format string '100%' for 'program:a.command' is badly formatted: incomplete format"
	if err == nil || err.Error() != want {
		t.Errorf("got %v\nwant %s", err, want)
	}
	if s, err := expand("no percent", nil, "x"); err != nil || s != "no percent" {
		t.Errorf("got %q %v", s, err)
	}
}

func FuzzPyFormat(f *testing.F) {
	for _, s := range []string{"%(here)s", "%(process_num)02d", "100%", "%%", "%(a", "%(here)-+ #0*.3lq"} {
		f.Add(s)
	}
	m := map[string]any{"here": "/etc", "process_num": 7}
	f.Fuzz(func(t *testing.T, s string) {
		out, missing, err := pyFormat(s, m)
		if err == nil && missing == "" && !strings.Contains(s, "%") && out != s {
			t.Fatalf("text without %% changed: %q -> %q", s, out)
		}
	})
}

// A two-layer mapping reads the top first and lists the names of both,
// once each, sorted, as the single map it replaces did.
func TestVarsLayers(t *testing.T) {
	v := vars{top: map[string]any{"ENV_A": "mine", "program_name": "cat"},
		base: map[string]any{"ENV_A": "daemon's", "ENV_B": "b"}}
	got, err := expandIn("%(ENV_A)s %(ENV_B)s %(program_name)s", v, "x")
	if err != nil || got != "mine b cat" {
		t.Errorf("expandIn = %q, %v; want \"mine b cat\"", got, err)
	}
	_, err = expandIn("%(nope)s", v, "program:cat.command")
	want := "Format string '%(nope)s' for 'program:cat.command' contains names ('nope') which cannot be expanded. Available names: ENV_A, ENV_B, program_name"
	if err == nil || err.Error() != want {
		t.Errorf("error %v, want %q", err, want)
	}
}

// A precision near the bound is written in one go (FuzzPyFormat found it
// taking 26 s when zeros were prepended one at a time).
func TestPyFormatBigPrecision(t *testing.T) {
	out, missing, err := pyFormat("%(process_num).433330X", map[string]any{"process_num": 255})
	if err != nil || missing != "" {
		t.Fatal(err, missing)
	}
	if len(out) != 433330 || strings.TrimLeft(out, "0") != "FF" {
		t.Errorf("got %d bytes ending %q, want 433330 bytes of zeros then FF", len(out), out[max(0, len(out)-4):])
	}
}
