package envfile

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	for _, tt := range []struct {
		name, in string
		want     []Var
	}{
		{"plain", "A=1\nB=two words\n", []Var{{"A", "1"}, {"B", "two words"}}},
		{"no final newline", "A=1", []Var{{"A", "1"}}},
		{"comments and blank lines", "# c\n\n  ; also a comment\n\t\nA=1\n  # indented\n", []Var{{"A", "1"}}},
		{"export", "export A=1\nexport\tB=2\nexport=3\n", []Var{{"A", "1"}, {"B", "2"}, {"export", "3"}}},
		{"blanks around =", "A = 1\n  B=  2  \n", []Var{{"A", "1"}, {"B", "2"}}},
		{"empty values", "A=\nB=   \nC=''\nD=\"\"\n", []Var{{"A", ""}, {"B", ""}, {"C", ""}, {"D", ""}}},
		{"inline comment after a blank", "A=x # note\nB=x#not\nC= # only a note\nD=#x\n", []Var{{"A", "x"}, {"B", "x#not"}, {"C", ""}, {"D", "#x"}}},
		{"unquoted is literal", `A=C:\dir\n "q" 'q' $HOME`, []Var{{"A", `C:\dir\n "q" 'q' $HOME`}}},
		{"single quotes are literal", `A='a \n "b" $HOME # x'`, []Var{{"A", `a \n "b" $HOME # x`}}},
		{"double-quote escapes", `A="q\" b\\s d\$ t\` + "`" + ` n\n t\t r\r other\x"`, []Var{{"A", "q\" b\\s d$ t` n\n t\t r\r other\\x"}}},
		{"comment after a closing quote", "A=\"x\"   # note\nB='y'\n", []Var{{"A", "x"}, {"B", "y"}}},
		{"multi-line quotes", "A=\"one\ntwo\"\nB='x\ny'\nC=3\n", []Var{{"A", "one\ntwo"}, {"B", "x\ny"}, {"C", "3"}}},
		{"line continuation in double quotes", "A=\"one \\\ntwo\"\n", []Var{{"A", "one two"}}},
		{"CRLF", "A=1\r\nB=\"x\r\ny\"\r\nC='z'\r\n", []Var{{"A", "1"}, {"B", "x\ny"}, {"C", "z"}}},
		{"later wins (kept in order)", "A=1\nA=2\n", []Var{{"A", "1"}, {"A", "2"}}},
		{"names", "_x=1\nabc_DEF9=2\n", []Var{{"_x", "1"}, {"abc_DEF9", "2"}}},
		{"equals in value", "URL=postgres://u:p@h/db?a=b\n", []Var{{"URL", "postgres://u:p@h/db?a=b"}}},
		{"utf-8", "A=héllo ✓\n", []Var{{"A", "héllo ✓"}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse("f.env", []byte(tt.in))
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.in, err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("Parse(%q)\n got %q\nwant %q", tt.in, got, tt.want)
			}
		})
	}
}

// Every malformed line is an error naming the file and the line it is
// on (for a quote, the line of the assignment), never skipped.
func TestParseErrors(t *testing.T) {
	for _, tt := range []struct {
		in   string
		line int
		msg  string
	}{
		{"A=1\nnot an assignment\n", 2, `expected NAME=VALUE, got "not an assignment"`},
		{"A=1\n\nJUSTNAME\n", 3, `expected NAME=VALUE, got "JUSTNAME"`},
		{"JUSTNAME", 1, `expected NAME=VALUE, got "JUSTNAME"`},
		{"1A=x\n", 1, `invalid variable name "1A"`},
		{"A-B=x\n", 1, `invalid variable name "A-B"`},
		{"A B=x\n", 1, `invalid variable name "A B"`},
		{"=x\n", 1, `expected NAME=VALUE, got "=x"`},
		{"export\n", 1, `expected NAME=VALUE, got "export"`},
		{"A=1\nB=\"open\nC=2\n", 2, "unterminated double-quoted value"},
		{"A='open", 1, "unterminated single-quoted value"},
		{"A=\"x\"y\n", 1, `unexpected "y" after the closing quote`},
		{"A=\"x\ny\" z\n", 2, `unexpected "z" after the closing quote`},
		{"A=x\x00y\n", 1, "contains a NUL byte"},
		{"A=\"x\\\ny\nB\n", 1, "unterminated double-quoted value"},
	} {
		_, err := Parse("/etc/app.env", []byte(tt.in))
		var e *Error
		if !errors.As(err, &e) {
			t.Errorf("Parse(%q) = %v, want an *Error", tt.in, err)
			continue
		}
		if e.File != "/etc/app.env" || e.Line != tt.line || !strings.Contains(e.Msg, tt.msg) {
			t.Errorf("Parse(%q): file %q line %d msg %q; want line %d msg containing %q", tt.in, e.File, e.Line, e.Msg, tt.line, tt.msg)
		}
		if want := "environment file /etc/app.env, line "; !strings.HasPrefix(err.Error(), want) {
			t.Errorf("Parse(%q): %q does not start with %q", tt.in, err, want)
		}
	}
}

func TestRead(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "a.env")
	if err := os.WriteFile(p, []byte("A=1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if got, err := Read(p); err != nil || !slices.Equal(got, []Var{{"A", "1"}}) {
		t.Errorf("Read = %v, %v", got, err)
	}
	_, err := Read(filepath.Join(dir, "missing.env"))
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v is not fs.ErrNotExist", err)
	}
	if want := "environment file " + filepath.Join(dir, "missing.env") + ": cannot read it: no such file or directory"; err == nil || err.Error() != want {
		t.Errorf("missing file: %v, want %q", err, want)
	}
	big := filepath.Join(dir, "big.env")
	if err := os.WriteFile(big, []byte("A="+strings.Repeat("x", MaxSize)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Read(big); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("big file: %v", err)
	}
}

// quote renders v as a double-quoted value that Parse reads back as v.
func quote(v string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "$", `\$`, "`", "\\`", "\n", `\n`, "\r", `\r`)
	return `"` + r.Replace(v) + `"`
}

// FuzzParse: Parse never panics; what it accepts has valid names and no
// NUL, and written out again (double-quoted) reads back the same; an
// error names a line of the input.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"A=1\nB=two words\n", "export A='x'\n", "A=\"a\\\"b\\n\"\n# c\n", "A = x # c\n",
		"A=\"one\ntwo\"\n", "1A=x", "A=\"open", "A=\"x\"y", "A='x\r\ny'\r\n", ";c\n\tB=\\\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		vars, err := Parse("f", data)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %v is not an *Error", err)
			}
			if lines := strings.Count(string(data), "\n") + 1; e.Line < 1 || e.Line > lines {
				t.Fatalf("error on line %d of a %d-line input: %v", e.Line, lines, err)
			}
			return
		}
		var b strings.Builder
		for _, v := range vars {
			if v.Key == "" || !isNameStart(v.Key[0]) || strings.ContainsFunc(v.Key, func(r rune) bool { return r > 127 || !isName(byte(r)) }) {
				t.Fatalf("invalid name %q accepted", v.Key)
			}
			if strings.IndexByte(v.Value, 0) >= 0 {
				t.Fatalf("NUL in the value of %s", v.Key)
			}
			b.WriteString(v.Key + "=" + quote(v.Value) + "\n")
		}
		again, err := Parse("f", []byte(b.String()))
		if err != nil || !slices.Equal(again, vars) {
			t.Fatalf("round trip of %q: %q, %v; want %q", b.String(), again, err, vars)
		}
	})
}
