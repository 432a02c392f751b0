package logging

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"super/core/config"
)

// BenchmarkChildLogWrite is the pipe reader's hot path: 4 KiB chunks of
// text lines into a rotated stdout log. It must not allocate per write.
func BenchmarkChildLogWrite(b *testing.B) {
	for _, bc := range []struct {
		name string
		lc   config.LogConfig
		opts StreamOptions
	}{
		{"rotating", config.LogConfig{Maxbytes: 8 << 20, Backups: 2}, StreamOptions{}},
		{"capture", config.LogConfig{Maxbytes: 8 << 20, Backups: 2, CaptureMaxbytes: 1 << 20}, StreamOptions{}},
		{"strip_ansi", config.LogConfig{Maxbytes: 8 << 20, Backups: 2}, StreamOptions{StripANSI: true}},
		{"timestamps", config.LogConfig{Maxbytes: 8 << 20, Backups: 2, Timestamps: true}, StreamOptions{}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			bc.lc.Logfile = filepath.Join(b.TempDir(), "x.log")
			opts := bc.opts
			opts.Process, opts.Channel, opts.Log = "x", "stdout", bc.lc
			opts.Activity, _ = New(config.Supervisord{Loglevel: config.LevelInfo}, LoggerOptions{})
			s, err := NewStream(opts)
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			chunk := bytes.Repeat([]byte("2026-11-25 10:00:00 GET /index.html 200 \x1b[32mOK\x1b[0m 1234\n"), 4096/58)
			b.SetBytes(int64(len(chunk)))
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				s.Write(chunk)
			}
		})
	}
}

// BenchmarkRawFileWrite is the baseline: the same chunks straight into a
// file.
func BenchmarkRawFileWrite(b *testing.B) {
	f, err := os.Create(filepath.Join(b.TempDir(), "raw.log"))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	chunk := bytes.Repeat([]byte("2026-11-25 10:00:00 GET /index.html 200 \x1b[32mOK\x1b[0m 1234\n"), 4096/58)
	b.SetBytes(int64(len(chunk)))
	b.ReportAllocs()
	for b.Loop() {
		f.Write(chunk)
	}
}

func TestChildLogWriteDoesNotAllocate(t *testing.T) {
	s := newTestStream(t, config.LogConfig{Logfile: filepath.Join(t.TempDir(), "x.log"), Maxbytes: 1 << 16, Backups: 1, CaptureMaxbytes: 100})
	chunk := bytes.Repeat([]byte("some output line\n"), 100)
	s.Write(chunk) // warm up scratch buffers
	if n := testing.AllocsPerRun(200, func() { s.Write(chunk) }); n > 0.1 {
		t.Fatalf("%.2f allocations per write", n)
	}
}
