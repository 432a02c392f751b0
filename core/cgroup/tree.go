package cgroup

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Tree is the daemon's own part of the cgroup hierarchies: one directory
// per hierarchy used (super.<identifier>), holding one cgroup per program.
type Tree struct {
	name string
	// members is the hierarchy whose cgroup.procs says which processes a
	// program has (v2 when mounted, else a v1 one); "" when none.
	members string
	// dirs maps a controller (or "" for the v2 membership hierarchy) to
	// the tree's directory in the hierarchy that provides it.
	dirs map[string]string
	// own maps the same keys to the daemon's own cgroup directory there
	// (where a thread goes back to after placing a child, v1).
	own map[string]string
	// v2 says which of dirs' keys are served by the v2 hierarchy.
	v2 map[string]bool
	// kill: the v2 cgroup.kill file exists (Linux 5.14+).
	kill bool
}

// Features says which controllers the tree has, and from which version.
func (t *Tree) Features() string {
	if t == nil {
		return "none"
	}
	var parts []string
	if d, ok := t.dirs[""]; ok {
		s := "membership v2"
		if t.kill {
			s += " (cgroup.kill)"
		}
		parts = append(parts, s+" at "+filepath.Dir(d))
	} else if t.members != "" {
		parts = append(parts, "membership v1 "+t.members)
	}
	for _, c := range wanted {
		if _, ok := t.dirs[c]; !ok {
			continue
		}
		v := "v1"
		if t.v2[c] {
			v = "v2"
		}
		parts = append(parts, c+" "+v)
	}
	var missing []string
	for _, c := range []string{Memory, CPU, Pids} {
		if _, ok := t.dirs[c]; !ok {
			missing = append(missing, c)
		}
	}
	if !t.v2[Memory] {
		missing = append(missing, "memory_high (needs the v2 memory controller)")
	}
	s := strings.Join(parts, ", ")
	if len(missing) > 0 {
		s += "; unavailable: " + strings.Join(missing, ", ")
	}
	return s
}

// Name is the tree's directory name (super.<identifier>).
func (t *Tree) Name() string { return t.name }

// Open finds or makes the tree for a daemon with this identifier: in the
// v2 hierarchy (controllers enabled for it where the daemon's cgroup can
// delegate them) and, for the controllers v2 lacks, in v1.
func Open(identifier string) (*Tree, error) {
	h, err := detect()
	if err != nil {
		return nil, fmt.Errorf("cannot read the cgroup setup: %v", err)
	}
	t := &Tree{name: "super." + sanitize(identifier), dirs: map[string]string{}, own: map[string]string{}, v2: map[string]bool{}}
	if h.v2 != nil {
		if err := t.openV2(h); err != nil {
			return nil, err
		}
	}
	for _, c := range wanted {
		if _, ok := t.dirs[c]; ok {
			continue
		}
		hi := h.v1[c]
		if hi == nil {
			continue
		}
		d := filepath.Join(hi.dir(), t.name)
		if err := os.Mkdir(d, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
			return nil, fmt.Errorf("cannot create the %s cgroup %s: %v", c, d, err)
		}
		t.dirs[c], t.own[c] = d, hi.dir()
	}
	switch {
	case t.dirs[""] != "":
		t.members = ""
	case t.dirs[Freezer] != "":
		t.members = Freezer
	case t.dirs[Pids] != "":
		t.members = Pids
	case t.dirs[Memory] != "":
		t.members = Memory
	default:
		return nil, fmt.Errorf("no writable cgroup hierarchy (%s)", h.describe())
	}
	return t, nil
}

// openV2 makes the tree in the v2 hierarchy and enables for its children
// every controller the daemon's cgroup offers. A v2 cgroup that has
// processes cannot hand controllers to its children ("no internal
// processes"), except the root: when the daemon's own cgroup holds only
// the daemon, the daemon moves into <tree>/supervisord first (as a
// container entrypoint must).
func (t *Tree) openV2(h *host) error {
	own := h.v2.dir()
	tree := filepath.Join(own, t.name)
	if err := os.Mkdir(tree, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
		return fmt.Errorf("cannot create the cgroup %s: %v (give supervisord a writable, delegated cgroup)", tree, err)
	}
	t.dirs[""], t.own[""] = tree, own
	t.v2[""] = true
	_, err := os.Stat(filepath.Join(tree, "cgroup.kill"))
	t.kill = err == nil
	var want []string
	for _, c := range []string{Memory, CPU, Pids} {
		if h.v2Avail[c] {
			want = append(want, c)
		}
	}
	if len(want) == 0 {
		return nil
	}
	enable := func(dir string) error {
		var b strings.Builder
		for _, c := range want {
			b.WriteString("+" + c + " ")
		}
		return os.WriteFile(filepath.Join(dir, "cgroup.subtree_control"), []byte(strings.TrimSpace(b.String())), 0)
	}
	err = enable(own)
	if errors.Is(err, syscall.EBUSY) && h.v2.self != "/" {
		// The daemon is in its own cgroup: leave it for a leaf of the tree.
		leaf := filepath.Join(tree, "supervisord")
		if e := os.Mkdir(leaf, 0o755); e != nil && !errors.Is(e, os.ErrExist) {
			return fmt.Errorf("cannot create %s: %v", leaf, e)
		}
		if others := procsIn(own); len(others) == 1 && others[0] == os.Getpid() {
			if e := os.WriteFile(filepath.Join(leaf, "cgroup.procs"), []byte(strconv.Itoa(os.Getpid())), 0); e == nil {
				t.own[""] = leaf
				err = enable(own)
			}
		}
	}
	if err == nil {
		err = enable(tree)
	}
	if err != nil {
		// Membership (and cgroup.kill, cpu.stat) still works; the
		// controllers come from v1 if it has them.
		return nil
	}
	for _, c := range want {
		t.dirs[c], t.own[c], t.v2[c] = tree, t.own[""], true
	}
	return nil
}

// sanitize makes an identifier usable as one path element.
func sanitize(s string) string {
	s = strings.Map(func(r rune) rune {
		if r == '/' || r == 0 || r == '\n' {
			return '_'
		}
		return r
	}, s)
	if s == "" || s == "." || s == ".." {
		s = "_"
	}
	return s
}

// Group is the cgroup of one program (the same for each of its spawns).
func (t *Tree) Group(name string) *Group {
	return &Group{tree: t, name: sanitize(name)}
}

// Leftover is a program cgroup found with processes in it when the tree
// was opened: what a daemon killed with -9 left running.
type Leftover struct {
	Name string // the program's cgroup name (group:process)
	Pids []int
}

// Leftovers lists the program cgroups that still have processes, in name
// order. The daemon's own leaf (v2, see openV2) is not one of them.
func (t *Tree) Leftovers() []Leftover {
	base := t.dirs[t.members]
	ents, err := os.ReadDir(base)
	if err != nil {
		return nil
	}
	var out []Leftover
	for _, e := range ents {
		if !e.IsDir() || e.Name() == "supervisord" {
			continue
		}
		if pids := procsIn(filepath.Join(base, e.Name())); len(pids) > 0 {
			out = append(out, Leftover{Name: e.Name(), Pids: pids})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// KillLeftovers kills every process of every program cgroup and waits, at
// most timeout, until they are gone; the empty cgroups are removed.
func (t *Tree) KillLeftovers(timeout time.Duration) error {
	left := t.Leftovers()
	var err error
	for _, l := range left {
		g := t.Group(l.Name)
		g.Kill()
		if !g.WaitEmpty(timeout) && err == nil {
			err = fmt.Errorf("processes of %s survived SIGKILL: %v", l.Name, g.Procs())
		}
		g.Remove()
	}
	return err
}

// procsIn reads a cgroup.procs file.
func procsIn(dir string) []int {
	b, err := os.ReadFile(filepath.Join(dir, "cgroup.procs"))
	if err != nil {
		return nil
	}
	var out []int
	for _, f := range strings.Fields(string(b)) {
		if n, err := strconv.Atoi(f); err == nil {
			out = append(out, n)
		}
	}
	return out
}

// RemoveEmpty removes every program cgroup that has no process left and
// then the tree itself when it is empty (a clean shutdown leaves nothing
// behind; the daemon's own leaf and anything still running stay).
func (t *Tree) RemoveEmpty() {
	done := map[string]bool{}
	for _, d := range t.dirs {
		if done[d] {
			continue
		}
		done[d] = true
		ents, _ := os.ReadDir(d)
		for _, e := range ents {
			if e.IsDir() {
				syscall.Rmdir(filepath.Join(d, e.Name())) // EBUSY while it has processes
			}
		}
		syscall.Rmdir(d)
	}
}

// Remove removes the tree's (empty) directories.
func (t *Tree) Remove() {
	done := map[string]bool{}
	for _, d := range t.dirs {
		if !done[d] {
			done[d] = true
			syscall.Rmdir(d)
		}
	}
}
