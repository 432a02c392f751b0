package logging

import (
	"strconv"
	"time"
	"unicode/utf8"

	"super/core/config"
)

// JSON lines (container_logs_format=json): one object per line of output,
//
//	{"time":"2026-11-25T10:00:00.123+01:00","program":"web","group":"web",
//	 "process":"web_0","stream":"stdout","line":"GET / 200"}
//
// written by hand into the console's batch buffer: the constant part of
// a stream's objects is made once, the time once per chunk, and each line
// is only escaped, so no line costs an allocation.
//
// A line is text, and JSON text is UTF-8: bytes of a line that are not
// valid UTF-8 are written as the four characters \xHH (Python's
// "backslashreplace": the line decodes to what
// raw.decode("utf-8", "backslashreplace") gives), never dropped or
// replaced by U+FFFD.

const hexDigits = "0123456789abcdef"

// jsonSafe[c] is true for the ASCII bytes copied into a JSON string as
// they are.
var jsonSafe = func() (t [utf8.RuneSelf]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// appendJSONText appends s, escaped as the inside of a JSON string.
func appendJSONText(b, s []byte) []byte {
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if jsonSafe[c] {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&15])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRune(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, '\\', '\\', 'x', hexDigits[c>>4], hexDigits[c&15])
			i++
			start = i
			continue
		}
		i += size
	}
	return append(b, s[start:]...)
}

// appendJSONString appends s as a JSON string, quotes included.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	b = appendJSONText(b, []byte(s))
	return append(b, '"')
}

// jsonFields is the constant part of a source's objects, from after the
// time's value to the last field before the line:
//
//	","program":"web","group":"web","process":"web_0","stream":"stdout"
func jsonFields(src ConsoleSource) []byte {
	b := []byte(`"`)
	for _, f := range []struct{ k, v string }{
		{"program", src.Program}, {"group", src.Group}, {"process", src.Process}, {"stream", src.Stream},
	} {
		b = append(b, ',', '"')
		b = append(b, f.k...)
		b = append(b, '"', ':')
		b = appendJSONString(b, f.v)
	}
	return b
}

// jsonHead is what comes between a line's time and its text.
func jsonHead(src ConsoleSource) []byte { return append(jsonFields(src), jsonLineKey...) }

const (
	jsonOpen    = `{"time":"` // each object starts with this, then the time
	jsonLineKey = `,"line":"` // the line's text follows
	jsonClose   = "\"}\n"     // ends an object and its line
)

// ActivitySource is how the activity log's own lines are named in JSON:
// program, group and process "supervisord".
var ActivitySource = ConsoleSource{Program: "supervisord", Group: "supervisord", Process: "supervisord", Stream: "stdout"}

var activityFields = jsonFields(ActivitySource)

// appendActivityJSON appends one activity log message as a JSON line:
// the fields of ActivitySource, "level" after "stream", and the message
// (a message of several lines stays one object).
func appendActivityJSON(b []byte, st *stampCache, t time.Time, level config.LogLevel, msg string) []byte {
	b = append(b, jsonOpen...)
	b = append(b, st.stamp(t)...)
	b = append(b, activityFields...)
	b = append(b, `,"level":`...)
	name := LevelName(level)
	if name == "" {
		name = strconv.Itoa(int(level))
	}
	b = appendJSONString(b, name)
	b = append(b, jsonLineKey...)
	b = appendJSONText(b, []byte(msg))
	return append(b, jsonClose...)
}
