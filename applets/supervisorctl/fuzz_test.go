package supervisorctl

import (
	"strings"
	"testing"
)

// FuzzCheckURL: any string is judged without a panic, and an accepted one
// has a scheme.
func FuzzCheckURL(f *testing.F) {
	for _, s := range []string{"http://localhost:9001", "unix:///tmp/s", "foo", "http://", "x:?q", " a:b", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		if checkURL(v) == nil && !strings.Contains(v, ":") {
			t.Fatalf("checkURL accepted %q without a scheme", v)
		}
	})
}
