package ctl

import "testing"

// top and stats show memory the same way; a limit reads as its key would
// be written.
func TestHumanSize(t *testing.T) {
	for n, want := range map[int64]string{
		0: "0B", 512: "512B", 1024: "1.0K", 3120 << 10: "3.0M", 48<<20 + 200<<10: "48.2M",
		512 << 20: "512.0M", 3 << 29: "1.5G",
	} {
		if got := humanSize(n); got != want {
			t.Errorf("humanSize(%d) = %q, want %q", n, got, want)
		}
	}
	if got, want := limitsText(map[string]any{"memory_max_kb": 512 << 10, "cpu_quota": 150.0, "killmode": "cgroup"}),
		"memory_max=512.0M cpu_quota=150% killmode=cgroup"; got != want {
		t.Errorf("limitsText = %q, want %q", got, want)
	}
	if got := humanBytes(nil); got != "-" {
		t.Errorf("humanBytes(nil) = %q", got)
	}
}
