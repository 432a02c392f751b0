package getopt

import "testing"

// Expected values are Python 3's repr() of the same strings.
func TestRepr(t *testing.T) {
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
		if got := Repr(c.in); got != c.want {
			t.Errorf("Repr(%q) = %s, want %s", c.in, got, c.want)
		}
	}
	if got, want := ReprList([]string{"a", "b'"}), `['a', "b'"]`; got != want {
		t.Errorf("ReprList = %s, want %s", got, want)
	}
}
