package config

import (
	"strings"
	"syscall"
	"testing"
)

func TestResourcesDefaultsAreOff(t *testing.T) {
	cfg, err := loadString(t, "[supervisord]\n[program:a]\ncommand=/bin/true\n")
	if err != nil {
		t.Fatal(err)
	}
	p := findProc(t, cfg, "a")
	if cfg.Supervisord.Cgroups || p.Resources.Rlimits != nil || p.Resources.Cgroup || p.Resources.HasCgroupLimit() ||
		p.Resources.KillMode != KillProcess || p.Resources.MemoryRestart != 0 {
		t.Fatalf("resource keys not off by default: %+v", p.Resources)
	}
}

func TestResourcesParsed(t *testing.T) {
	cfg, err := loadString(t, `[supervisord]
[program:a]
command=/bin/true
rlimit_nofile = 1024:4096
rlimit_core = unlimited
rlimit_stack = 8MB
rlimit_as = 1GB:unlimited
memory_max = 512MB
memory_high = 256MB
cpu_quota = 150%
cpu_weight = 50
pids_max = 64
killmode = cgroup
memory_restart = 300MB
[program:b]
command=/bin/true
memory_restart = 1GB
[program:c]
command=/bin/true
cpu_quota = 25
`)
	if err != nil {
		t.Fatal(err)
	}
	a := findProc(t, cfg, "a").Resources
	want := []Rlimit{
		{"rlimit_nofile", syscall.RLIMIT_NOFILE, 1024, 4096},
		{"rlimit_core", syscall.RLIMIT_CORE, RlimInfinity, RlimInfinity},
		{"rlimit_as", syscall.RLIMIT_AS, 1 << 30, RlimInfinity},
		{"rlimit_stack", syscall.RLIMIT_STACK, 8 << 20, 8 << 20},
	}
	if len(a.Rlimits) != len(want) {
		t.Fatalf("rlimits %+v, want %+v", a.Rlimits, want)
	}
	for i := range want {
		if a.Rlimits[i] != want[i] {
			t.Errorf("rlimit %d = %+v, want %+v", i, a.Rlimits[i], want[i])
		}
	}
	if a.MemoryMax != 512<<20 || a.MemoryHigh != 256<<20 || a.CPUQuota != 150 || a.CPUWeight != 50 ||
		a.PidsMax != 64 || a.KillMode != KillCgroup || a.MemoryRestart != 300<<20 || !a.Cgroup {
		t.Errorf("a: %+v", a)
	}
	// memory_restart works from /proc too: it asks for no cgroup.
	if b := findProc(t, cfg, "b").Resources; b.Cgroup || b.MemoryRestart != 1<<30 {
		t.Errorf("b: %+v", b)
	}
	if c := findProc(t, cfg, "c").Resources; c.CPUQuota != 25 || !c.Cgroup {
		t.Errorf("c: %+v", c)
	}
}

func TestCgroupsForEveryProgram(t *testing.T) {
	cfg, err := loadString(t, "[supervisord]\ncgroups=true\n[program:a]\ncommand=/bin/true\n[eventlistener:l]\ncommand=/bin/true\nevents=TICK_5\n")
	if err != nil {
		t.Fatal(err)
	}
	if !findProc(t, cfg, "a").Resources.Cgroup || !findProc(t, cfg, "l").Resources.Cgroup {
		t.Fatal("cgroups=true does not give every process a cgroup")
	}
}

func TestResourcesErrorsNameTheKey(t *testing.T) {
	for _, tc := range []struct{ line, want string }{
		{"rlimit_nofile = lots", `rlimit_nofile: "lots" is not a number or unlimited`},
		{"rlimit_nofile = 100:10", "rlimit_nofile: the soft limit 100 is above the hard limit 10"},
		{"rlimit_as = 1XB", `rlimit_as: "1XB" is not a byte size`},
		{"memory_max = -5", "memory_max must not be negative"},
		{"memory_max = big", "memory_max"},
		{"cpu_quota = half", `invalid cpu_quota "half"`},
		{"cpu_quota = 2000000%", `more than 10000 CPUs`},
		{"cpu_weight = 0", "cpu_weight must be between 1 and 10000, not 0"},
		{"cpu_weight = 10001", "cpu_weight must be between 1 and 10000"},
		{"pids_max = 0", "pids_max must be at least 1, not 0"},
		{"killmode = mixed", `invalid killmode "mixed": expected process or cgroup`},
	} {
		_, err := loadString(t, "[supervisord]\n[program:a]\ncommand=/bin/true\n"+tc.line+"\n")
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "program:a") {
			t.Errorf("%s: error %v, want one naming [program:a] and containing %q", tc.line, err, tc.want)
		}
	}
}

// FuzzResourceValues: rlimit, cpu_quota and killmode values from a config
// file never panic, and what is accepted is consistent (soft <= hard, a
// quota above 0 and finite).
func FuzzResourceValues(f *testing.F) {
	for _, s := range []string{"1024", "1024:4096", "unlimited", "64MB:unlimited", "5:3", "150%", " 50 % ", "cgroup", "-1", "1e400%", ":"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		for _, bytes := range []bool{false, true} {
			if soft, hard, err := parseRlimit(v, bytes); err == nil && soft > hard {
				t.Fatalf("parseRlimit(%q) accepted soft %d above hard %d", v, soft, hard)
			}
		}
		if q, err := parseCPUQuota(v); err == nil && (q < 0 || q != q || q > 1e6) {
			t.Fatalf("parseCPUQuota(%q) = %v", v, q)
		}
		parseKillMode(v)
		isPlainPercent(v)
	})
}
