package xmlrpc

import (
	"errors"
	"slices"
	"strconv"
)

// Marshaler is a value that writes its own encoding. A handler returning
// a large, fixed-shape result (getAllProcessInfo's hundreds of structs)
// can hand the encoder its data as is, rather than building a Struct of
// boxed values per item only for the encoder to take it apart again.
// Decoders never produce a Marshaler.
type Marshaler interface {
	MarshalXMLRPC(w *Writer) error
}

// Writer writes the value of a Marshaler, as the encoder would write the
// equivalent Struct, []any, string or int: same bytes. A Marshaler writes
// exactly one value: a scalar, or a Begin/End pair with members or
// elements in between.
type Writer struct {
	e     *encoder
	depth int
}

var errIntRange = errors.New("xmlrpc: int exceeds XML-RPC limits")

// Value writes any encodable value.
func (w *Writer) Value(v Value) error { return w.e.value(v, w.depth+1) }

// Grow makes room for about n more bytes when the answer is built in
// memory (as the server builds it, to send its length first), so that a
// large answer is allocated once rather than grown by doubling: at
// 500 processes that was eight allocations and copies, and after the
// start-up burst a collection, for 0.7 MB. It changes nothing written.
func (w *Writer) Grow(n int) {
	if e := w.e; e.w == nil && n > 0 {
		e.buf = slices.Grow(e.buf, n)
	}
}

// String writes a string value.
func (w *Writer) String(s string) { w.e.string(s) }

// Int writes an int value; outside int32 it fails as the encoder does.
func (w *Writer) Int(i int64) error { return w.e.int(i) }

// BeginArray starts an array; its elements follow, then EndArray.
func (w *Writer) BeginArray() {
	w.e.maybeFlush()
	w.e.str("<value><array><data>\n")
}

// EndArray ends the array BeginArray started.
func (w *Writer) EndArray() { w.e.str("</data></array></value>\n") }

// BeginStruct starts a struct; its members follow, then EndStruct.
func (w *Writer) BeginStruct() {
	w.e.maybeFlush()
	w.e.str("<value><struct>\n")
}

// EndStruct ends the struct BeginStruct started.
func (w *Writer) EndStruct() { w.e.str("</struct></value>\n") }

// Member writes a struct member of any encodable value.
func (w *Writer) Member(name string, v Value) error { return w.e.member(name, v, w.depth+1) }

// StringMember writes a struct member whose value is a string.
func (w *Writer) StringMember(name, s string) {
	if len(name)+len(s) < flushAt {
		b := append(w.e.buf, "<member>\n<name>"...)
		b = appendText(b, name)
		b = append(b, "</name>\n<value><string>"...)
		b = appendText(b, s)
		w.e.buf = append(b, "</string></value>\n</member>\n"...)
		w.e.maybeFlush()
		return
	}
	w.memberName(name)
	w.e.string(s)
	w.e.str("</member>\n")
}

// IntMember writes a struct member whose value is an int.
func (w *Writer) IntMember(name string, i int64) error {
	if i > maxInt || i < minInt {
		return errIntRange
	}
	if len(name) < flushAt {
		b := append(w.e.buf, "<member>\n<name>"...)
		b = appendText(b, name)
		b = append(b, "</name>\n<value><int>"...)
		b = strconv.AppendInt(b, i, 10)
		w.e.buf = append(b, "</int></value>\n</member>\n"...)
		return nil
	}
	w.memberName(name)
	w.e.int(i)
	w.e.str("</member>\n")
	return nil
}

func (w *Writer) memberName(name string) {
	w.e.str("<member>\n<name>")
	w.e.text(name)
	w.e.str("</name>\n")
}
