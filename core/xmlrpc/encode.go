package xmlrpc

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// The encoder writes exactly what Python's xmlrpc.client.dumps writes
// (Supervisor's xmlrpc_marshal): a single-quoted XML declaration, one
// element per line, every string in <string>, only &, < and > escaped.
// It streams into the writer: no intermediate strings, so a megabyte of log
// text costs one pass over it.

const xmlHeader = "<?xml version='1.0'?>\n"

// Python refuses ints outside int32 ("int exceeds XML-RPC limits"); so do
// we, rather than emit an <int> some clients would reject.
const (
	maxInt = math.MaxInt32
	minInt = math.MinInt32
)

// maxEncodeDepth bounds nesting so a cyclic value (a slice containing
// itself through an interface) fails instead of recursing forever; Python
// raises "cannot marshal recursive sequences" in the same situation.
const maxEncodeDepth = 100

// EncodeResponse writes a methodResponse carrying v.
func EncodeResponse(w io.Writer, v Value) error {
	return encodeTo(w, func(e *encoder) error { return e.response(v) })
}

func (e *encoder) response(v Value) error {
	e.str(responseOpen)
	if err := e.value(v, 0); err != nil {
		return err
	}
	e.str(responseClose)
	return nil
}

// EncodeFault writes a methodResponse carrying the fault f.
func EncodeFault(w io.Writer, f *Fault) error {
	return encodeTo(w, func(e *encoder) error { return e.faultResponse(f) })
}

func (e *encoder) faultResponse(f *Fault) error {
	e.str(xmlHeader + "<methodResponse>\n<fault>\n")
	e.fault(f)
	e.str("</fault>\n</methodResponse>\n")
	return nil
}

// EncodeCall writes a methodCall of method with params.
func EncodeCall(w io.Writer, method string, params []Value) error {
	return encodeTo(w, func(e *encoder) error {
		e.str(xmlHeader + "<methodCall>\n<methodName>")
		e.text(method)
		e.str("</methodName>\n<params>\n")
		for _, p := range params {
			e.str("<param>\n")
			if err := e.value(p, 0); err != nil {
				return err
			}
			e.str("</param>\n")
		}
		e.str("</params>\n</methodCall>\n")
		return nil
	})
}

// encoder appends to buf and hands it to w in chunks: appending to a
// slice costs a fraction of one interface call per tag, and a response of
// 500 processes holds tens of thousands of them.
type encoder struct {
	w   io.Writer
	buf []byte
	err error // first write error; later writes are no-ops
}

// flushAt is the buffered size past which the encoder writes to w.
const flushAt = 32 << 10

var encoderPool = sync.Pool{New: func() any { return &encoder{buf: make([]byte, 0, flushAt+4096)} }}

func encodeTo(w io.Writer, body func(*encoder) error) error {
	e := encoderPool.Get().(*encoder)
	e.w, e.buf, e.err = w, e.buf[:0], nil
	err := body(e)
	if err == nil {
		e.flush()
		err = e.err
	}
	e.w = nil
	if cap(e.buf) <= 4*flushAt {
		encoderPool.Put(e)
	}
	return err
}

// encodeAppend runs body with the encoder appending to dst and nowhere
// else, and returns the grown dst: the HTTP handler needs the whole answer
// for its Content-Length anyway, and this spares it a copy.
func encodeAppend(dst []byte, body func(*encoder) error) ([]byte, error) {
	e := encoderPool.Get().(*encoder)
	own := e.buf
	e.w, e.buf, e.err = nil, dst, nil
	err := body(e)
	out := e.buf
	e.buf = own[:0]
	encoderPool.Put(e)
	return out, err
}

// flush hands the buffer to w; without a w (encodeAppend) it keeps growing.
func (e *encoder) flush() {
	if e.w == nil {
		return
	}
	if e.err == nil && len(e.buf) > 0 {
		_, e.err = e.w.Write(e.buf)
	}
	e.buf = e.buf[:0]
}

// maybeFlush writes the buffer out once it is large; called between values.
func (e *encoder) maybeFlush() {
	if len(e.buf) >= flushAt && e.w != nil {
		e.flush()
	}
}

func (e *encoder) str(s string) {
	e.buf = append(e.buf, s...)
}

// text writes s as XML character data. Python escapes &, < and > only and
// would emit everything else raw — including control characters and
// invalid UTF-8 that no XML parser (Python's included) accepts. Process
// output contains such bytes, so we replace what XML 1.0 cannot carry
// (invalid UTF-8, C0 controls other than tab, LF and CR, U+FFFE, U+FFFF)
// with U+FFFD: the response stays parseable and identical to Python's for
// every string Python itself could deliver. CR stays raw, as in Python, so
// parsers see LF there, as they do with Supervisor.
func (e *encoder) text(s string) {
	if len(s) < flushAt {
		e.buf = appendText(e.buf, s)
		e.maybeFlush()
		return
	}
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if asciiSafe[c] {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			e.chunk(s[start:i])
			e.str(asciiEscape[c])
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && size == 1) || r == 0xFFFE || r == 0xFFFF {
			e.chunk(s[start:i])
			e.str("\uFFFD")
			i += size
			start = i
			continue
		}
		i += size
	}
	e.chunk(s[start:])
}

// appendText is text for a string short enough to go through the buffer.
// It works on a local slice: the encoder lives on the heap, and every
// store to e.buf costs a write barrier while the collector marks.
func appendText(b []byte, s string) []byte {
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if asciiSafe[c] {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			b = append(append(b, s[start:i]...), asciiEscape[c]...)
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && size == 1) || r == 0xFFFE || r == 0xFFFF {
			b = append(append(b, s[start:i]...), "\uFFFD"...)
			i += size
			start = i
			continue
		}
		i += size
	}
	return append(b, s[start:]...)
}

// chunk appends a run of text; a long one (a log tail) goes to w directly
// rather than through the buffer.
func (e *encoder) chunk(s string) {
	if len(s) < flushAt || e.w == nil {
		e.buf = append(e.buf, s...)
		e.maybeFlush()
		return
	}
	e.flush()
	if e.err == nil {
		_, e.err = io.WriteString(e.w, s)
	}
}

// asciiSafe marks the ASCII bytes written as they are; asciiEscape holds
// the replacement of every other ASCII byte.
var asciiSafe, asciiEscape = func() (safe [256]bool, esc [128]string) {
	for c := 0; c < utf8.RuneSelf; c++ {
		switch {
		case c == '&':
			esc[c] = "&amp;"
		case c == '<':
			esc[c] = "&lt;"
		case c == '>':
			esc[c] = "&gt;"
		case c < 0x20 && c != '\t' && c != '\n' && c != '\r':
			esc[c] = "\uFFFD"
		default:
			safe[c] = true
		}
	}
	return
}()

func (e *encoder) fault(f *Fault) {
	e.str("<value><struct>\n<member>\n<name>faultCode</name>\n<value><int>")
	e.buf = strconv.AppendInt(e.buf, int64(f.Code), 10)
	e.str("</int></value>\n</member>\n<member>\n<name>faultString</name>\n<value><string>")
	e.text(f.String)
	e.str("</string></value>\n</member>\n</struct></value>\n")
}

func (e *encoder) int(i int64) error {
	if i > maxInt || i < minInt {
		return errIntRange
	}
	b := append(e.buf, "<value><int>"...)
	b = strconv.AppendInt(b, i, 10)
	e.buf = append(b, "</int></value>\n"...)
	return nil
}

func (e *encoder) uint(u uint64) error {
	if u > maxInt {
		return errors.New("xmlrpc: int exceeds XML-RPC limits")
	}
	return e.int(int64(u))
}

func (e *encoder) string(s string) {
	if len(s) < flushAt {
		b := append(e.buf, "<value><string>"...)
		b = appendText(b, s)
		e.buf = append(b, "</string></value>\n"...)
		e.maybeFlush()
		return
	}
	e.str("<value><string>")
	e.text(s)
	e.str("</string></value>\n")
}

func (e *encoder) bool(b bool) {
	if b {
		e.str("<value><boolean>1</boolean></value>\n")
	} else {
		e.str("<value><boolean>0</boolean></value>\n")
	}
}

func (e *encoder) double(f float64) {
	e.str("<value><double>")
	e.str(formatDouble(f))
	e.str("</double></value>\n")
}

// formatDouble is Python's repr(float): shortest round-trip digits, an
// exponent below 1e-4 and from 1e16 on, and always a decimal point
// otherwise.
func formatDouble(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	case math.IsNaN(f):
		return "nan"
	}
	if f != 0 {
		if a := math.Abs(f); a < 1e-4 || a >= 1e16 {
			return strconv.FormatFloat(f, 'e', -1, 64)
		}
	}
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.ContainsRune(s, '.') {
		s += ".0"
	}
	return s
}

func (e *encoder) time(t time.Time) {
	e.str("<value><dateTime.iso8601>")
	e.buf = t.AppendFormat(e.buf, "20060102T15:04:05")
	e.str("</dateTime.iso8601></value>\n")
}

// base64 writes b the way Python's base64.encodebytes does: lines of 76
// characters, each ending in a newline.
func (e *encoder) base64(b []byte) {
	e.str("<value><base64>\n")
	const chunk = 57 // 57 bytes → 76 characters
	for len(b) > 0 {
		n := min(len(b), chunk)
		e.buf = base64.StdEncoding.AppendEncode(e.buf, b[:n])
		e.buf = append(e.buf, '\n')
		b = b[n:]
		e.maybeFlush()
	}
	e.str("</base64></value>\n")
}

func (e *encoder) member(name string, v Value, depth int) error {
	e.str("<member>\n<name>")
	e.text(name)
	e.str("</name>\n")
	if err := e.value(v, depth); err != nil {
		return err
	}
	e.str("</member>\n")
	return nil
}

func (e *encoder) value(v Value, depth int) error {
	if depth > maxEncodeDepth {
		return errors.New("xmlrpc: cannot marshal recursive or too deeply nested values")
	}
	e.maybeFlush()
	switch v := v.(type) {
	case nil:
		return errors.New("xmlrpc: cannot marshal None unless allow_none is enabled")
	case string:
		e.string(v)
	case int:
		return e.int(int64(v))
	case int64:
		return e.int(v)
	case int32:
		return e.int(int64(v))
	case bool:
		e.bool(v)
	case float64:
		e.double(v)
	case []byte:
		e.base64(v)
	case time.Time:
		e.time(v)
	case []any:
		e.str("<value><array><data>\n")
		for _, x := range v {
			if err := e.value(x, depth+1); err != nil {
				return err
			}
		}
		e.str("</data></array></value>\n")
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		e.str("<value><struct>\n")
		for _, k := range keys {
			if err := e.member(k, v[k], depth+1); err != nil {
				return err
			}
		}
		e.str("</struct></value>\n")
	case Struct:
		e.str("<value><struct>\n")
		for _, m := range v {
			if err := e.member(m.Name, m.Value, depth+1); err != nil {
				return err
			}
		}
		e.str("</struct></value>\n")
	case Member:
		e.str("<value><struct>\n")
		if err := e.member(v.Name, v.Value, depth+1); err != nil {
			return err
		}
		e.str("</struct></value>\n")
	case *Fault:
		if v == nil {
			return errors.New("xmlrpc: cannot marshal a nil *Fault")
		}
		e.fault(v)
	case Fault:
		e.fault(&v)
	case Marshaler:
		return v.MarshalXMLRPC(&Writer{e: e, depth: depth})
	default:
		return e.reflectValue(reflect.ValueOf(v), depth)
	}
	return nil
}

var timeType = reflect.TypeFor[time.Time]()

// reflectValue covers the kinds the type switch does not list: named
// types, typed slices and maps, Go structs.
func (e *encoder) reflectValue(rv reflect.Value, depth int) error {
	switch rv.Kind() {
	case reflect.Pointer, reflect.Interface:
		if rv.IsNil() {
			return errors.New("xmlrpc: cannot marshal None unless allow_none is enabled")
		}
		return e.value(rv.Elem().Interface(), depth+1)
	case reflect.Bool:
		e.bool(rv.Bool())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return e.int(rv.Int())
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return e.uint(rv.Uint())
	case reflect.Float32, reflect.Float64:
		e.double(rv.Float())
	case reflect.String:
		e.string(rv.String())
	case reflect.Slice, reflect.Array:
		if rv.Type().Elem().Kind() == reflect.Uint8 {
			if rv.Kind() == reflect.Slice {
				e.base64(rv.Bytes())
			} else {
				b := make([]byte, rv.Len())
				reflect.Copy(reflect.ValueOf(b), rv)
				e.base64(b)
			}
			return nil
		}
		e.str("<value><array><data>\n")
		for i := range rv.Len() {
			if err := e.value(rv.Index(i).Interface(), depth+1); err != nil {
				return err
			}
		}
		e.str("</data></array></value>\n")
	case reflect.Map:
		if rv.Type().Key().Kind() != reflect.String {
			return errors.New("xmlrpc: dictionary key must be string")
		}
		keys := rv.MapKeys()
		slices.SortFunc(keys, func(a, b reflect.Value) int { return strings.Compare(a.String(), b.String()) })
		e.str("<value><struct>\n")
		for _, k := range keys {
			if err := e.member(k.String(), rv.MapIndex(k).Interface(), depth+1); err != nil {
				return err
			}
		}
		e.str("</struct></value>\n")
	case reflect.Struct:
		if rv.Type() == timeType {
			e.time(rv.Interface().(time.Time))
			return nil
		}
		e.str("<value><struct>\n")
		for _, f := range structFields(rv.Type()) {
			if err := e.member(f.name, rv.Field(f.index).Interface(), depth+1); err != nil {
				return err
			}
		}
		e.str("</struct></value>\n")
	default:
		return fmt.Errorf("xmlrpc: cannot marshal %s objects", rv.Type())
	}
	return nil
}

type field struct {
	name  string
	index int
}

var fieldCache sync.Map // reflect.Type → []field

// structFields lists the encodable fields of a struct type in declaration
// order: exported, not tagged "-", named by their xmlrpc tag if any.
func structFields(t reflect.Type) []field {
	if f, ok := fieldCache.Load(t); ok {
		return f.([]field)
	}
	var fields []field
	for i := range t.NumField() {
		sf := t.Field(i)
		if !sf.IsExported() {
			continue
		}
		name := sf.Name
		if tag, ok := sf.Tag.Lookup("xmlrpc"); ok {
			if tag == "-" {
				continue
			}
			if tag, _, _ = strings.Cut(tag, ","); tag != "" {
				name = tag
			}
		}
		fields = append(fields, field{name, i})
	}
	fieldCache.Store(t, fields)
	return fields
}
