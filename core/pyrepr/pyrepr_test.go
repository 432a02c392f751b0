package pyrepr

import (
	"encoding/hex"
	"os/exec"
	"testing"
)

// Expected values are Python 3's repr() of the same strings.
func TestStr(t *testing.T) {
	for in, want := range map[string]string{
		"a": "'a'", "foo": "'foo'", "it's": `"it's"`, `'"`: `'\'"'`, `a'b"c`: `'a\'b"c'`,
		"x\n": `'x\n'`, "a\nb": `'a\nb'`, `a\b`: `'a\\b'`, "\t\\": `'\t\\'`,
		"\ufeff[s]": `'\ufeff[s]'`, "café": "'café'", "é": "'é'", "": "''",
		"\xff": `'\xff'`, // not reachable from decoded text; stays visible
	} {
		if got := Str(in); got != want {
			t.Errorf("Str(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestArg(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"foo", "'foo'"},
		{"it's", "\"it's\""},
		{"a\"b", "'a\"b'"},
		{"both'\"", "'both\\'\"'"},
		{"tab\there", "'tab\\there'"},
		{"nl\n", "'nl\\n'"},
		{"back\\slash", "'back\\\\slash'"},
		{"\u00e9", "'\u00e9'"},
		{"\u007f", "'\\x7f'"},
		{"\u0000", "'\\x00'"},
		{"\u2028", "'\\u2028'"},
		{"caf\u00e9 \u4e2d", "'caf\u00e9 \u4e2d'"},
		{"\U0001F600", "'\U0001F600'"},
		{"\u00a0", "'\\xa0'"},
		{"", "''"},
		{"\xff", "'\\udcff'"}, // an undecodable argv byte
	} {
		if got := Arg(c.in); got != c.want {
			t.Errorf("Arg(%q) = %s, want %s", c.in, got, c.want)
		}
	}
	if got, want := ArgList([]string{"a", "b'"}), `['a', "b'"]`; got != want {
		t.Errorf("ArgList = %s, want %s", got, want)
	}
	if got, want := ArgList(nil), `[]`; got != want {
		t.Errorf("ArgList(nil) = %s, want %s", got, want)
	}
}

func oraclePython(t *testing.T) string {
	t.Helper()
	if exec.Command("/usr/bin/python3", "-c", "import supervisor.dispatchers").Run() != nil {
		t.Skip("oracle absent: /usr/bin/python3 with supervisor not available")
	}
	return "/usr/bin/python3"
}

func TestMatchesPython(t *testing.T) {
	py := oraclePython(t)
	samples := []string{"abc", "it's", `say "hi"`, `both ' and "`, "\x00\x01\t\n\r\x7f\x80\xff", "back\\slash"}
	for _, s := range samples {
		out, err := exec.Command(py, "-c", `
import sys, binascii
sys.stdout.write(repr(binascii.unhexlify(sys.argv[1])))
`, hex.EncodeToString([]byte(s))).Output()
		if err != nil {
			t.Fatal(err)
		}
		if got := Bytes([]byte(s)); got != string(out) {
			t.Errorf("Bytes(%q) = %s, Python %s", s, got, out)
		}
	}
	for _, s := range []string{"cat", "it's", `a"b`, "tab\there", "é", "\u00a0\u2028\ufffd", "\U0001F600"} {
		out, err := exec.Command(py, "-c", `import sys; sys.stdout.write(repr(sys.argv[1]))`, s).Output()
		if err != nil {
			t.Fatal(err)
		}
		if got := Str(s); got != string(out) {
			t.Errorf("Str(%q) = %s, Python %s", s, got, out)
		}
	}
}

func FuzzStr(f *testing.F) {
	for _, s := range []string{"a", "it's", "\xff\n", "\u2028"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r := Str(s)
		if len(r) < 2 || r[0] != r[len(r)-1] || (r[0] != '\'' && r[0] != '"') {
			t.Fatalf("Str(%q) = %s: not quoted", s, r)
		}
	})
}
