// Package cgroup gives each supervised program a control group of its own:
// limits (memory, CPU, pids), placement of the child before it runs code of
// its own, stopping every process of a program, finding what a crashed
// daemon left behind, OOM kill counts and CPU/memory figures.
//
// It works on cgroup v2 (a writable, delegated subtree: under systemd with
// Delegate=yes, in a container given a writable cgroup) and takes each
// controller v2 lacks from cgroup v1 where that is mounted (hybrid hosts:
// v1 memory/cpu/pids beside a v2 mount used for membership). It writes the
// cgroup files itself: github.com/containerd/cgroups/v3 was measured and
// not taken (3.3 MB more binary, 33 more package initialisations and 2 MB
// more RSS in every supervisorctl run, and no support for a hybrid mix or
// for placing a child in v1 cgroups before it execs).
//
// The layout, named from the daemon's identifier so that a daemon started
// after a crash of the previous one finds what it left:
//
//	<own cgroup>/super.<identifier>/<group>:<process>
//
// in the v2 hierarchy and in each v1 hierarchy used, where <own cgroup> is
// the daemon's cgroup in that hierarchy when it starts.
package cgroup

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Controllers super uses. "cpuacct" and "freezer" exist only on v1 (v2
// has cpu.stat and cgroup.freeze in every cgroup).
const (
	Memory  = "memory"
	CPU     = "cpu"
	CPUAcct = "cpuacct"
	Pids    = "pids"
	Freezer = "freezer"
)

var wanted = []string{Memory, CPU, CPUAcct, Pids, Freezer}

// hierarchy is one mounted cgroup hierarchy.
type hierarchy struct {
	mount string // where it is mounted
	self  string // the daemon's cgroup in it, relative to the mount ("/x")
	v2    bool
}

// dir is the daemon's own cgroup directory in h.
func (h *hierarchy) dir() string { return filepath.Join(h.mount, h.self) }

// host is what the machine offers, as seen from the daemon.
type host struct {
	v2 *hierarchy            // nil without a cgroup2 mount
	v1 map[string]*hierarchy // controller → its v1 hierarchy
	// v2Avail are the controllers the v2 cgroup of the daemon can hand
	// to its children (its cgroup.controllers).
	v2Avail map[string]bool
}

// detect reads /proc/self/mountinfo and /proc/self/cgroup.
func detect() (*host, error) {
	return detectAt("/proc/self/mountinfo", "/proc/self/cgroup")
}

func detectAt(mountinfo, selfCgroup string) (*host, error) {
	h := &host{v1: map[string]*hierarchy{}, v2Avail: map[string]bool{}}
	own := map[string]string{} // controller list ("cpu,cpuacct", or "" for v2) → own path
	f, err := os.Open(selfCgroup)
	if err != nil {
		return nil, err
	}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// "4:memory:/path" or "0::/path"
		parts := strings.SplitN(sc.Text(), ":", 3)
		if len(parts) == 3 {
			own[parts[1]] = parts[2]
		}
	}
	f.Close()

	f, err = os.Open(mountinfo)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sc = bufio.NewScanner(f)
	for sc.Scan() {
		// "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw"
		fields := strings.Fields(sc.Text())
		sep := -1
		for i, x := range fields {
			if x == "-" {
				sep = i
				break
			}
		}
		if sep < 0 || sep+3 >= len(fields) || len(fields) < 5 {
			continue
		}
		root, mount, fstype, opts := fields[3], unescape(fields[4]), fields[sep+1], fields[sep+3]
		switch fstype {
		case "cgroup2":
			self, ok := own[""]
			if !ok || h.v2 != nil {
				continue
			}
			h.v2 = &hierarchy{mount: mount, self: relTo(root, self), v2: true}
		case "cgroup":
			var ctrls []string
			for _, o := range strings.Split(opts, ",") {
				for _, w := range wanted {
					if o == w {
						ctrls = append(ctrls, o)
					}
				}
			}
			if len(ctrls) == 0 {
				continue
			}
			// /proc/self/cgroup names the hierarchy by its controller list.
			var self string
			found := false
			for list, p := range own {
				if list != "" && sameSet(strings.Split(list, ","), opts) {
					self, found = p, true
				}
			}
			if !found {
				continue
			}
			hi := &hierarchy{mount: mount, self: relTo(root, self)}
			for _, c := range ctrls {
				if h.v1[c] == nil {
					h.v1[c] = hi
				}
			}
		}
	}
	if h.v2 != nil {
		if b, err := os.ReadFile(filepath.Join(h.v2.dir(), "cgroup.controllers")); err == nil {
			for _, c := range strings.Fields(string(b)) {
				h.v2Avail[c] = true
			}
		}
	}
	return h, nil
}

// sameSet reports whether the controller list names the controllers in
// the mount options (which may hold others: rw, relatime, …).
func sameSet(list []string, opts string) bool {
	o := map[string]bool{}
	for _, x := range strings.Split(opts, ",") {
		o[x] = true
	}
	for _, c := range list {
		if !o[c] && !o["name="+strings.TrimPrefix(c, "name=")] {
			return false
		}
	}
	return len(list) > 0
}

// relTo is path p (from /proc/self/cgroup) relative to a mount of root.
func relTo(root, p string) string {
	if root == "/" {
		return p
	}
	if rest, ok := strings.CutPrefix(p, root); ok && (rest == "" || rest[0] == '/') {
		if rest == "" {
			return "/"
		}
		return rest
	}
	return p
}

// unescape undoes mountinfo's octal escapes (\040 for a space).
func unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			var n int
			if _, err := fmt.Sscanf(s[i+1:i+4], "%03o", &n); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// describe lists the hierarchies for messages.
func (h *host) describe() string {
	var parts []string
	if h.v2 != nil {
		var av []string
		for c := range h.v2Avail {
			av = append(av, c)
		}
		sort.Strings(av)
		parts = append(parts, fmt.Sprintf("v2 at %s (controllers: %s)", h.v2.dir(), strings.Join(av, " ")))
	}
	var v1 []string
	for c := range h.v1 {
		v1 = append(v1, c)
	}
	sort.Strings(v1)
	if len(v1) > 0 {
		parts = append(parts, "v1 "+strings.Join(v1, " "))
	}
	if len(parts) == 0 {
		return "no cgroup file system mounted"
	}
	return strings.Join(parts, ", ")
}
