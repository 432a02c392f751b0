package config

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Loading a config of 500 programs: the daemon does it at start and at
// every reread, supervisorctl (LoadClient) at every run.
func BenchmarkLoad500Programs(b *testing.B) { benchmarkLoad(b, 500) }

// At 1,000 and 5,000 programs: the time per program should stay the same
// (a reread at 5,000 once cost 10 times the one at 1,000).
func BenchmarkLoad1000Programs(b *testing.B) { benchmarkLoad(b, 1000) }
func BenchmarkLoad5000Programs(b *testing.B) { benchmarkLoad(b, 5000) }

func benchmarkLoad(b *testing.B, n int) {
	dir := b.TempDir()
	var sb strings.Builder
	fmt.Fprintf(&sb, "[unix_http_server]\nfile=%s/s.sock\n[supervisord]\nlogfile=%s/sd.log\nchildlogdir=%s\n[rpcinterface:supervisor]\nsupervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n[supervisorctl]\nserverurl=unix://%s/s.sock\n", dir, dir, dir, dir)
	for i := 0; i < n; i++ {
		fmt.Fprintf(&sb, "[program:p%04d]\ncommand=sleep 900\nstartsecs=0\n", i)
	}
	p := filepath.Join(dir, "s.conf")
	os.WriteFile(p, []byte(sb.String()), 0o644)
	b.Run("Load", func(b *testing.B) {
		for b.Loop() {
			if _, err := Load(p); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("LoadClient", func(b *testing.B) {
		for b.Loop() {
			if _, err := LoadClient(p); err != nil {
				b.Fatal(err)
			}
		}
	})
}
