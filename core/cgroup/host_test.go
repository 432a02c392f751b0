package cgroup

import (
	"os"
	"path/filepath"
	"testing"
)

func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// A hybrid host: v1 controllers (cpu and cpuacct co-mounted) beside a v2
// mount; the daemon's own cgroups as /proc/self/cgroup lists them.
func TestDetectHybrid(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"mountinfo": `31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
`,
		"cgroup": `9:name=systemd:/system.slice/app.service
8:pids:/system.slice/app.service
4:memory:/jobs/7
1:cpu,cpuacct:/
0::/system.slice/app.service
`,
	})
	h, err := detectAt(filepath.Join(dir, "mountinfo"), filepath.Join(dir, "cgroup"))
	if err != nil {
		t.Fatal(err)
	}
	if h.v2 == nil || h.v2.dir() != "/sys/fs/cgroup/unified/system.slice/app.service" {
		t.Fatalf("v2 = %+v", h.v2)
	}
	for ctrl, want := range map[string]string{
		Memory:  "/sys/fs/cgroup/memory/jobs/7",
		CPU:     "/sys/fs/cgroup/cpu,cpuacct",
		CPUAcct: "/sys/fs/cgroup/cpu,cpuacct",
		Pids:    "/sys/fs/cgroup/pids/system.slice/app.service",
	} {
		if hi := h.v1[ctrl]; hi == nil || hi.dir() != want {
			t.Errorf("%s: %+v, want %s", ctrl, hi, want)
		}
	}
	if h.v1[Freezer] != nil {
		t.Errorf("freezer found where none is mounted")
	}
}

// In a container with its own cgroup namespace the mount's root is the
// namespace's: paths are taken relative to it.
func TestDetectV2InContainer(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"mountinfo": "1200 1100 0:26 /kubepods/pod1 /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw\n",
		"cgroup":    "0::/kubepods/pod1/app\n",
	})
	h, err := detectAt(filepath.Join(dir, "mountinfo"), filepath.Join(dir, "cgroup"))
	if err != nil {
		t.Fatal(err)
	}
	if h.v2 == nil || h.v2.dir() != "/sys/fs/cgroup/app" || len(h.v1) != 0 {
		t.Fatalf("v2 = %+v, v1 = %v", h.v2, h.v1)
	}
}

func TestField(t *testing.T) {
	b := []byte("anon 4096\nfile 100\nanon_thp 0\nfile_mapped 8192\noom_kill 3\n")
	for key, want := range map[string]int64{"anon": 4096, "file_mapped": 8192, "oom_kill": 3, "file": 100} {
		if v, ok := field(b, key); !ok || v != want {
			t.Errorf("%s = %d %v, want %d", key, v, ok, want)
		}
	}
	if _, ok := field(b, "anon_"); ok {
		t.Errorf("a key's prefix matched")
	}
	if v, ok := number([]byte("123456789\n")); !ok || v != 123456789 {
		t.Errorf("number = %d %v", v, ok)
	}
}

func TestSanitize(t *testing.T) {
	for in, want := range map[string]string{"web": "web", "a/b": "a_b", "": "_", "..": "_"} {
		if got := sanitize(in); got != want {
			t.Errorf("sanitize(%q) = %q, want %q", in, got, want)
		}
	}
}
