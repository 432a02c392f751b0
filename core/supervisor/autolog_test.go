package supervisor

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"super/core/config"
)

// An unusable childlogdir is reported when the group is built, once per
// AUTO log as 4.2's mkstemp fails, and the process then has no log file.
func TestAutoLogInUnusableChildlogdir(t *testing.T) {
	dir := t.TempDir()
	notDir := filepath.Join(dir, "file")
	if err := os.WriteFile(notDir, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, childlogdir, want string }{
		{"missing", filepath.Join(dir, "missing"), "no such file or directory"},
		{"file", notDir, "not a directory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := prog("cat", "cat", func(c *config.ProcessConfig) {
				c.Autostart = false
				c.Stdout.Logfile, c.Stderr.Logfile = config.LogAuto, config.LogAuto
			})
			cfg := cfgOf(p)
			cfg.Supervisord.Childlogdir = tc.childlogdir
			s, log := start(t, cfg)
			info, err := s.ProcessInfo("cat")
			if err != nil {
				t.Fatal(err)
			}
			if info.StdoutLogfile != "" || info.StderrLogfile != "" {
				t.Errorf("log files %q %q, want none", info.StdoutLogfile, info.StderrLogfile)
			}
			var errs []string
			for _, l := range log.snapshot() {
				if strings.HasPrefix(l, "ERRO could not create") {
					errs = append(errs, l)
				}
			}
			if len(errs) != 2 || !strings.Contains(errs[0], "stdout log for cat") || !strings.Contains(errs[1], "stderr log for cat") ||
				!strings.Contains(errs[0], tc.want) || !strings.Contains(errs[1], tc.want) {
				t.Errorf("activity log errors %q, want one per stream saying %q", errs, tc.want)
			}
		})
	}
}
