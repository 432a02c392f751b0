package e2e

import (
	"os"
	"strings"
	"testing"

	"super/core/testbin"
)

// reread sees a change of any lifecycle key as a changed program, as it
// does for 4.2's keys (and update would restart it).
func TestRereadSeesLifecycleKeys(t *testing.T) {
	t.Parallel()
	const job = `
[program:job]
command=sleep 300
autostart=false
restart_delay=1
restart_delay_max=4
startretries=3
`
	dir := t.TempDir()
	base := testbin.BaseConf(dir)
	d := testbin.StartConf(t, false, dir, base+job)
	if out := ctl(t, d, "reread"); out != "No config updates to processes\n" {
		t.Fatalf("reread of the same config: %q", out)
	}
	for _, edit := range [][2]string{
		{"restart_delay=1", "restart_delay=2"},
		{"restart_delay_max=4", "restart_delay_max=8"},
		{"startretries=3", "startretries=infinite"},
		{"autostart=false", "autostart=false\noneshot=true"},
		{"autostart=false", "autostart=false\nschedule=@hourly"},
	} {
		changed := strings.Replace(job, edit[0], edit[1], 1)
		if err := os.WriteFile(d.Conf, []byte(base+changed), 0o644); err != nil {
			t.Fatal(err)
		}
		if out := ctl(t, d, "reread"); out != "job: changed\n" {
			t.Errorf("reread after %s → %s: %q", edit[0], edit[1], out)
		}
	}
}
