package supervisor

import (
	"fmt"
	"testing"

	"super/core/config"
)

// BenchmarkSetup500Programs builds the groups of 500 one-program groups with
// AUTO logs, as the daemon does before its first spawn.
func BenchmarkSetup500Programs(b *testing.B) {
	var progs []*config.ProcessConfig
	for i := range 500 {
		progs = append(progs, prog(fmt.Sprintf("p%04d", i), "sleep 900", func(c *config.ProcessConfig) {
			c.Stdout.Logfile = config.LogAuto
			c.Stderr.Logfile = config.LogAuto
			c.Stdout.Maxbytes = 50 << 20
			c.Stderr.Maxbytes = 50 << 20
		}))
	}
	cfg := cfgOf(progs...)
	cfg.Supervisord.Childlogdir = b.TempDir()
	b.ReportAllocs()
	for b.Loop() {
		s := New(cfg, Deps{Logger: &memLog{}})
		s.setup()
		s.autoLogs.stop()
	}
}
