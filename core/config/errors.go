package config

import (
	"fmt"
	"strings"

	"super/core/pyrepr"
)

// Error is a configuration error. Msg is Supervisor 4.2's own text for the
// problem; Error() adds what 4.2 leaves out where it is known: the key, the
// section and the file and line the value came from.
type Error struct {
	File    string // config file as named on the command line or by [include]
	Section string // e.g. "program:cat"; "" when not about one section
	Key     string // e.g. "startsecs"; "" when not about one key
	Line    int    // 0 when unknown
	Msg     string
	// Hint is super's advice on what to do instead, after the location
	// ("" when none).
	Hint string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Msg)
	// Messages that already name the key (e.g. "Format string ... for
	// 'program:a.command'") are not told it twice.
	if e.Key != "" && !strings.Contains(e.Msg, e.Key) {
		fmt.Fprintf(&b, " for %s", e.Key)
	}
	if e.Section != "" {
		fmt.Fprintf(&b, " in section %s", pyrepr.Str(e.Section))
	}
	switch {
	case e.File != "" && e.Line > 0:
		fmt.Fprintf(&b, " (file: %s, line %d)", pyrepr.Str(e.File), e.Line)
	case e.File != "":
		fmt.Fprintf(&b, " (file: %s)", pyrepr.Str(e.File))
	}
	if e.Hint != "" {
		b.WriteString("; " + e.Hint)
	}
	return b.String()
}
