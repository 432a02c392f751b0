package xmlrpc

import (
	"bytes"
	"strings"
	"testing"
)

// A 1 MiB log tail, as readProcessStdoutLog returns it.
func BenchmarkEncodeLog1MiB(b *testing.B) {
	line := "2024-01-02 03:04:05,678 INFO <worker> processed job #1234 & flushed\n"
	s := strings.Repeat(line, (1<<20)/len(line)+1)[:1<<20]
	var buf bytes.Buffer
	b.SetBytes(int64(len(s)))
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		if err := EncodeResponse(&buf, s); err != nil {
			b.Fatal(err)
		}
	}
}

func processInfos(n int) []any {
	infos := make([]any, n)
	for i := range infos {
		infos[i] = Struct{
			{"name", "worker_" + strings.Repeat("x", i%7)}, {"group", "workers"}, {"description", "pid 4242, uptime 1:02:03"},
			{"start", 1700000000}, {"stop", 0}, {"now", 1700003723}, {"state", 20}, {"statename", "RUNNING"},
			{"spawnerr", ""}, {"exitstatus", 0}, {"logfile", "/var/log/w.log"}, {"stdout_logfile", "/var/log/w.log"},
			{"stderr_logfile", ""}, {"pid", 4242},
		}
	}
	return infos
}

// getAllProcessInfo with 100 processes.
func BenchmarkEncode100Structs(b *testing.B) {
	v := processInfos(100)
	var buf bytes.Buffer
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		if err := EncodeResponse(&buf, v); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(buf.Len()))
}

func BenchmarkDecode100Structs(b *testing.B) {
	var buf bytes.Buffer
	EncodeResponse(&buf, processInfos(100))
	doc := buf.Bytes()
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeResponse(bytes.NewReader(doc)); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeLog1MiB(b *testing.B) {
	var buf bytes.Buffer
	EncodeResponse(&buf, strings.Repeat("log line & more <stuff>\n", (1<<20)/24))
	doc := buf.Bytes()
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeResponse(bytes.NewReader(doc)); err != nil {
			b.Fatal(err)
		}
	}
}

// getAllProcessInfo with 100 processes, keeping supervisorctl status's
// members only.
func BenchmarkDecode100StructsKeep(b *testing.B) {
	var buf bytes.Buffer
	EncodeResponse(&buf, processInfos(100))
	doc := buf.Bytes()
	keep := []string{"name", "group", "statename", "description", "state", "pid", "faultCode", "faultString"}
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := decodeResponseBytes(doc, keep); err != nil {
			b.Fatal(err)
		}
	}
}
