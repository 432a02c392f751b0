package xmlrpc

import (
	"bytes"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

func FuzzDecodeCall(f *testing.F) {
	for _, d := range requestDocs {
		f.Add([]byte(d))
	}
	f.Add([]byte(strings.Repeat("<value>", 600)))
	f.Add([]byte("<methodCall><methodName>a.b</methodName><params><param><value><struct><member><name>x</name><value><base64>////</base64></value></member></struct></value></param></params></methodCall>"))
	f.Fuzz(func(t *testing.T, doc []byte) {
		method, params, err := DecodeCall(bytes.NewReader(doc))
		if err != nil {
			return
		}
		if method == "" || params == nil {
			t.Fatalf("accepted call without method or params: %q %v", method, params)
		}
	})
}

func FuzzDecodeResponse(f *testing.F) {
	for _, tc := range encodeTable {
		f.Add([]byte(respHead + tc.want + respTail))
	}
	var b bytes.Buffer
	EncodeFault(&b, NewFaultf(FaultSpawnError, "x"))
	f.Add(b.Bytes())
	f.Add([]byte("<methodResponse><params><param><value><array><data><value><nil/></value><value><i8>1</i8></value></data></array></value></param></params></methodResponse>"))
	f.Fuzz(func(t *testing.T, doc []byte) {
		v, err := DecodeResponse(bytes.NewReader(doc))
		if err != nil {
			return
		}
		// Whatever decodes and can be encoded must survive a round trip.
		var out bytes.Buffer
		if EncodeResponse(&out, v) != nil {
			return // nil, ints beyond int32, invalid text: legitimately not encodable
		}
		back, err := DecodeResponse(&out)
		if err != nil {
			t.Fatalf("re-decoding our own encoding of %#v: %v\n%s", v, err, out.Bytes())
		}
		if s, ok := v.(string); ok && !validXMLText(s) {
			return // sanitised on the way out
		}
		if !reflect.DeepEqual(normFloats(back), normFloats(v)) && !hasInvalidText(v) {
			t.Fatalf("round trip changed %#v into %#v", v, back)
		}
	})
}

// FuzzServeHTTP feeds arbitrary bodies to the handler: it must answer every
// one with a status, never panic.
func FuzzServeHTTP(f *testing.F) {
	r := testRegistry()
	r.MaxBodyBytes = 1 << 16
	for _, d := range requestDocs {
		f.Add([]byte(d))
	}
	var b bytes.Buffer
	EncodeCall(&b, "system.multicall", []Value{[]any{map[string]any{"methodName": "test.echo", "params": []any{1}}}})
	f.Add(b.Bytes())
	f.Fuzz(func(t *testing.T, body []byte) {
		rec := httptest.NewRecorder()
		r.ServeHTTP(rec, httptest.NewRequest("POST", "/RPC2", bytes.NewReader(body)))
		switch rec.Code {
		case 200, 400, 413, 500:
		default:
			t.Fatalf("status %d", rec.Code)
		}
		if rec.Code == 200 {
			if _, err := DecodeResponse(rec.Body); err != nil {
				if _, ok := err.(*Fault); !ok {
					t.Fatalf("200 response does not decode: %v", err)
				}
			}
		}
	})
}

func validXMLText(s string) bool {
	var b bytes.Buffer
	e := &encoder{w: &b}
	e.text(s)
	e.flush()
	return b.String() == strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

func hasInvalidText(v any) bool {
	switch v := v.(type) {
	case string:
		return !validXMLText(v)
	case []any:
		for _, x := range v {
			if hasInvalidText(x) {
				return true
			}
		}
	case map[string]any:
		for k, x := range v {
			if !validXMLText(k) || hasInvalidText(x) {
				return true
			}
		}
	}
	return false
}

// normFloats makes NaN comparable to itself.
func normFloats(v any) any {
	switch v := v.(type) {
	case float64:
		if v != v {
			return "NaN"
		}
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = normFloats(x)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, x := range v {
			out[k] = normFloats(x)
		}
		return out
	}
	return v
}

// escapeRef is the text encoding spelled out a rune at a time: &, < and >
// escaped; invalid UTF-8, C0 controls other than tab, LF and CR, U+FFFE
// and U+FFFF replaced by U+FFFD; everything else as it is.
func escapeRef(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == '&':
			b.WriteString("&amp;")
		case r == '<':
			b.WriteString("&lt;")
		case r == '>':
			b.WriteString("&gt;")
		case r == utf8.RuneError && size == 1, r == 0xFFFE, r == 0xFFFF,
			r < 0x20 && r != '\t' && r != '\n' && r != '\r':
			b.WriteString("\uFFFD")
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// FuzzTextEscaping checks the text encoding (appendText for short strings,
// text for long ones, which flushes as it goes) against escapeRef, with the
// input shifted by up to eight bytes so that an encoding working on words
// rather than bytes would be checked at every alignment.
func FuzzTextEscaping(f *testing.F) {
	for _, s := range []string{"", "plain ascii path /var/log/x.log", "a&b<c>d", "tab\there\r\n", "\x00\x01\x1f\x20\x7f",
		"caf\xc3\xa9 \xff\xfe", "\uFFFE\uFFFF", "1234567\t12345678", strings.Repeat("x", 40) + "<"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for pad := range 9 {
			s := strings.Repeat("p", pad) + s + "12345678"
			want := escapeRef(s)
			if got := string(appendText([]byte("head"), s)); got != "head"+want {
				t.Fatalf("appendText(%q) = %q, want %q", s, got[4:], want)
			}
			lead := strings.Repeat("y", flushAt)
			var b bytes.Buffer
			e := &encoder{w: &b}
			e.text(lead + s)
			e.flush()
			if got := b.String(); got != lead+want {
				t.Fatalf("text(%d y + %q) ends %q, want %q", flushAt, s, got[flushAt:], want)
			}
		}
	})
}
