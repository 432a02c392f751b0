package xmlrpc

import (
	"bytes"
	"math"
	"strings"
	"testing"
)

type testInfo struct {
	name  string
	start int64
	extra Value
}

type testInfos []testInfo

func (l testInfos) MarshalXMLRPC(w *Writer) error {
	w.BeginArray()
	for _, i := range l {
		w.BeginStruct()
		w.StringMember("name", i.name)
		if err := w.IntMember("start", i.start); err != nil {
			return err
		}
		if err := w.Member("extra", i.extra); err != nil {
			return err
		}
		w.EndStruct()
	}
	w.String("tail & <end>")
	if err := w.Int(-7); err != nil {
		return err
	}
	if err := w.Value([]any{true, 1.5}); err != nil {
		return err
	}
	w.EndArray()
	return nil
}

func (l testInfos) generic() []any {
	var out []any
	for _, i := range l {
		out = append(out, Struct{{"name", i.name}, {"start", i.start}, {"extra", i.extra}})
	}
	return append(out, "tail & <end>", -7, []any{true, 1.5})
}

// A Marshaler's bytes are exactly those of the equivalent generic value,
// alone and nested (as multicall nests results).
func TestMarshalerMatchesGeneric(t *testing.T) {
	infos := testInfos{{"a&b", 0, "x"}, {"ünï\x01", math.MaxInt32, []any{1}}, {"", -5, map[string]any{"k": "v"}}}
	for _, v := range []struct{ m, g Value }{
		{infos, infos.generic()},
		{[]any{[]any{infos}, 3}, []any{[]any{infos.generic()}, 3}},
	} {
		var got, want bytes.Buffer
		if err := EncodeResponse(&got, v.m); err != nil {
			t.Fatal(err)
		}
		if err := EncodeResponse(&want, v.g); err != nil {
			t.Fatal(err)
		}
		if got.String() != want.String() {
			t.Errorf("marshaler wrote\n%s\nwant\n%s", got.String(), want.String())
		}
	}
	if err := EncodeResponse(&bytes.Buffer{}, testInfos{{"x", math.MaxInt32 + 1, 1}}); err == nil {
		t.Error("int beyond int32 encoded")
	}
	if err := EncodeResponse(&bytes.Buffer{}, testInfos{{"x", 1, nil}}); err == nil {
		t.Error("nil encoded")
	}
}

type benchInfos int

func (n benchInfos) MarshalXMLRPC(w *Writer) error {
	w.BeginArray()
	for i := range int(n) {
		w.BeginStruct()
		w.StringMember("name", "worker_"+strings.Repeat("x", i%7))
		w.StringMember("group", "workers")
		w.StringMember("description", "pid 4242, uptime 1:02:03")
		w.IntMember("start", 1700000000)
		w.IntMember("stop", 0)
		w.IntMember("now", 1700003723)
		w.IntMember("state", 20)
		w.StringMember("statename", "RUNNING")
		w.StringMember("spawnerr", "")
		w.IntMember("exitstatus", 0)
		w.StringMember("logfile", "/var/log/w.log")
		w.StringMember("stdout_logfile", "/var/log/w.log")
		w.StringMember("stderr_logfile", "")
		w.IntMember("pid", 4242)
		w.EndStruct()
	}
	w.EndArray()
	return nil
}

// getAllProcessInfo with 100 processes, written by a Marshaler.
func BenchmarkEncode100Marshaler(b *testing.B) {
	var buf bytes.Buffer
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		if err := EncodeResponse(&buf, benchInfos(100)); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(buf.Len()))
}

// grownInfos is testInfos that makes room for its answer first.
type grownInfos struct {
	testInfos
	room int
}

func (g grownInfos) MarshalXMLRPC(w *Writer) error {
	w.Grow(g.room)
	return g.testInfos.MarshalXMLRPC(w)
}

// Grow changes nothing written; an answer built in memory with enough
// room made is allocated once instead of grown step by step.
func TestWriterGrow(t *testing.T) {
	infos := make(testInfos, 300)
	for i := range infos {
		infos[i] = testInfo{name: strings.Repeat("n", 40), start: int64(i), extra: "x"}
	}
	plain, err := encodeAppend(nil, func(e *encoder) error { return e.response(infos) })
	if err != nil {
		t.Fatal(err)
	}
	g := grownInfos{infos, len(plain)}
	grown, err := encodeAppend(nil, func(e *encoder) error { return e.response(g) })
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(plain, grown) {
		t.Fatal("Grow changed the encoding")
	}
	var streamed bytes.Buffer
	if err := EncodeResponse(&streamed, g); err != nil || !bytes.Equal(streamed.Bytes(), plain) {
		t.Fatalf("streamed with Grow: %v, equal %v", err, bytes.Equal(streamed.Bytes(), plain))
	}
	// Grown by doubling, a ten times larger answer takes more allocations;
	// with the room made first it takes as many as a small one. Under the
	// race detector sync.Pool drops a quarter of what is put back, and each
	// encoder made anew is two more allocations: about half a one per call
	// on average, enough to move the whole number AllocsPerRun reports by
	// one. Doubling costs several more than that.
	allocs := func(n int, grow bool) float64 {
		var v Value = infos[:n]
		if grow {
			v = grownInfos{infos[:n], len(plain)}
		}
		return testing.AllocsPerRun(100, func() {
			encodeAppend(nil, func(e *encoder) error { return e.response(v) })
		})
	}
	small, big := allocs(30, false), allocs(300, false)
	smallGrown, bigGrown := allocs(30, true), allocs(300, true)
	if big <= small+1 || bigGrown > smallGrown+1 {
		t.Errorf("allocations for 30 and 300 infos: %v and %v grown by doubling, %v and %v with Grow", small, big, smallGrown, bigGrown)
	}
}
