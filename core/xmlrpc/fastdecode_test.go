package xmlrpc

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
)

// Responses as Python's xmlrpc.client.dumps writes them (Python 3.11).
var pythonResponses = []string{
	"<?xml version='1.0'?>\n<methodResponse>\n<params>\n<param>\n<value><struct>\n<member>\n<name>name</name>\n<value><string>w</string></value>\n</member>\n<member>\n<name>pid</name>\n<value><int>4242</int></value>\n</member>\n<member>\n<name>description</name>\n<value><string>pid 4242, uptime 1:02:03</string></value>\n</member>\n<member>\n<name>spawnerr</name>\n<value><string></string></value>\n</member>\n<member>\n<name>now</name>\n<value><int>1700003723</int></value>\n</member>\n</struct></value>\n</param>\n</params>\n</methodResponse>\n",
	"<?xml version='1.0'?>\n<methodResponse>\n<fault>\n<value><struct>\n<member>\n<name>faultCode</name>\n<value><int>10</int></value>\n</member>\n<member>\n<name>faultString</name>\n<value><string>BAD_NAME: foo</string></value>\n</member>\n</struct></value>\n</fault>\n</methodResponse>\n",
	"<?xml version='1.0'?>\n<methodResponse>\n<params>\n<param>\n<value><array><data>\n<value><nil/></value><value><array><data>\n</data></array></value>\n<value><struct>\n</struct></value>\n<value><base64>\nAGJpbg==\n</base64></value>\n<value><double>1.5</double></value>\n<value><boolean>1</boolean></value>\n</data></array></value>\n</param>\n</params>\n</methodResponse>\n",
}

// fastSeeds are documents the fast reader must read itself.
func fastSeeds() []string {
	var docs []string
	for _, tc := range encodeTable {
		docs = append(docs, respHead+tc.want+respTail)
	}
	docs = append(docs, pythonResponses...)
	var b bytes.Buffer
	EncodeFault(&b, NewFaultf(FaultSpawnError, "x & <y>"))
	docs = append(docs, b.String())
	b.Reset()
	EncodeResponse(&b, processInfos(3))
	docs = append(docs, b.String())
	b.Reset()
	EncodeResponse(&b, []any{[]any{}, map[string]any{"k": []any{"v", 1, true, 2.5, []byte("b")}}, "x\r\ny"})
	docs = append(docs, b.String())
	return docs
}

// The usual documents take the fast path, and it agrees with the general
// decoder on them.
func TestFastDecodeTakesUsualShapes(t *testing.T) {
	docs := fastSeeds()
	docs = append(docs,
		"<methodResponse><params><param><value>bare &amp; text\r\n</value></param></params></methodResponse>",
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n<methodResponse><params><param><value><i8>8589934592</i8></value></param></params></methodResponse>",
		respHead+"<value>\n  <string>s</string>\n  </value>\n"+respTail,
		respHead+"<value><dateTime.iso8601>20240102T03:04:05</dateTime.iso8601></value>\n"+respTail,
		respHead+"<value><nil></nil></value>\n"+respTail,
		respHead+"<value><int> +1_000 </int></value>\n"+respTail,
	)
	for _, doc := range docs {
		v, fault, ok := fastDecodeResponse([]byte(doc), nil)
		if !ok {
			t.Errorf("fast path gave up on %q", doc)
			continue
		}
		checkFastMatches(t, []byte(doc), v, fault)
	}
}

// Documents outside the grammar, or with values the general decoder
// refuses, are left to it.
func TestFastDecodeGivesUp(t *testing.T) {
	for name, doc := range map[string]string{
		"comment":       respHead + "<value><!-- c --><int>1</int></value>" + respTail,
		"cdata":         respHead + "<value><string><![CDATA[x]]></string></value>" + respTail,
		"namespace":     respHead + `<value><ex:i8 xmlns:ex="urn:x">1</ex:i8></value>` + respTail,
		"attribute":     "<methodResponse a='1'><params><param><value>x</value></param></params></methodResponse>",
		"space in tag":  respHead + "<value ><int>1</int></value>" + respTail,
		"doctype":       "<!DOCTYPE x><methodResponse><params><param><value>x</value></param></params></methodResponse>",
		"unknown tag":   respHead + "<value><foo>1</foo></value>" + respTail,
		"bad int":       respHead + "<value><int>x</int></value>" + respTail,
		"bad boolean":   respHead + "<value><boolean>true</boolean></value>" + respTail,
		"control char":  respHead + "<value><string>\x01</string></value>" + respTail,
		"two params":    "<methodResponse><params><param><value>a</value></param><param><value>b</value></param></params></methodResponse>",
		"odd fault":     "<methodResponse><fault><value><struct></struct></value></fault></methodResponse>",
		"trailing junk": respHead + "<value>x</value>" + respTail + "x",
		"text and tag":  respHead + "<value>x<int>1</int></value>" + respTail,
		"self-closing":  respHead + "<value/>" + respTail,
		"too deep":      respHead + strings.Repeat("<value><array><data>", fastMaxValueDepth+2) + strings.Repeat("</data></array></value>", fastMaxValueDepth+2) + respTail,
		"unclosed":      "<methodResponse><params><param><value><array><data>",
		"other version": "<?xml version='1.1'?><methodResponse><params><param><value>x</value></param></params></methodResponse>",
	} {
		if _, _, ok := fastDecodeResponse([]byte(doc), nil); ok {
			t.Errorf("%s: fast path accepted %q", name, doc)
		}
	}
}

func checkFastMatches(t *testing.T, doc []byte, v Value, fault *Fault) {
	t.Helper()
	want, wantErr := decodeResponseTokens(doc)
	var err error
	if fault != nil {
		err = fault
	}
	if (err == nil) != (wantErr == nil) || err != nil && (err.Error() != wantErr.Error() || reflect.TypeOf(err) != reflect.TypeOf(wantErr)) {
		t.Fatalf("fast path error %v, general decoder %v on %q", err, wantErr, doc)
	}
	if !reflect.DeepEqual(normFloats(v), normFloats(want)) {
		t.Fatalf("fast path read %#v, general decoder %#v from %q", v, want, doc)
	}
}

// Whatever the fast path answers, the general decoder answers too.
func FuzzFastDecodeMatches(f *testing.F) {
	for _, d := range fastSeeds() {
		f.Add([]byte(d))
	}
	f.Add([]byte("<methodResponse><params><param><value><array><data><value><nil/></value><value><i8>1</i8></value></data></array></value></param></params></methodResponse>"))
	f.Add([]byte("<methodResponse><params><param><value>bare &#x41;&#66;&lt;&gt;&quot;&apos;\r</value></param></params></methodResponse>"))
	f.Add([]byte(respHead + "<value><struct><member><name>a</name><value><int>1</int></value></member><member><name>a</name><value>x</value></member></struct></value>" + respTail))
	f.Fuzz(func(t *testing.T, doc []byte) {
		v, fault, ok := fastDecodeResponse(doc, nil)
		if !ok {
			return
		}
		checkFastMatches(t, doc, v, fault)
	})
}

// keepSet is what the keep tests keep: names of the seeds' structs, one
// fault member (a fault answer is read whole regardless) and one absent.
var keepSet = []string{"name", "pid", "k", "a", "faultString", "absent"}

// With keep, the fast path refuses exactly the documents it refuses
// without, and its answer is the full answer with the other members
// dropped from every struct, as the general decoder's is.
func checkKeepMatches(t *testing.T, doc []byte) {
	t.Helper()
	full, fullFault, fullOK := fastDecodeResponse(doc, nil)
	v, fault, ok := fastDecodeResponse(doc, keepSet)
	if ok != fullOK {
		t.Fatalf("with keep the fast path says ok=%v, without %v, on %q", ok, fullOK, doc)
	}
	if ok {
		if !reflect.DeepEqual(fault, fullFault) {
			t.Fatalf("with keep fault %v, without %v, on %q", fault, fullFault, doc)
		}
		if want := keepMembers(full, keepSet); !reflect.DeepEqual(normFloats(v), normFloats(want)) {
			t.Fatalf("with keep read %#v, want %#v from %q", v, want, doc)
		}
	}
	got, err := decodeResponseBytes(doc, keepSet)
	want, wantErr := decodeResponseTokens(doc)
	if wantErr == nil {
		want = keepMembers(want, keepSet)
	}
	if (err == nil) != (wantErr == nil) || err != nil && err.Error() != wantErr.Error() {
		t.Fatalf("decode with keep: error %v, general decoder %v on %q", err, wantErr, doc)
	}
	if !reflect.DeepEqual(normFloats(got), normFloats(want)) {
		t.Fatalf("decode with keep read %#v, general decoder then keepMembers %#v from %q", got, want, doc)
	}
}

func TestFastDecodeKeep(t *testing.T) {
	for _, doc := range fastSeeds() {
		checkKeepMatches(t, []byte(doc))
	}
	// A getAllProcessInfo answer keeps what it is asked for, nothing else.
	var b bytes.Buffer
	EncodeResponse(&b, processInfos(2))
	v, err := decodeResponseBytes(b.Bytes(), []string{"name", "pid"})
	if err != nil {
		t.Fatal(err)
	}
	want := []any{map[string]any{"name": "worker_", "pid": 4242}, map[string]any{"name": "worker_x", "pid": 4242}}
	if !reflect.DeepEqual(v, want) {
		t.Errorf("kept %#v, want %#v", v, want)
	}
	// A dropped member is still checked: a bad value in it refuses the
	// answer on the fast path as it would without keep.
	bad := respHead + "<value><struct><member><name>dropped</name><value><int>x</int></value></member></struct></value>" + respTail
	if _, _, ok := fastDecodeResponse([]byte(bad), keepSet); ok {
		t.Errorf("fast path with keep accepted a bad dropped value")
	}
	if _, err := decodeResponseBytes([]byte(bad), keepSet); err == nil {
		t.Errorf("decode with keep accepted a bad dropped value")
	}
}

func FuzzFastDecodeKeep(f *testing.F) {
	for _, d := range fastSeeds() {
		f.Add([]byte(d))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		checkKeepMatches(t, doc)
	})
}
