package xmlrpc

import (
	"bytes"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
)

// scanDocs exercise every construct the scanner handles itself, and some it
// hands to encoding/xml.
var scanDocs = []string{
	"<?xml version='1.0'?>\n<methodResponse>\n<params>\n<param>\n<value><string>a&lt;b&gt;c&amp;d&apos;e&quot;</string></value>\n</param>\n</params>\n</methodResponse>\n",
	"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><r><v>&#65;&#x42;&#x63;&#233;&#x1F600;&#xD800;</v></r>",
	"<r>\r\nline\rtwo\r\n<![CDATA[<raw>&amp;\r\n]]]></r>",
	"<!-- head --><?pi data?><r a='1' b = \"x&amp;y\" ex:c='2'><!----><x/>tail<?x?></r>\n<!-- foot -->\n",
	"<ex:r xmlns:ex='urn:x'><ex:i8>5</ex:i8><a:>1</a:><:b>2</:b></ex:r>",
	"<r>é ☃ 😀</r>",
	"<!DOCTYPE r><r/>",
	"<r>\x01</r>",
	"<r>&#1;</r>",
	"<r>&#xFFFE;</r>",
	"<r>a]]>b</r>",
	"<r>&foo;</r>",
	"<r>&#x;</r>",
	"<r a=\"<\"/>",
	"<r><a:b:c/></r>",
	"<r></s>",
	"<r/><r/>",
	"<r/>junk",
	"<?xml version='1.1'?><r/>",
	"<r><!-- a -- b --></r>",
	"<r>\xff</r>",
	"<ré/>",
	"<1r/>",
	"<r",
	"<r>",
	"",
	"  \n",
}

type scanTok struct {
	Kind tokKind
	Name string
	Text string
}

// tokens drains a token source, joining adjacent text runs (both
// decoders concatenate them, and the two tokenizers split text
// differently around comments and CDATA).
func tokens(src tokenSource) ([]scanTok, error) {
	var out []scanTok
	for {
		tok, err := src.next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		if tok.kind == tokText && len(out) > 0 && out[len(out)-1].Kind == tokText {
			out[len(out)-1].Text += string(tok.text)
			continue
		}
		out = append(out, scanTok{tok.kind, string(tok.name), string(tok.text)})
	}
}

func checkScanner(t *testing.T, doc []byte) {
	fast, ferr := tokens(newScanner(doc))
	std, serr := tokens(newStdTokenizer(bytes.NewReader(doc)))
	if ferr == nil {
		if serr != nil {
			t.Fatalf("%q: scanner accepts, encoding/xml says %v", doc, serr)
		}
		if !reflect.DeepEqual(fast, std) {
			t.Fatalf("%q: tokens differ\nscanner %q\nstd     %q", doc, fast, std)
		}
	} else if !errors.Is(ferr, errGiveUp) {
		t.Fatalf("%q: scanner error %v is not errGiveUp", doc, ferr)
	}

	m1, p1, e1 := decodeCall(newScanner(doc))
	m2, p2, e2 := decodeCall(newStdTokenizer(bytes.NewReader(doc)))
	if e1 == nil && (e2 != nil || m1 != m2 || !reflect.DeepEqual(normFloats(p1), normFloats(p2))) {
		t.Fatalf("%q: decodeCall: scanner %q %#v, encoding/xml %q %#v %v", doc, m1, p1, m2, p2, e2)
	}
	m3, p3, e3 := DecodeCall(bytes.NewReader(doc))
	if (e3 == nil) != (e2 == nil) || m3 != m2 || !reflect.DeepEqual(normFloats(p3), normFloats(p2)) {
		t.Fatalf("%q: DecodeCall %q %#v %v, encoding/xml %q %#v %v", doc, m3, p3, e3, m2, p2, e2)
	}

	v1, e1 := decodeResponse(newScanner(doc))
	v2, e2 := decodeResponse(newStdTokenizer(bytes.NewReader(doc)))
	var f1 *Fault
	if e1 == nil || errors.As(e1, &f1) {
		if !reflect.DeepEqual(normFloats(v1), normFloats(v2)) || !reflect.DeepEqual(e1, e2) {
			t.Fatalf("%q: decodeResponse: scanner %#v %v, encoding/xml %#v %v", doc, v1, e1, v2, e2)
		}
	}
	v3, e3 := DecodeResponse(bytes.NewReader(doc))
	if !reflect.DeepEqual(normFloats(v3), normFloats(v2)) || (e3 == nil) != (e2 == nil) {
		t.Fatalf("%q: DecodeResponse %#v %v, encoding/xml %#v %v", doc, v3, e3, v2, e2)
	}
}

// The scanner agrees with encoding/xml on every document it accepts, and
// the public decoders agree with encoding/xml on every document.
func TestScannerMatchesStd(t *testing.T) {
	docs := append([]string{}, scanDocs...)
	docs = append(docs, requestDocs...)
	for _, tc := range encodeTable {
		docs = append(docs, respHead+tc.want+respTail)
	}
	for _, d := range docs {
		checkScanner(t, []byte(d))
	}
}

// Well-formed XML-RPC must take the fast path: the speed of supervisorctl
// depends on it.
func TestScannerReadsXMLRPC(t *testing.T) {
	var b bytes.Buffer
	EncodeResponse(&b, processInfos(3))
	EncodeFault(&b, NewFaultf(FaultBadName, "x & <y>"))
	EncodeCall(&b, "supervisor.startProcess", []Value{"group:name", true, 1.5, []byte("x"), []any{map[string]any{"a": 1}}})
	for _, d := range append(strings.SplitAfter(b.String(), "</methodResponse>\n"), requestDocs[:10]...) {
		if d == "" {
			continue
		}
		if _, err := tokens(newScanner([]byte(d))); err != nil {
			t.Errorf("scanner gave up on %q", d)
		}
	}
}

func FuzzScannerMatchesStd(f *testing.F) {
	for _, d := range scanDocs {
		f.Add([]byte(d))
	}
	for _, d := range requestDocs {
		f.Add([]byte(d))
	}
	for _, tc := range encodeTable {
		f.Add([]byte(respHead + tc.want + respTail))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		checkScanner(t, doc)
	})
}

func BenchmarkDecodeCall(b *testing.B) {
	var buf bytes.Buffer
	EncodeCall(&buf, "supervisor.getAllProcessInfo", nil)
	doc := buf.Bytes()
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := decodeCallBytes(doc); err != nil {
			b.Fatal(err)
		}
	}
}
