package supervisor

import (
	"fmt"
	"testing"
	"time"

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

// BenchmarkInfoAndStats500 is the engine's part of getAllProcessInfo and
// of super.getAllProcessStats (status, the web UI, /metrics) over 500
// RUNNING programs: the description of each process and its counters.
func BenchmarkInfoAndStats500(b *testing.B) {
	var procs []*config.ProcessConfig
	for i := range 500 {
		procs = append(procs, prog(fmt.Sprintf("p%03d", i), "x", priority(i)))
	}
	w := newFakeWorld(b, cfgOf(procs...))
	for range 10 {
		w.pass()
		w.elapse(2 * time.Second)
	}
	list := w.s.listing()
	now := capped(time.Now().Unix())
	b.ReportAllocs()
	for b.Loop() {
		for _, p := range list {
			_ = w.s.infoAt(p, now)
		}
		_ = w.s.statsOf(list)
	}
}
