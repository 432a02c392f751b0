package xmlrpc

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// maxDecodeDepth bounds element nesting. Real documents nest a handful of
// levels; the bound keeps a body of a million "<array>" tags from costing
// more than its own size in frames.
const maxDecodeDepth = 512

// ErrMalformed wraps every error about the shape of a document (as opposed
// to an error of the underlying reader). The HTTP handler answers 400 for
// it, as Supervisor does for a request it cannot unmarshal.
var ErrMalformed = errors.New("xmlrpc: malformed document")

// ErrNoMethodName is the ErrMalformed of a call without a method name.
var ErrNoMethodName = fmt.Errorf("%w: no method name", ErrMalformed)

func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrMalformed, fmt.Sprintf(format, args...))
}

// ---------------------------------------------------------------------------
// Requests: Supervisor's supervisor_xmlrpc_handler.loads.
//
// Supervisor does not use xmlrpc.client to read requests; it walks
// ElementTree end events and replaces each element's text by its decoded
// value. Its leniency is part of the contract (clients exist that send a bare
// <value>text</value>, no <params>, <i8>...), so the rules below mirror it:
//
//   - int, i4: integer; boolean: true only for exactly "1"; string: text or
//     ""; double: float; dateTime.iso8601: %Y%m%dT%H:%M:%S; base64: decoded
//     to a string (Supervisor's methods take strings).
//   - array: its first child's value; data: the list of its children's values;
//     struct: (first grandchild's text, second grandchild's value) per child.
//   - value: its first child's value, else its text, else "".
//   - any other tag (i8, nil, ex:foo, ...) keeps its raw text, so <i8>5</i8>
//     arrives as "5" and <nil/> as nil.

// node is an element after its end tag: text is its decoded value (for
// the tags above) or its raw leading text (nil when it had none).
type node struct {
	tag  string
	text any
	kids []*node
}

// DecodeCall reads a methodCall request with Supervisor 4.2's rules. params
// is empty (not an error) when the request has no <params>. An error
// wrapping ErrMalformed means a request Supervisor answers with HTTP 400,
// including a missing or empty <methodName>.
func DecodeCall(r io.Reader) (method string, params []Value, err error) {
	doc, err := readDoc(r)
	if err != nil {
		return "", nil, err
	}
	return decodeCallBytes(doc)
}

// decodeCallBytes is DecodeCall of a document in memory: the scanner's
// reading, or encoding/xml's when the scanner gives up.
func decodeCallBytes(doc []byte) (string, []Value, error) {
	method, params, err := decodeCall(newScanner(doc))
	if err != nil {
		return decodeCall(newStdTokenizer(bytes.NewReader(doc)))
	}
	return method, params, nil
}

// readDoc reads a whole document; a reader that knows its length gets one
// allocation.
func readDoc(r io.Reader) ([]byte, error) {
	var b bytes.Buffer
	if l, ok := r.(interface{ Len() int }); ok {
		b.Grow(l.Len() + bytes.MinRead)
	}
	_, err := b.ReadFrom(r)
	return b.Bytes(), err
}

func decodeCall(t tokenSource) (method string, params []Value, err error) {
	type frame struct {
		node
		text    strings.Builder
		hasText bool
	}
	var stack []*frame
	var methodSeen, paramsSeen bool
	for {
		tok, err := t.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return "", nil, err
		}
		switch tok.kind {
		case tokStart:
			// A prefixed name is never one of the known tags.
			stack = append(stack, &frame{node: node{tag: internTag(tok.name)}})
		case tokText:
			// ElementTree's text is the character data before the first
			// child; later runs are children's tails and ignored here.
			if f := stack[len(stack)-1]; len(f.kids) == 0 {
				f.text.Write(tok.text)
				f.hasText = true
			}
		case tokEnd:
			f := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			n := &f.node
			if f.hasText {
				n.text = f.text.String()
			}
			switch n.tag {
			case "methodName":
				s, _ := n.text.(string)
				method, methodSeen = s, true
			case "params":
				params = make([]Value, len(n.kids))
				for i, k := range n.kids {
					params[i] = k.text
				}
				paramsSeen = true
				n.kids = nil
			default:
				v, handled, err := unmarshalRequestNode(n)
				if err != nil {
					return "", nil, err
				}
				if handled {
					n.text, n.kids = v, nil
				}
			}
			if len(stack) > 0 {
				p := stack[len(stack)-1]
				p.kids = append(p.kids, n)
			}
		}
	}
	if !methodSeen || method == "" {
		return "", nil, ErrNoMethodName
	}
	if !paramsSeen || params == nil {
		params = []Value{}
	}
	return method, params, nil
}

func rawText(n *node) (string, error) {
	s, ok := n.text.(string)
	if !ok {
		return "", malformed("<%s> has no text", n.tag)
	}
	return s, nil
}

func unmarshalRequestNode(n *node) (Value, bool, error) {
	switch n.tag {
	case "int", "i4":
		s, err := rawText(n)
		if err != nil {
			return nil, true, err
		}
		i, err := parsePyInt(s)
		return i, true, err
	case "boolean":
		s, _ := n.text.(string)
		return s == "1", true, nil
	case "string":
		s, _ := n.text.(string)
		return s, true, nil
	case "double":
		s, err := rawText(n)
		if err != nil {
			return nil, true, err
		}
		f, err := parsePyFloat(s)
		return f, true, err
	case "dateTime.iso8601":
		s, err := rawText(n)
		if err != nil {
			return nil, true, err
		}
		tm, err := time.Parse("20060102T15:04:05", s)
		if err != nil {
			return nil, true, malformed("bad dateTime.iso8601 %q", s)
		}
		return tm, true, nil
	case "base64":
		s, _ := n.text.(string)
		b, err := decodeBase64(s)
		if err != nil {
			return nil, true, err
		}
		if !utf8.Valid(b) {
			return nil, true, malformed("base64 value is not UTF-8 text")
		}
		return string(b), true, nil
	case "array", "param":
		if len(n.kids) == 0 {
			return nil, true, malformed("empty <%s>", n.tag)
		}
		return n.kids[0].text, true, nil
	case "data":
		l := make([]any, len(n.kids))
		for i, k := range n.kids {
			l[i] = k.text
		}
		return l, true, nil
	case "struct":
		m := make(map[string]any, len(n.kids))
		for _, member := range n.kids {
			if len(member.kids) != 2 {
				return nil, true, malformed("struct member without exactly a name and a value")
			}
			m[structKey(member.kids[0].text)] = member.kids[1].text
		}
		return m, true, nil
	case "value":
		if len(n.kids) > 0 {
			return n.kids[0].text, true, nil
		}
		s, _ := n.text.(string)
		return s, true, nil
	}
	return nil, false, nil
}

// structKey is Python's `k.text or ""` for a key that is almost always a
// string already.
func structKey(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case nil:
		return ""
	case int:
		if v == 0 {
			return ""
		}
	case bool:
		if !v {
			return ""
		}
	}
	return fmt.Sprint(v)
}

// parsePyInt is Python's int(str) for base 10: surrounding whitespace, a
// sign and underscores between digits are allowed. Values beyond int64
// (Python has no limit) are rejected.
func parsePyInt(s string) (int, error) {
	t := strings.TrimSpace(s)
	if strings.Contains(t, "_") {
		if strings.HasPrefix(t, "_") || strings.HasSuffix(t, "_") || strings.Contains(t, "__") ||
			strings.HasPrefix(t, "+_") || strings.HasPrefix(t, "-_") {
			return 0, malformed("invalid int %q", s)
		}
		t = strings.ReplaceAll(t, "_", "")
	}
	i, err := strconv.ParseInt(t, 10, 64)
	if err != nil {
		return 0, malformed("invalid int %q", s)
	}
	return int(i), nil
}

// parsePyFloat is Python's float(str), close enough: surrounding
// whitespace, inf/nan spellings, exponents.
func parsePyFloat(s string) (float64, error) {
	t := strings.TrimSpace(s)
	if strings.Contains(t, "_") || strings.HasPrefix(strings.TrimLeft(t, "+-"), "0x") {
		return 0, malformed("invalid double %q", s)
	}
	f, err := strconv.ParseFloat(t, 64)
	if err != nil {
		var ne *strconv.NumError
		if !errors.As(err, &ne) || ne.Err != strconv.ErrRange {
			return 0, malformed("invalid double %q", s)
		}
	}
	return f, nil
}

// decodeBase64 is Python's base64.decodebytes: characters outside the
// alphabet (line breaks, spaces) are skipped, padding may be missing.
func decodeBase64(s string) ([]byte, error) {
	clean := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/' {
			clean = append(clean, c)
		} else if c == '=' {
			break // padding ends the data
		}
	}
	if len(clean)%4 == 1 {
		return nil, malformed("invalid base64 data")
	}
	out := make([]byte, base64.RawStdEncoding.DecodedLen(len(clean)))
	n, err := base64.RawStdEncoding.Decode(out, clean)
	if err != nil {
		return nil, malformed("invalid base64 data")
	}
	return out[:n], nil
}

// ---------------------------------------------------------------------------
// Responses: Python's xmlrpc.client.Unmarshaller.
//
// supervisorctl and every other client read responses with it, so this
// decoder accepts what it accepts: namespace prefixes are ignored, i1/i2/i4/
// i8/int/biginteger are integers, double/float/bigdecimal are floats, <nil/>
// is nil, a bare <value>text</value> is a string; booleans must be 0 or 1.

// DecodeResponse reads a methodResponse. A fault response is returned as a
// *Fault error; an error wrapping ErrMalformed means the document is not a
// response Python could read.
func DecodeResponse(r io.Reader) (Value, error) {
	doc, err := readDoc(r)
	if err != nil {
		return nil, err
	}
	return decodeResponseBytes(doc, nil)
}

// decodeResponseBytes is DecodeResponse of a document in memory: the
// direct reading of the usual shape when it applies, else the tokens'.
func decodeResponseBytes(doc []byte, keep []string) (Value, error) {
	if v, fault, ok := fastDecodeResponse(doc, keep); ok {
		if fault != nil {
			return nil, fault
		}
		return v, nil
	}
	v, err := decodeResponseTokens(doc)
	if err == nil && keep != nil {
		v = keepMembers(v, keep)
	}
	return v, err
}

// keepMembers drops from every struct in v the members keep does not
// name, as the fast decoder does while reading.
func keepMembers(v Value, keep []string) Value {
	switch x := v.(type) {
	case map[string]any:
		for k, m := range x {
			if slices.Contains(keep, k) {
				x[k] = keepMembers(m, keep)
			} else {
				delete(x, k)
			}
		}
	case []any:
		for i := range x {
			x[i] = keepMembers(x[i], keep)
		}
	}
	return v
}

// decodeResponseTokens decodes the scanner's tokens, or encoding/xml's
// when the scanner gives up.
func decodeResponseTokens(doc []byte) (Value, error) {
	v, err := decodeResponse(newScanner(doc))
	if err != nil {
		if _, ok := err.(*Fault); !ok {
			return decodeResponse(newStdTokenizer(bytes.NewReader(doc)))
		}
	}
	return v, err
}

func decodeResponse(t tokenSource) (Value, error) {
	var (
		stack   = make([]any, 0, 64)
		marks   []int
		data    []byte // text since the last start tag
		inValue bool
		kind    string // "params" or "fault"
	)
	for {
		tok, err := t.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		switch tok.kind {
		case tokStart:
			tag := tok.local()
			if string(tag) == "array" || string(tag) == "struct" {
				marks = append(marks, len(stack))
			}
			data = data[:0]
			if inValue && !isResponseTag(tag) {
				return nil, malformed("unknown tag %q", tag)
			}
			inValue = string(tag) == "value"
		case tokText:
			data = append(data, tok.text...)
		case tokEnd:
			tag := tok.local()
			var v any
			switch string(tag) {
			case "nil":
				v = nil
			case "boolean":
				switch string(data) {
				case "0":
					v = false
				case "1":
					v = true
				default:
					return nil, malformed("bad boolean value %q", data)
				}
			case "i1", "i2", "i4", "i8", "int", "biginteger":
				i, ok := parseSimpleInt(data)
				if !ok {
					var err error
					if i, err = parsePyInt(string(data)); err != nil {
						return nil, err
					}
				}
				v = i
			case "double", "float", "bigdecimal":
				f, err := parsePyFloat(string(data))
				if err != nil {
					return nil, err
				}
				v = f
			case "string":
				v = string(data)
			case "name":
				v = internName(data)
			case "base64":
				b, err := decodeBase64(string(data))
				if err != nil {
					return nil, err
				}
				v = b
			case "dateTime.iso8601":
				tm, err := parseISO8601(string(data))
				if err != nil {
					return nil, err
				}
				v = tm
			case "array":
				mark := marks[len(marks)-1]
				marks = marks[:len(marks)-1]
				l := make([]any, len(stack)-mark)
				copy(l, stack[mark:])
				stack = append(stack[:mark], l)
				inValue = false
				continue
			case "struct":
				mark := marks[len(marks)-1]
				marks = marks[:len(marks)-1]
				items := stack[mark:]
				if len(items)%2 != 0 {
					return nil, malformed("struct member without a value")
				}
				m := make(map[string]any, len(items)/2)
				for i := 0; i < len(items); i += 2 {
					m[structKey(items[i])] = items[i+1]
				}
				stack = append(stack[:mark], m)
				inValue = false
				continue
			case "value":
				if !inValue {
					continue // a typed child already pushed the value
				}
				v = string(data)
			case "params":
				kind = "params"
				continue
			case "fault":
				kind = "fault"
				continue
			default:
				continue
			}
			stack = append(stack, v)
			inValue = false
		}
	}
	if kind == "" || len(marks) > 0 {
		return nil, malformed("not a methodResponse")
	}
	if kind == "fault" {
		if len(stack) != 1 {
			return nil, malformed("fault without exactly one value")
		}
		m, ok := stack[0].(map[string]any)
		if !ok || len(m) != 2 {
			return nil, malformed("fault value is not a {faultCode, faultString} struct")
		}
		code, ok1 := m["faultCode"].(int)
		msg, ok2 := m["faultString"].(string)
		if !ok1 || !ok2 {
			return nil, malformed("fault value is not a {faultCode, faultString} struct")
		}
		return nil, &Fault{Code: code, String: msg}
	}
	if len(stack) != 1 {
		return nil, malformed("response carries %d values, want 1", len(stack))
	}
	return stack[0], nil
}

// isResponseTag reports whether Python's Unmarshaller knows tag.
func isResponseTag(tag []byte) bool {
	switch string(tag) {
	case "nil", "boolean", "i1", "i2", "i4", "i8", "int", "biginteger", "double", "float",
		"bigdecimal", "string", "name", "array", "struct", "base64", "dateTime.iso8601",
		"value", "params", "fault", "methodName":
		return true
	}
	return false
}

// parseISO8601 accepts what XML-RPC servers send in dateTime.iso8601: the
// classic 20060102T15:04:05 and the dashed form some servers use.
func parseISO8601(s string) (time.Time, error) {
	t := strings.TrimSpace(s)
	for _, layout := range []string{"20060102T15:04:05", "2006-01-02T15:04:05", "20060102T150405"} {
		if tm, err := time.Parse(layout, t); err == nil {
			return tm, nil
		}
	}
	return time.Time{}, malformed("bad dateTime.iso8601 %q", s)
}

// parseSimpleInt reads the usual spelling of an int, an optional '-' and
// up to 18 digits, without the string parsePyInt needs; ok is false for
// anything else (whitespace, '+', underscores, long numbers).
func parseSimpleInt(b []byte) (int, bool) {
	neg := len(b) > 0 && b[0] == '-'
	if neg {
		b = b[1:]
	}
	if len(b) == 0 || len(b) > 18 {
		return 0, false
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	if neg {
		n = -n
	}
	return n, true
}

// internTag returns the request tags Supervisor knows as constants, so a
// request does not allocate one string per element.
func internTag(b []byte) string {
	switch string(b) {
	case "value":
		return "value"
	case "param":
		return "param"
	case "params":
		return "params"
	case "string":
		return "string"
	case "int":
		return "int"
	case "i4":
		return "i4"
	case "boolean":
		return "boolean"
	case "array":
		return "array"
	case "data":
		return "data"
	case "struct":
		return "struct"
	case "member":
		return "member"
	case "name":
		return "name"
	case "methodName":
		return "methodName"
	case "methodCall":
		return "methodCall"
	}
	return string(b)
}

// internName returns a struct member name as a Value. The names
// Supervisor's answers carry come back as constants: a constant string in an
// interface needs no allocation, where string(b) boxed into one costs two, so
// reading getAllProcessInfo does not allocate 14 names per process. A switch
// rather than a lookup table keeps the table out of every applet's start-up.
func internName(b []byte) Value {
	switch string(b) {
	case "name":
		return "name"
	case "group":
		return "group"
	case "description":
		return "description"
	case "start":
		return "start"
	case "stop":
		return "stop"
	case "now":
		return "now"
	case "state":
		return "state"
	case "statename":
		return "statename"
	case "spawnerr":
		return "spawnerr"
	case "exitstatus":
		return "exitstatus"
	case "logfile":
		return "logfile"
	case "stdout_logfile":
		return "stdout_logfile"
	case "stderr_logfile":
		return "stderr_logfile"
	case "pid":
		return "pid"
	case "status":
		return "status"
	case "faultCode":
		return "faultCode"
	case "faultString":
		return "faultString"
	case "statecode":
		return "statecode"
	case "methodName":
		return "methodName"
	case "params":
		return "params"
	case "inuse":
		return "inuse"
	case "autostart":
		return "autostart"
	case "priority":
		return "priority"
	case "group_prio":
		return "group_prio"
	case "process_prio":
		return "process_prio"
	case "command":
		return "command"
	case "directory":
		return "directory"
	case "environment":
		return "environment"
	case "exitcodes":
		return "exitcodes"
	case "killasgroup":
		return "killasgroup"
	case "redirect_stderr":
		return "redirect_stderr"
	case "serverurl":
		return "serverurl"
	case "startretries":
		return "startretries"
	case "startsecs":
		return "startsecs"
	case "stderr_capture_maxbytes":
		return "stderr_capture_maxbytes"
	case "stderr_events_enabled":
		return "stderr_events_enabled"
	case "stderr_logfile_backups":
		return "stderr_logfile_backups"
	case "stderr_logfile_maxbytes":
		return "stderr_logfile_maxbytes"
	case "stderr_syslog":
		return "stderr_syslog"
	case "stdout_capture_maxbytes":
		return "stdout_capture_maxbytes"
	case "stdout_events_enabled":
		return "stdout_events_enabled"
	case "stdout_logfile_backups":
		return "stdout_logfile_backups"
	case "stdout_logfile_maxbytes":
		return "stdout_logfile_maxbytes"
	case "stdout_syslog":
		return "stdout_syslog"
	case "stopsignal":
		return "stopsignal"
	case "stopwaitsecs":
		return "stopwaitsecs"
	case "stopasgroup":
		return "stopasgroup"
	case "uid":
		return "uid"
	case "umask":
		return "umask"
	case "autorestart":
		return "autorestart"
	}
	return string(b)
}
