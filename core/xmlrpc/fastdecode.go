package xmlrpc

import "bytes"

// fastDecodeResponse reads a methodResponse in exactly the shape XML-RPC
// servers write (ours, Python's xmlrpc.client.dumps): an optional XML
// declaration, <methodResponse>, one <params><param><value> or a
// <fault><value>, values typed or bare, whitespace only between elements.
//
// The token-driven decoder spends most of a getAllProcessInfo answer on
// per-token overhead (an interface call and a token per tag and per line
// break); reading the known grammar directly from the bytes skips all of
// that. Anything outside the grammar — comments, CDATA, attributes,
// namespace prefixes, self-closing tags other than <nil/>, space inside
// tags, unknown tags, deep nesting — and any value the general decoder
// would refuse (a bad int, boolean, double, base64 or date, a fault that
// is not {faultCode, faultString}) makes it give up (ok false), and the
// general decoder reads the document and decides. When ok is true the
// answer is the general decoder's: the value, or fault non-nil
// (FuzzFastDecodeMatches checks this).
//
// keep, when not nil, drops from every struct of a successful answer the
// members it does not name (see Client.CallKeep); a fault is read whole.
func fastDecodeResponse(doc []byte, keep []string) (v Value, fault *Fault, ok bool) {
	r := fastReader{doc: doc, stack: make([]any, 0, 64)}
	r.decl()
	r.space()
	if !r.lit("<methodResponse>") {
		return nil, nil, false
	}
	r.space()
	isFault := false
	switch {
	case r.lit("<params>"):
		r.space()
		if !r.lit("<param>") {
			return nil, nil, false
		}
		r.space()
		r.keep = keep
		if v, ok = r.value(0); !ok {
			return nil, nil, false
		}
		r.keep = nil
		r.space()
		if !r.lit("</param>") {
			return nil, nil, false
		}
		r.space()
		if !r.lit("</params>") {
			return nil, nil, false
		}
	case r.lit("<fault>"):
		r.space()
		if v, ok = r.value(0); !ok {
			return nil, nil, false
		}
		r.space()
		if !r.lit("</fault>") {
			return nil, nil, false
		}
		isFault = true
	default:
		return nil, nil, false
	}
	r.space()
	if !r.lit("</methodResponse>") {
		return nil, nil, false
	}
	r.space()
	if r.pos != len(doc) {
		return nil, nil, false
	}
	if !isFault {
		return v, nil, true
	}
	m, ok := v.(map[string]any)
	if !ok || len(m) != 2 {
		return nil, nil, false
	}
	code, ok1 := m["faultCode"].(int)
	msg, ok2 := m["faultString"].(string)
	if !ok1 || !ok2 {
		return nil, nil, false
	}
	return nil, &Fault{Code: code, String: msg}, true
}

// fastMaxValueDepth bounds value nesting. Each level opens three elements
// (value, array/struct, data/member), so the deepest document read here
// stays far below maxDecodeDepth, where the general decoder refuses.
const fastMaxValueDepth = 100

var nameTag = []byte("name")

type fastReader struct {
	doc   []byte
	pos   int
	sc    scanner // its charData decodes text, with its buffer
	stack []any   // values of the arrays and structs being read

	keep []string // struct members kept; nil: all
	// skip > 0 while reading a member keep drops: its value is read and
	// checked as any other, so the answer is refused exactly when it would
	// be without keep, but nothing is built (the value returned is nil).
	skip int
}

// dropped tells whether a struct member named name is read but not kept.
func (r *fastReader) dropped(name []byte) bool {
	if r.keep == nil || r.skip > 0 {
		return false
	}
	for _, k := range r.keep {
		if string(name) == k {
			return false
		}
	}
	return true
}

// xmlDecls are the declarations servers write; any other is left to the
// general decoder, which checks the version.
var xmlDecls = []string{
	`<?xml version='1.0'?>`,
	`<?xml version="1.0"?>`,
	`<?xml version='1.0' encoding='utf-8'?>`,
	`<?xml version='1.0' encoding='UTF-8'?>`,
	`<?xml version="1.0" encoding="utf-8"?>`,
	`<?xml version="1.0" encoding="UTF-8"?>`,
}

func (r *fastReader) decl() {
	for _, d := range xmlDecls {
		if r.lit(d) {
			return
		}
	}
}

// lit consumes s if the document continues with it.
func (r *fastReader) lit(s string) bool {
	if len(r.doc)-r.pos >= len(s) && string(r.doc[r.pos:r.pos+len(s)]) == s {
		r.pos += len(s)
		return true
	}
	return false
}

func (r *fastReader) space() {
	for r.pos < len(r.doc) && isSpace(r.doc[r.pos]) {
		r.pos++
	}
}

// rawText returns the bytes up to the next '<' (which must exist).
func (r *fastReader) rawText() ([]byte, bool) {
	i := bytes.IndexByte(r.doc[r.pos:], '<')
	if i < 0 {
		return nil, false
	}
	raw := r.doc[r.pos : r.pos+i]
	r.pos += i
	return raw, true
}

// endTag consumes "</tag>".
func (r *fastReader) endTag(tag []byte) bool {
	d, p := r.doc, r.pos
	if len(d)-p < len(tag)+3 || d[p] != '<' || d[p+1] != '/' ||
		!bytes.Equal(d[p+2:p+2+len(tag)], tag) || d[p+2+len(tag)] != '>' {
		return false
	}
	r.pos = p + len(tag) + 3
	return true
}

// element reads the text content of an element whose start tag has been
// read, and its end tag. The text is valid until the next call.
func (r *fastReader) element(tag []byte) ([]byte, bool) {
	raw, ok := r.rawText()
	if !ok || !r.endTag(tag) {
		return nil, false
	}
	return r.sc.charData(raw)
}

func (r *fastReader) value(depth int) (Value, bool) {
	if depth > fastMaxValueDepth || !r.lit("<value>") {
		return nil, false
	}
	raw, ok := r.rawText()
	if !ok {
		return nil, false
	}
	if r.lit("</value>") {
		// A bare <value>text</value> is a string.
		text, ok := r.sc.charData(raw)
		if !ok || r.skip > 0 {
			return nil, ok
		}
		return string(text), true
	}
	if !allSpace(raw) {
		return nil, false
	}
	v, ok := r.typed(depth)
	if !ok {
		return nil, false
	}
	r.space()
	if !r.lit("</value>") {
		return nil, false
	}
	return v, true
}

// typed reads the typed element inside a <value>.
func (r *fastReader) typed(depth int) (Value, bool) {
	d := r.doc
	if r.pos >= len(d) || d[r.pos] != '<' {
		return nil, false
	}
	start := r.pos + 1
	end := start
	for end < len(d) && (d[end] >= 'a' && d[end] <= 'z' || d[end] >= 'A' && d[end] <= 'Z' ||
		d[end] >= '0' && d[end] <= '9' || d[end] == '.') {
		end++
	}
	tag := d[start:end]
	if string(tag) == "nil" && r.litAt(end, "/>") {
		r.pos = end + 2
		return nil, true
	}
	if end >= len(d) || d[end] != '>' {
		return nil, false
	}
	r.pos = end + 1
	switch string(tag) {
	case "array":
		return r.array(depth)
	case "struct":
		return r.structValue(depth)
	case "nil":
		return nil, r.endTag(tag)
	}
	text, ok := r.element(tag)
	if !ok {
		return nil, false
	}
	v, ok := r.scalar(tag, text)
	if r.skip > 0 {
		return nil, ok
	}
	return v, ok
}

// scalar converts the text of a scalar element; a string being skipped
// is not copied.
func (r *fastReader) scalar(tag, text []byte) (Value, bool) {
	switch string(tag) {
	case "string":
		if r.skip > 0 {
			return nil, true
		}
		return string(text), true
	case "i4", "int", "i8", "i1", "i2", "biginteger":
		if i, ok := parseSimpleInt(text); ok {
			if r.skip > 0 {
				return nil, true
			}
			return i, true
		}
		i, err := parsePyInt(string(text))
		return i, err == nil
	case "boolean":
		switch string(text) {
		case "0":
			return false, true
		case "1":
			return true, true
		}
	case "double", "float", "bigdecimal":
		f, err := parsePyFloat(string(text))
		return f, err == nil
	case "base64":
		b, err := decodeBase64(string(text))
		return b, err == nil
	case "dateTime.iso8601":
		tm, err := parseISO8601(string(text))
		return tm, err == nil
	}
	return nil, false
}

func (r *fastReader) litAt(p int, s string) bool {
	return len(r.doc)-p >= len(s) && string(r.doc[p:p+len(s)]) == s
}

// array reads "<data> <value>… </data></array>" after "<array>".
func (r *fastReader) array(depth int) (Value, bool) {
	r.space()
	if !r.lit("<data>") {
		return nil, false
	}
	mark := len(r.stack)
	for {
		r.space()
		if r.lit("</data>") {
			break
		}
		v, ok := r.value(depth + 1)
		if !ok {
			return nil, false
		}
		if r.skip == 0 {
			r.stack = append(r.stack, v)
		}
	}
	r.space()
	if !r.lit("</array>") {
		return nil, false
	}
	if r.skip > 0 {
		return nil, true
	}
	l := make([]any, len(r.stack)-mark)
	copy(l, r.stack[mark:])
	clear(r.stack[mark:])
	r.stack = r.stack[:mark]
	return l, true
}

// structValue reads "<member><name>…</name><value>…</value></member>…
// </struct>" after "<struct>". A repeated name keeps its last value.
func (r *fastReader) structValue(depth int) (Value, bool) {
	mark := len(r.stack)
	for {
		r.space()
		if r.lit("</struct>") {
			break
		}
		if !r.lit("<member>") {
			return nil, false
		}
		r.space()
		if !r.lit("<name>") {
			return nil, false
		}
		text, ok := r.element(nameTag)
		if !ok {
			return nil, false
		}
		drop := r.dropped(text)
		var name Value
		if drop {
			r.skip++
		} else if r.skip == 0 {
			name = internName(text)
		}
		r.space()
		v, ok := r.value(depth + 1)
		if drop {
			r.skip--
		}
		if !ok {
			return nil, false
		}
		r.space()
		if !r.lit("</member>") {
			return nil, false
		}
		if !drop && r.skip == 0 {
			r.stack = append(r.stack, name, v)
		}
	}
	if r.skip > 0 {
		return nil, true
	}
	items := r.stack[mark:]
	m := make(map[string]any, len(items)/2)
	for i := 0; i < len(items); i += 2 {
		m[items[i].(string)] = items[i+1]
	}
	clear(items)
	r.stack = r.stack[:mark]
	return m, true
}
