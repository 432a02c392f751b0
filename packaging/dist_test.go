// Package packaging holds the tests of super's release artifacts: the
// tarballs of `make dist` (dist.sh) and the Debian package of `make deb`
// (deb.sh, debian/).
package packaging

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"debug/elf"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"

	"archive/tar"
)

// The version and time the tests build with: fixed, so two builds can be
// compared and the results checked.
const (
	testVersion = "9.8.7-test"
	testEpoch   = "1700000000" // 2023-11-14
)

// atExit registers what to remove once every test has run (what tests
// share, made once).
var (
	exitMu    sync.Mutex
	exitFuncs []func()
)

func atExit(f func()) {
	exitMu.Lock()
	defer exitMu.Unlock()
	exitFuncs = append(exitFuncs, f)
}

func TestMain(m *testing.M) {
	code := m.Run()
	for _, f := range exitFuncs {
		f()
	}
	os.Exit(code)
}

// repoRoot is the checkout these tests belong to.
func repoRoot(t *testing.T) string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Dir(filepath.Dir(file))
}

// run runs a command in dir with extra environment, failing the test on
// error.
func run(t *testing.T, dir string, env []string, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// copySource copies the checkout's files (tracked, and new ones not
// ignored: no bin/, no dist/) into a directory elsewhere.
func copySource(t *testing.T, root string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "elsewhere", "super")
	list := run(t, root, nil, "git", "ls-files", "-co", "--exclude-standard", "-z")
	for _, f := range strings.Split(strings.TrimRight(list, "\x00"), "\x00") {
		src := filepath.Join(root, f)
		fi, err := os.Lstat(src)
		if err != nil {
			continue // deleted in the work tree
		}
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dst, f)), 0o755); err != nil {
			t.Fatal(err)
		}
		if fi.Mode()&os.ModeSymlink != 0 {
			target, _ := os.Readlink(src)
			os.Symlink(target, filepath.Join(dst, f))
			continue
		}
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, f), b, fi.Mode().Perm()); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

// platform is one release target and what its binary must be.
type platform struct {
	target  string      // dist.sh's GOOS/GOARCH[/GOARM]
	arch    string      // in the tarball's name
	machine elf.Machine // of the ELF binary
}

var platforms = []platform{
	{"linux/amd64", "amd64", elf.EM_X86_64},
	{"linux/arm64", "arm64", elf.EM_AARCH64},
	{"linux/arm/7", "armv7", elf.EM_ARM},
}

// TestDistReproducible builds the release twice and wants the same bytes:
// once with `make dist` in this checkout, once with dist.sh from a copy of
// the source in another directory. In make test it is linux/amd64 with
// the build cache (the link, the archive and path independence are
// checked; the compiled packages come from the cache). With
// SUPER_DIST_FULL=1 (make dist-check) it is every platform, the second
// time with an empty build cache, so everything is compiled again.
func TestDistReproducible(t *testing.T) {
	t.Parallel()
	root := repoRoot(t)
	full := os.Getenv("SUPER_DIST_FULL") != ""
	targets := platforms[:1]
	if full {
		targets = platforms
	}
	var names []string
	for _, p := range targets {
		names = append(names, p.target)
	}
	env := []string{"VERSION=" + testVersion, "SOURCE_DATE_EPOCH=" + testEpoch}

	var a string
	if full {
		a = t.TempDir()
		run(t, root, env, "make", "--no-print-directory", "dist", "DIST="+a, "PLATFORMS="+strings.Join(names, " "))
	} else {
		a = amd64Dist(t)
	}

	copy := copySource(t, root)
	b := t.TempDir()
	envB := env
	if full {
		envB = append(envB, "GOCACHE="+t.TempDir())
	}
	run(t, copy, envB, "packaging/dist.sh", append([]string{b}, names...)...)

	sumsA, err := os.ReadFile(filepath.Join(a, "SHA256SUMS"))
	if err != nil {
		t.Fatal(err)
	}
	sumsB, _ := os.ReadFile(filepath.Join(b, "SHA256SUMS"))
	if !bytes.Equal(sumsA, sumsB) {
		t.Errorf("two builds of the same source differ:\n%s\n%s", sumsA, sumsB)
		for _, p := range targets {
			name := "super-" + testVersion + "-linux-" + p.arch + ".tar.gz"
			ea, eb := readTarball(t, filepath.Join(a, name)), readTarball(t, filepath.Join(b, name))
			for member, x := range ea {
				if y, ok := eb[member]; !ok || !bytes.Equal(x.data, y.data) || x.mode != y.mode || x.linkname != y.linkname {
					t.Errorf("%s: %s differs", name, member)
				}
			}
		}
	}
	// SHA256SUMS says what the files hold.
	for _, line := range strings.Split(strings.TrimSpace(string(sumsA)), "\n") {
		sum, name, _ := strings.Cut(line, "  ")
		data, err := os.ReadFile(filepath.Join(a, name))
		if err != nil {
			t.Fatal(err)
		}
		if got := fmt.Sprintf("%x", sha256.Sum256(data)); got != sum {
			t.Errorf("SHA256SUMS says %s for %s, it is %s", sum, name, got)
		}
	}
	for _, p := range targets {
		name := "super-" + testVersion + "-linux-" + p.arch + ".tar.gz"
		if !strings.Contains(string(sumsA), "  "+name+"\n") {
			t.Errorf("SHA256SUMS lacks %s:\n%s", name, sumsA)
		}
		checkTarball(t, filepath.Join(a, name), p, root)
	}
}

// The linux/amd64 release, made once by `make dist` for the tests that
// look at it.
var (
	amd64Once sync.Once
	amd64Dir  string
	amd64Err  string
)

func amd64Dist(t *testing.T) string {
	t.Helper()
	amd64Once.Do(func() {
		dir, err := os.MkdirTemp("", "super-dist-")
		if err != nil {
			amd64Err = err.Error()
			return
		}
		atExit(func() { os.RemoveAll(dir) })
		cmd := exec.Command("make", "--no-print-directory", "dist", "DIST="+dir, "PLATFORMS=linux/amd64")
		cmd.Dir = repoRoot(t)
		cmd.Env = append(os.Environ(), "VERSION="+testVersion, "SOURCE_DATE_EPOCH="+testEpoch)
		if out, err := cmd.CombinedOutput(); err != nil {
			amd64Err = "make dist: " + err.Error() + "\n" + string(out)
			return
		}
		amd64Dir = dir
	})
	if amd64Err != "" {
		t.Fatal(amd64Err)
	}
	return amd64Dir
}

// tarEntry is one member of a tarball.
type tarEntry struct {
	mode     int64
	linkname string
	data     []byte
}

func readTarball(t *testing.T, path string) map[string]tarEntry {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	entries := map[string]tarEntry{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Uid != 0 || h.Gid != 0 || h.ModTime.Unix() != 1700000000 {
			t.Errorf("%s: owner %d:%d, time %v; want root's and SOURCE_DATE_EPOCH's", h.Name, h.Uid, h.Gid, h.ModTime)
		}
		data, _ := io.ReadAll(tr)
		entries[h.Name] = tarEntry{h.Mode, h.Linkname, data}
	}
	return entries
}

// checkTarball: the layout, a static binary of the right machine with no
// trace of the build's directories, the version stamped in, the pages
// and completions.
func checkTarball(t *testing.T, path string, p platform, root string) {
	t.Helper()
	entries := readTarball(t, path)
	top := "super-" + testVersion + "-linux-" + p.arch + "/"
	var got []string
	for name := range entries {
		if !strings.HasSuffix(name, "/") {
			got = append(got, strings.TrimPrefix(name, top))
		}
	}
	sort.Strings(got)
	want := []string{
		"LICENSE", "README.md",
		"bin/echo_supervisord_conf", "bin/pidproxy", "bin/super", "bin/supervisorctl", "bin/supervisord",
		"share/bash-completion/completions/echo_supervisord_conf", "share/bash-completion/completions/pidproxy",
		"share/bash-completion/completions/super", "share/bash-completion/completions/supervisorctl",
		"share/bash-completion/completions/supervisord",
		"share/fish/vendor_completions.d/echo_supervisord_conf.fish", "share/fish/vendor_completions.d/pidproxy.fish",
		"share/fish/vendor_completions.d/super.fish", "share/fish/vendor_completions.d/supervisorctl.fish",
		"share/fish/vendor_completions.d/supervisord.fish",
		"share/man/man1/echo_supervisord_conf.1.gz", "share/man/man1/pidproxy.1.gz", "share/man/man1/super.1.gz",
		"share/man/man1/supervisorctl.1.gz", "share/man/man8/supervisord.8.gz",
		"share/zsh/site-functions/_super",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("%s holds:\n%s\nwant:\n%s", filepath.Base(path), strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, a := range []string{"supervisord", "supervisorctl", "pidproxy", "echo_supervisord_conf"} {
		if l := entries[top+"bin/"+a].linkname; l != "super" {
			t.Errorf("bin/%s links to %q, want super", a, l)
		}
	}
	bin := entries[top+"bin/super"]
	if bin.mode&0o777 != 0o755 {
		t.Errorf("bin/super has mode %o", bin.mode)
	}
	ef, err := elf.NewFile(bytes.NewReader(bin.data))
	if err != nil {
		t.Fatalf("bin/super of %s: %v", p.target, err)
	}
	if ef.Machine != p.machine {
		t.Errorf("bin/super of %s is for %v", p.target, ef.Machine)
	}
	for _, prog := range ef.Progs {
		if prog.Type == elf.PT_INTERP || prog.Type == elf.PT_DYNAMIC {
			t.Errorf("bin/super of %s is dynamically linked (%v)", p.target, prog.Type)
		}
	}
	if s := ef.Section(".note.go.buildid"); s != nil {
		if b, _ := s.Data(); bytes.Contains(b, []byte("/")) {
			t.Errorf("bin/super of %s has a Go build ID: %q", p.target, b)
		}
	}
	// -trimpath: no directory of the build machine (the checkout, the
	// module cache, the Go installation) in the binary.
	goenv := strings.Fields(run(t, root, nil, "go", "env", "GOMODCACHE", "GOROOT"))
	for _, leak := range append([]string{root}, goenv...) {
		if bytes.Contains(bin.data, []byte(leak+"/")) {
			t.Errorf("bin/super of %s holds the build machine's path %q", p.target, leak)
		}
	}
	if !bytes.Contains(bin.data, []byte(testVersion)) {
		t.Errorf("bin/super of %s does not hold its version %s", p.target, testVersion)
	}
	if p.target == "linux/"+runtime.GOARCH {
		// This machine runs it: the versions it reports, through its names.
		dir := t.TempDir()
		run(t, dir, nil, "tar", "-xzf", path)
		out := run(t, dir, nil, filepath.Join(dir, top, "bin/super"), "--version")
		if want := "super version " + testVersion + " (Supervisor 4.2.5 compatible)\n"; out != want {
			t.Errorf("super --version: %q, want %q", out, want)
		}
		if out := run(t, dir, nil, filepath.Join(dir, top, "bin/supervisord"), "-v"); out != "4.2.5\n" {
			t.Errorf("supervisord -v: %q, want 4.2.5: scripts compare it with Supervisor's", out)
		}
	}
	zr, err := gzip.NewReader(bytes.NewReader(entries[top+"share/man/man8/supervisord.8.gz"].data))
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(zr)
	if !bytes.HasPrefix(page, []byte(`.TH "SUPERVISORD" 8 "2023-11-14" "super `+strings.ReplaceAll(testVersion, "-", `\-`))) &&
		!bytes.HasPrefix(page, []byte(`.TH "SUPERVISORD" 8 "2023-11-14" "super `+testVersion)) {
		t.Errorf("supervisord.8 does not start with its title, version and date: %.80q", page)
	}
	if !bytes.Contains(entries[top+"share/bash-completion/completions/super"].data, []byte("complete -F _super_complete super supervisord supervisorctl")) {
		t.Errorf("the bash completion script does not register the applets")
	}
}
