package main

import (
	"bufio"
	"os"
	"os/exec"
	"path"
	"strings"
	"testing"
)

// ARCHITECTURE.md lists the packages so that imports point down only, and
// keeps tests and tooling apart ("imported by no package above"). This
// checks the list against what the packages really import (`go list`), so
// the page stays the real picture: every package of the module is listed,
// each imports only packages listed below it, and nothing imports the
// tests and tooling.
func TestArchitecturePackageList(t *testing.T) {
	listed, tooling := architectureList(t)
	if len(listed) == 0 {
		t.Fatal("no package list found in ARCHITECTURE.md")
	}
	pos := map[string]int{}
	for i, p := range listed {
		pos[p] = i
	}
	// where names the entry of the list that covers pkg (an import path
	// below the module), and whether it is a test or tool.
	where := func(pkg string) (i int, isTool, ok bool) {
		if i, ok := pos[pkg]; ok {
			return i, false, true
		}
		for _, pattern := range tooling {
			if m, _ := path.Match(pattern, pkg); m || strings.HasPrefix(pkg, pattern+"/") {
				return 0, true, true
			}
		}
		return 0, false, false
	}

	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}} {{join .Imports " "}}`, "./...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	const module = "super"
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		pkg := strings.TrimPrefix(strings.TrimPrefix(f[0], module), "/")
		if pkg == "" {
			pkg = "main.go"
		}
		i, isTool, ok := where(pkg)
		if !ok {
			t.Errorf("package %s is not in ARCHITECTURE.md's list", pkg)
			continue
		}
		for _, imp := range f[1:] {
			if !strings.HasPrefix(imp, module+"/") {
				continue
			}
			dep := strings.TrimPrefix(imp, module+"/")
			j, depTool, ok := where(dep)
			switch {
			case !ok:
				t.Errorf("%s imports %s, which is not in ARCHITECTURE.md's list", pkg, dep)
			case depTool && !isTool:
				t.Errorf("%s imports %s, listed among the tests and tooling", pkg, dep)
			case !isTool && j <= i:
				t.Errorf("%s imports %s, listed above it: ARCHITECTURE.md's imports point down only", pkg, dep)
			}
		}
	}
}

// architectureList reads the package list of ARCHITECTURE.md: the entries
// above "Tests and tooling" in order, and the patterns below it
// ("core/*/blackbox", "bench/").
func architectureList(t *testing.T) (listed, tooling []string) {
	t.Helper()
	f, err := os.Open("ARCHITECTURE.md")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	inBlock, sawHeading, inTooling := false, false, false
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "## Packages"):
			sawHeading = true
			continue
		case sawHeading && !inBlock && strings.HasPrefix(line, "```"):
			inBlock = true
			continue
		case inBlock && strings.HasPrefix(line, "```"):
			return listed, tooling
		}
		if !inBlock || line == "" || line[0] == ' ' {
			continue
		}
		if strings.HasPrefix(line, "Tests and tooling") {
			inTooling = true
			continue
		}
		// "core/e2e, core/*/blackbox  black-box tests …": the names run
		// up to the first double space.
		names, _, _ := strings.Cut(line, "  ")
		for _, name := range strings.Split(names, ",") {
			name = strings.TrimSuffix(strings.TrimSpace(name), "/")
			if inTooling {
				tooling = append(tooling, name)
			} else {
				listed = append(listed, name)
			}
		}
	}
	return listed, tooling
}
