package usage

import (
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"testing"
	"time"

	"super/core/cgroup"
)

// A tree read from /proc: this process and a child it started.
func TestSampleProcTree(t *testing.T) {
	c := exec.Command("sleep", "30")
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { c.Process.Kill(); c.Wait() }()
	f := Sample([]Target{{Pid: os.Getpid()}, {Pid: 0}})
	if !f[0].OK || f[0].Processes < 2 || f[0].MemoryBytes <= 0 || f[0].FromCgroup {
		t.Fatalf("self and child: %+v", f[0])
	}
	if f[1].OK {
		t.Fatalf("a process not running has figures: %+v", f[1])
	}
}

// BenchmarkSample1000 reads 1,000 programs' figures from /proc: one pass
// over every process of the machine plus 1,000 tree walks. Figure (2
// cores, ~400 processes): see the README's Performance section.
func BenchmarkSample1000(b *testing.B) {
	var kids []*exec.Cmd
	for range 50 {
		c := exec.Command("sleep", "60")
		if err := c.Start(); err != nil {
			b.Fatal(err)
		}
		kids = append(kids, c)
	}
	defer func() {
		for _, c := range kids {
			c.Process.Kill()
			c.Wait()
		}
	}()
	targets := make([]Target, 1000)
	for i := range targets {
		targets[i] = Target{Pid: kids[i%len(kids)].Process.Pid}
	}
	b.ResetTimer()
	reportCPU(b, func() { Sample(targets) })
}

// BenchmarkSample1000Cgroups reads 1,000 programs that each have a
// cgroup (needs root and a cgroup file system).
func BenchmarkSample1000Cgroups(b *testing.B) {
	if os.Geteuid() != 0 {
		b.Skip("needs root: creates 1,000 cgroups")
	}
	tree, err := cgroup.Open("bench-" + strconv.Itoa(os.Getpid()))
	if err != nil {
		b.Skip("no cgroups: ", err)
	}
	targets := make([]Target, 1000)
	for i := range targets {
		g := tree.Group("g:" + strconv.Itoa(i))
		p, err := g.Prepare(cgroup.Limits{})
		if err != nil {
			b.Fatal(err)
		}
		p.Close()
		targets[i] = Target{Pid: os.Getpid(), Cgroup: g}
	}
	defer func() {
		for _, t := range targets {
			t.Cgroup.Remove()
		}
		tree.Remove()
	}()
	b.ResetTimer()
	reportCPU(b, func() { Sample(targets) })
}

// reportCPU runs fn b.N times and reports its CPU time (user+system) per
// run, which is what "cheap" is about, beside the wall time.
func reportCPU(b *testing.B, fn func()) {
	var r0, r1 syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &r0)
	for b.Loop() {
		fn()
	}
	syscall.Getrusage(syscall.RUSAGE_SELF, &r1)
	cpu := time.Duration(r1.Utime.Nano()+r1.Stime.Nano()-r0.Utime.Nano()-r0.Stime.Nano()) / time.Duration(b.N)
	b.ReportMetric(float64(cpu.Microseconds())/1000, "cpu-ms/op")
}
