package process

import (
	"encoding/json"
	"os"
	"os/exec"
	"reflect"
	"testing"
)

func TestSplit(t *testing.T) {
	tests := []struct {
		in   string
		want []string
		err  error
	}{
		{"", nil, nil},
		{"   ", nil, nil},
		{"sleep 10", []string{"sleep", "10"}, nil},
		{"  a\tb\nc  ", []string{"a", "b", "c"}, nil},
		{`sh -c "exit 3"`, []string{"sh", "-c", "exit 3"}, nil},
		{`sh -c 'echo "hi"'`, []string{"sh", "-c", `echo "hi"`}, nil},
		{`a'b'c`, []string{"abc"}, nil},
		{`''`, []string{""}, nil},
		{`a '' b`, []string{"a", "", "b"}, nil},
		{`a\ b`, []string{"a b"}, nil},
		{`"a\"b"`, []string{`a"b`}, nil},
		{`"a\\b"`, []string{`a\b`}, nil},
		{`"a\nb"`, []string{`a\nb`}, nil},
		{`'a\nb'`, []string{`a\nb`}, nil},
		{`a\nb`, []string{`anb`}, nil},
		{`echo #not a comment`, []string{"echo", "#not", "a", "comment"}, nil},
		{`"unterminated`, nil, ErrNoClosingQuote},
		{`'unterminated`, nil, ErrNoClosingQuote},
		{`trailing\`, nil, ErrNoEscapedChar},
		{`"x\`, nil, ErrNoEscapedChar},
	}
	for _, tt := range tests {
		got, err := Split(tt.in)
		if err != tt.err || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Split(%q) = %q, %v; want %q, %v", tt.in, got, err, tt.want, tt.err)
		}
	}
}

// pythonSplit runs Python's shlex.split, the reference, on s.
func pythonSplit(t testing.TB, s string) ([]string, string) {
	out, err := exec.Command("/usr/bin/python3", "-c", `
import json, shlex, sys
try:
    print(json.dumps({"words": shlex.split(sys.argv[1])}))
except ValueError as e:
    print(json.dumps({"err": str(e)}))
`, s).Output()
	if err != nil {
		t.Fatalf("python: %v", err)
	}
	var r struct {
		Words []string
		Err   string
	}
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatal(err)
	}
	return r.Words, r.Err
}

func TestSplitMatchesPython(t *testing.T) {
	if _, err := os.Stat("/usr/bin/python3"); err != nil {
		t.Skip("python3 (reference shlex) not installed")
	}
	for _, s := range []string{
		`a "b c" 'd e' f\ g`, `"\$HOME" '\$HOME' \$HOME`, `""""`, `'"'"'"`, `a"b"'c'd`,
		`"x\"y\\z\q"`, "tab\there", `\\\\`, `'it''s'`, `"a b`, `a\`, `"\`,
	} {
		want, werr := pythonSplit(t, s)
		got, err := Split(s)
		gerr := ""
		if err != nil {
			gerr = err.Error()
		}
		if gerr != werr || (len(got) > 0 || len(want) > 0) && !reflect.DeepEqual(got, want) {
			t.Errorf("Split(%q) = %q, %q; python: %q, %q", s, got, gerr, want, werr)
		}
	}
}

func FuzzSplit(f *testing.F) {
	for _, s := range []string{`a "b c"`, `'x'y\ z`, `"\""`, `\`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		words, err := Split(s)
		if err != nil {
			return
		}
		// Every word re-quoted with single quotes splits back to itself.
		var line []byte
		for _, w := range words {
			line = append(line, '\'')
			for _, c := range []byte(w) {
				if c == '\'' {
					line = append(line, `'\''`...)
				} else {
					line = append(line, c)
				}
			}
			line = append(line, "' "...)
		}
		again, err := Split(string(line))
		if err != nil || len(again) != len(words) {
			t.Fatalf("round trip of %q: %q, %v", words, again, err)
		}
		for i := range words {
			if again[i] != words[i] {
				t.Fatalf("round trip of %q: %q", words, again)
			}
		}
	})
}
