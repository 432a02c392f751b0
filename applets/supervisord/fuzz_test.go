package supervisord

import (
	"errors"
	"io"
	"strings"
	"testing"
)

// FuzzParse: any command line either parses or is a usage error; never a
// panic (e.g. an option getopt accepts but the table lacks).
func FuzzParse(f *testing.F) {
	for _, s := range []string{"-c\x00f", "-nsk", "--conf=x\x00-m\x00077", "--minp\x001", "-h", "-v",
		"--profile_options=a", "-a\x00x", "x", "-n\x00-n", "-e\x00debug\x00-y\x001KB"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, joined string) {
		args := strings.Split(joined, "\x00")
		_, err := Parse("supervisord", args, io.Discard)
		var e *exit
		if err != nil && !errors.As(err, &e) {
			t.Fatalf("Parse(%q) error %T %v", args, err, err)
		}
	})
}
