package cgroup

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Group is one program's cgroup. Its methods may be called from any
// goroutine: it holds only paths.
type Group struct {
	tree *Tree
	name string
}

// Name is the cgroup's directory name.
func (g *Group) Name() string { return g.name }

// dir is the group's directory for a controller ("" = membership).
func (g *Group) dir(ctrl string) (string, bool) {
	d, ok := g.tree.dirs[ctrl]
	if !ok {
		return "", false
	}
	return filepath.Join(d, g.name), true
}

// membersDir is where the group's cgroup.procs is read.
func (g *Group) membersDir() string {
	d, _ := g.dir(g.tree.members)
	return d
}

// Limits are what a program's cgroup enforces; zero values mean none.
type Limits struct {
	MemoryMax  int64   // bytes
	MemoryHigh int64   // bytes
	CPUQuota   float64 // percent of one CPU
	CPUWeight  int     // 1..10000
	PidsMax    int
}

// cpuPeriod is the CFS period the quota is a share of (the kernel's default).
const cpuPeriod = 100000

// Placement is how a child gets into the group at its fork: FD for
// clone3's CLONE_INTO_CGROUP (v2, -1 when no v2 hierarchy is used), and
// the v1 directories the forking thread must be in.
type Placement struct {
	FD    int
	g     *Group
	v1    []string // v1 group directories (tasks files written by Enter)
	v1own []string // where the thread goes back to
	pids  int      // pids_max in a v1 pids hierarchy; 0 = none
}

// Prepare creates the group's directories, writes l (every limit, so one
// removed from the config since the last spawn is lifted) and returns how
// to place a child. A limit no hierarchy here can enforce is an error
// naming the config key.
func (g *Group) Prepare(l Limits) (*Placement, error) {
	t := g.tree
	need := func(key, ctrl string) error {
		if _, ok := t.dirs[ctrl]; !ok {
			return fmt.Errorf("%s needs the %s cgroup controller, which supervisord cannot use here (%s)", key, ctrl, t.Features())
		}
		return nil
	}
	if l.MemoryMax > 0 {
		if err := need("memory_max", Memory); err != nil {
			return nil, err
		}
	}
	if l.MemoryHigh > 0 && !t.v2[Memory] {
		return nil, fmt.Errorf("memory_high needs the cgroup v2 memory controller (cgroup v1 has no equivalent); supervisord has: %s", t.Features())
	}
	if l.CPUQuota > 0 || l.CPUWeight > 0 {
		key := "cpu_quota"
		if l.CPUQuota == 0 {
			key = "cpu_weight"
		}
		if err := need(key, CPU); err != nil {
			return nil, err
		}
	}
	if l.PidsMax > 0 {
		if err := need("pids_max", Pids); err != nil {
			return nil, err
		}
	}
	// The hierarchies the child joins: v2 (membership, and the
	// controllers delegated there), and of v1 only what it needs, since
	// each v1 hierarchy costs two writes of the forking thread's id per
	// spawn: the controllers of the limits set, and without v2 the
	// membership hierarchy and cpuacct (CPU time).
	dirs := g.joined(l)
	for _, d := range dirs {
		if err := os.Mkdir(d, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
			return nil, fmt.Errorf("cannot create cgroup %s: %v", d, err)
		}
	}
	if err := g.writeLimits(l, dirs); err != nil {
		return nil, err
	}
	p := &Placement{FD: -1, g: g}
	if d, ok := g.dir(""); ok {
		fd, err := syscall.Open(d, syscall.O_RDONLY|syscall.O_DIRECTORY|syscall.O_CLOEXEC, 0)
		if err != nil {
			return nil, fmt.Errorf("cannot open cgroup %s: %v", d, err)
		}
		p.FD = fd
	}
	for _, c := range wanted {
		if t.v2[c] {
			continue
		}
		d, ok := g.dir(c)
		if !ok || !contains(dirs, d) || contains(p.v1, d) {
			continue
		}
		p.v1 = append(p.v1, d)
		p.v1own = append(p.v1own, t.own[c])
		if c == Pids && l.PidsMax > 0 {
			p.pids = l.PidsMax
		}
	}
	return p, nil
}

// joined is the group's directory in every hierarchy a child with limits
// l joins (a co-mounted v1 hierarchy, cpu,cpuacct, once).
func (g *Group) joined(l Limits) []string {
	t := g.tree
	var out []string
	add := func(ctrl string) {
		if d, ok := g.dir(ctrl); ok && !contains(out, d) {
			out = append(out, d)
		}
	}
	if _, ok := t.dirs[""]; ok {
		add("")
	} else {
		add(t.members)
		add(CPUAcct)
	}
	if l.MemoryMax > 0 || l.MemoryHigh > 0 {
		add(Memory)
	}
	if l.CPUQuota > 0 || l.CPUWeight > 0 {
		add(CPU)
	}
	if l.PidsMax > 0 {
		add(Pids)
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// writeLimits writes l into the joined directories (every limit of a
// joined controller, so one removed from the config since the last spawn
// is lifted).
func (g *Group) writeLimits(l Limits, joined []string) error {
	t := g.tree
	write := func(ctrl, file, v string) error {
		d, ok := g.dir(ctrl)
		if !ok || !contains(joined, d) {
			return nil
		}
		if err := os.WriteFile(filepath.Join(d, file), []byte(v), 0); err != nil {
			return fmt.Errorf("cannot set %s of cgroup %s to %s: %v", file, d, v, err)
		}
		return nil
	}
	num := func(n int64, none string) string {
		if n <= 0 {
			return none
		}
		return strconv.FormatInt(n, 10)
	}
	var errs []error
	if t.v2[Memory] {
		errs = append(errs, write(Memory, "memory.max", num(l.MemoryMax, "max")))
		errs = append(errs, write(Memory, "memory.high", num(l.MemoryHigh, "max")))
	} else if _, ok := t.dirs[Memory]; ok {
		errs = append(errs, write(Memory, "memory.limit_in_bytes", num(l.MemoryMax, "-1")))
	}
	if _, ok := t.dirs[CPU]; ok {
		quota := int64(l.CPUQuota * cpuPeriod / 100)
		if l.CPUQuota > 0 && quota < 1000 {
			quota = 1000 // the kernel's minimum (1 ms)
		}
		if t.v2[CPU] {
			q := "max"
			if l.CPUQuota > 0 {
				q = strconv.FormatInt(quota, 10)
			}
			errs = append(errs, write(CPU, "cpu.max", q+" "+strconv.Itoa(cpuPeriod)))
			errs = append(errs, write(CPU, "cpu.weight", num(int64(l.CPUWeight), "100")))
		} else {
			errs = append(errs, write(CPU, "cpu.cfs_period_us", strconv.Itoa(cpuPeriod)))
			errs = append(errs, write(CPU, "cpu.cfs_quota_us", num(quota, "-1")))
			shares := int64(1024)
			if l.CPUWeight > 0 {
				// systemd's mapping of CPUWeight= to cpu.shares.
				shares = max(int64(l.CPUWeight)*1024/100, 2)
			}
			errs = append(errs, write(CPU, "cpu.shares", strconv.FormatInt(shares, 10)))
		}
	}
	if _, ok := t.dirs[Pids]; ok {
		errs = append(errs, write(Pids, "pids.max", num(int64(l.PidsMax), "max")))
	}
	return errors.Join(errs...)
}

// Enter moves the calling goroutine's thread into the group's v1
// cgroups, so that a child forked from it starts there: cgroup v1
// membership is per thread and a child inherits its forking thread's.
// leave must be called, on the same goroutine, once the fork is done; it
// puts the thread back. With no v1 hierarchy it does nothing.
//
// With a v1 pids_max the thread itself counts as a task of the group while
// it is inside, so the limit is one more until the thread has left again,
// then exact. Setting it exactly while the thread is still inside would
// make a program that forks at once fail spuriously (one task short) when
// the daemon's thread is slow to leave; the other order lets a program
// that forks within those microseconds have one task more than pids_max,
// which is the lesser harm.
func (p *Placement) Enter() (leave func(), err error) {
	if p == nil || len(p.v1) == 0 {
		return func() {}, nil
	}
	runtime.LockOSThread()
	tid := []byte(strconv.Itoa(syscall.Gettid()))
	pidsDir, _ := p.g.dir(Pids)
	if p.pids > 0 {
		if err := os.WriteFile(filepath.Join(pidsDir, "pids.max"), []byte(strconv.Itoa(p.pids+1)), 0); err != nil {
			runtime.UnlockOSThread()
			return nil, fmt.Errorf("cannot set pids.max of %s: %v", pidsDir, err)
		}
	}
	back := func(n int) bool {
		ok := true
		for i := 0; i < n; i++ {
			if os.WriteFile(filepath.Join(p.v1own[i], "tasks"), tid, 0) != nil {
				ok = false
			}
		}
		return ok
	}
	for i, d := range p.v1 {
		if err := os.WriteFile(filepath.Join(d, "tasks"), tid, 0); err != nil {
			if back(i) {
				runtime.UnlockOSThread()
			}
			return nil, fmt.Errorf("cannot place a child in cgroup %s: %v", d, err)
		}
	}
	return func() {
		// A thread that cannot go back stays locked: the runtime ends it
		// with its goroutine rather than run other code in the group.
		if back(len(p.v1)) {
			runtime.UnlockOSThread()
		}
		if p.pids > 0 {
			os.WriteFile(filepath.Join(pidsDir, "pids.max"), []byte(strconv.Itoa(p.pids)), 0)
		}
	}, nil
}

// Close releases the placement's descriptor.
func (p *Placement) Close() {
	if p != nil && p.FD >= 0 {
		syscall.Close(p.FD)
		p.FD = -1
	}
}

// Procs lists the group's processes.
func (g *Group) Procs() []int { return procsIn(g.membersDir()) }

// Empty reports whether the group has no process left.
func (g *Group) Empty() bool {
	d := g.membersDir()
	if g.tree.members == "" {
		// v2: "populated 0" covers descendant cgroups too.
		if b, err := os.ReadFile(filepath.Join(d, "cgroup.events")); err == nil {
			return strings.Contains(string(b), "populated 0")
		}
	}
	return len(procsIn(d)) == 0
}

// Signal sends sig to every process of the group.
func (g *Group) Signal(sig syscall.Signal) error {
	var first error
	for _, pid := range g.Procs() {
		if err := syscall.Kill(pid, sig); err != nil && err != syscall.ESRCH && first == nil {
			first = err
		}
	}
	return first
}

// Kill SIGKILLs every process of the group, including those forked
// meanwhile: cgroup.kill on v2 (Linux 5.14+), else the group is frozen
// (v1 freezer) so nothing forks while the processes are killed.
func (g *Group) Kill() error {
	if g.tree.kill && g.tree.members == "" {
		d, _ := g.dir("")
		if err := os.WriteFile(filepath.Join(d, "cgroup.kill"), []byte("1"), 0); err == nil {
			return nil
		}
	}
	thaw := g.freeze()
	defer thaw()
	var first error
	for range 10 {
		pids := g.Procs()
		if len(pids) == 0 {
			return nil
		}
		for _, pid := range pids {
			if err := syscall.Kill(pid, syscall.SIGKILL); err != nil && err != syscall.ESRCH && first == nil {
				first = err
			}
		}
	}
	return first
}

// freeze stops every process of the group where a freezer is available
// and returns what thaws it (a SIGKILLed frozen task still dies once
// thawed).
func (g *Group) freeze() (thaw func()) {
	var file, frozen, thawed string
	var d string
	switch {
	case g.tree.members == "":
		d, _ = g.dir("")
		file, frozen, thawed = "cgroup.freeze", "1", "0"
	default:
		var ok bool
		if d, ok = g.dir(Freezer); !ok {
			return func() {}
		}
		file, frozen, thawed = "freezer.state", "FROZEN", "THAWED"
	}
	path := filepath.Join(d, file)
	if os.WriteFile(path, []byte(frozen), 0) != nil {
		return func() {}
	}
	// Freezing takes effect asynchronously: wait (briefly) until done.
	deadline := time.Now().Add(time.Second)
	for time.Now().Before(deadline) {
		if g.isFrozen(d) {
			break
		}
		time.Sleep(time.Millisecond)
	}
	return func() { os.WriteFile(path, []byte(thawed), 0) }
}

func (g *Group) isFrozen(d string) bool {
	if g.tree.members == "" {
		b, _ := os.ReadFile(filepath.Join(d, "cgroup.events"))
		return strings.Contains(string(b), "frozen 1")
	}
	b, _ := os.ReadFile(filepath.Join(d, "freezer.state"))
	return strings.TrimSpace(string(b)) == "FROZEN"
}

// WaitEmpty waits up to timeout for the group to have no process.
func (g *Group) WaitEmpty(timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for delay := time.Millisecond; ; delay = min(delay*2, 50*time.Millisecond) {
		if g.Empty() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(delay)
	}
}

// Remove removes the group's (empty) directories.
func (g *Group) Remove() {
	done := map[string]bool{}
	for _, base := range g.tree.dirs {
		if !done[base] {
			done[base] = true
			syscall.Rmdir(filepath.Join(base, g.name))
		}
	}
}

// OOMKills is how many processes of the group the OOM killer has killed
// since the group was created (memory.events' oom_kill on v2,
// memory.oom_control's on v1); -1 when unknown.
func (g *Group) OOMKills() int64 {
	d, ok := g.dir(Memory)
	if !ok {
		return -1
	}
	file := "memory.oom_control"
	if g.tree.v2[Memory] {
		file = "memory.events"
	}
	var buf [512]byte
	b := readInto(filepath.Join(d, file), buf[:])
	if b == nil {
		return -1
	}
	if v, ok := field(b, "oom_kill"); ok {
		return v
	}
	return -1
}

// Events reports whether the group's emptiness can be waited for
// (WaitEmptyEvent): cgroup v2's cgroup.events; v1 has no such event.
func (g *Group) Events() bool { return g.tree.members == "" }

// WaitEmptyEvent returns a channel closed once the group is empty,
// watching cgroup.events with inotify (the kernel signals a change of
// "populated" there); nil when not possible (v1, no inotify). It gives up,
// without closing the channel, when stop is closed.
func (g *Group) WaitEmptyEvent(stop <-chan struct{}) <-chan struct{} {
	if !g.Events() {
		return nil
	}
	fd, err := syscall.InotifyInit1(syscall.IN_CLOEXEC | syscall.IN_NONBLOCK)
	if err != nil {
		return nil
	}
	d, _ := g.dir("")
	if _, err := syscall.InotifyAddWatch(fd, filepath.Join(d, "cgroup.events"), syscall.IN_MODIFY); err != nil {
		syscall.Close(fd)
		return nil
	}
	f := os.NewFile(uintptr(fd), "inotify") // non-blocking: reads park in the runtime's poller
	empty, ended := make(chan struct{}), make(chan struct{})
	go func() {
		select {
		case <-stop:
		case <-ended:
		}
		f.Close() // ends a Read under way
	}()
	go func() {
		defer close(ended)
		var buf [256]byte
		for {
			// Checked after the watch is in place, so no change is missed.
			if g.Empty() {
				close(empty)
				return
			}
			if _, err := f.Read(buf[:]); err != nil {
				return
			}
		}
	}()
	return empty
}
