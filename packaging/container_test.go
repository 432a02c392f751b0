package packaging

import (
	"bytes"
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestContainerBuildStage runs the build stage of examples/container's
// Dockerfile — its script, build.sh, as the Dockerfile's RUN lines call
// it — without a container runtime: from the source and from the release
// tarballs, for the architectures docker buildx passes in TARGETARCH and
// TARGETVARIANT. make test builds linux/amd64 (the build cache has it);
// make dist-check (SUPER_DIST_FULL=1) arm64 and arm/v7 as well.
func TestContainerBuildStage(t *testing.T) {
	t.Parallel()
	root := repoRoot(t)
	script := filepath.Join(root, "examples/container/build.sh")

	dockerfile, err := os.ReadFile(filepath.Join(root, "examples/container/Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{"RUN examples/container/build.sh source /out\n", "RUN examples/container/build.sh release /out\n",
		"COPY --from=build /out/bin/ /usr/local/bin/\n", "FROM from-${SUPER_FROM} AS build\n"} {
		if !bytes.Contains(dockerfile, []byte(line)) {
			t.Errorf("the Dockerfile no longer has %q: this test runs what it did", strings.TrimSpace(line))
		}
	}

	env := []string{"VERSION=" + testVersion, "SOURCE_DATE_EPOCH=" + testEpoch}
	targets := imageTargets[:1]
	if os.Getenv("SUPER_DIST_FULL") != "" {
		targets = imageTargets
	}
	for _, target := range targets {
		out := t.TempDir()
		run(t, root, append(env, "TARGETARCH="+target.arch, "TARGETVARIANT="+target.variant), script, "source", out)
		checkImageBin(t, filepath.Join(out, "bin"), target.machine)
	}

	// From the release: the tarball make dist made, checked against its
	// SHA256SUMS (a copy: it is spoilt below).
	dist := t.TempDir()
	release := amd64Dist(t)
	entries, _ := os.ReadDir(release)
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(release, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dist, e.Name()), b, 0o644)
	}
	out := t.TempDir()
	run(t, root, append(env, "DIST="+dist, "TARGETARCH=amd64"), script, "release", out)
	checkImageBin(t, filepath.Join(out, "bin"), elf.EM_X86_64)

	// No tarball for the platform, or one that is not what SHA256SUMS
	// says: the build fails, saying so.
	fails := func(what string, extra ...string) string {
		t.Helper()
		cmd := exec.Command(script, "release", t.TempDir())
		cmd.Env = append(append(os.Environ(), env...), extra...)
		b, err := cmd.CombinedOutput()
		if err == nil {
			t.Errorf("build.sh release with %s succeeded:\n%s", what, b)
		}
		return string(b)
	}
	if msg := fails("no arm64 tarball", "DIST="+dist, "TARGETARCH=arm64"); !strings.Contains(msg, "super-*-linux-arm64.tar.gz") {
		t.Errorf("build.sh release without an arm64 tarball says %q", msg)
	}
	sums := filepath.Join(dist, "SHA256SUMS")
	b, _ := os.ReadFile(sums)
	os.WriteFile(sums, bytes.Replace(b, b[:8], []byte("00000000"), 1), 0o644)
	if msg := fails("a wrong checksum", "DIST="+dist, "TARGETARCH=amd64"); !strings.Contains(msg, "FAILED") {
		t.Errorf("build.sh release with a wrong checksum says %q", msg)
	}
}

// imageTargets are the platforms of the image, as docker buildx names them.
var imageTargets = []struct {
	arch, variant string
	machine       elf.Machine
}{
	{"amd64", "", elf.EM_X86_64},
	{"arm64", "", elf.EM_AARCH64},
	{"arm", "v7", elf.EM_ARM},
}

// checkImageBin: what the image's /usr/local/bin receives.
func checkImageBin(t *testing.T, dir string, machine elf.Machine) {
	t.Helper()
	f, err := elf.Open(filepath.Join(dir, "super"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if f.Machine != machine {
		t.Errorf("%s/super is for %v, want %v", dir, f.Machine, machine)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Errorf("%s/super is not static", dir)
		}
	}
	for _, a := range []string{"supervisord", "supervisorctl", "pidproxy", "echo_supervisord_conf"} {
		if l, err := os.Readlink(filepath.Join(dir, a)); err != nil || l != "super" {
			t.Errorf("%s/%s: %q, %v; want a link to super", dir, a, l, err)
		}
	}
	if machine == elf.EM_X86_64 {
		out, err := exec.Command(filepath.Join(dir, "supervisord"), "-v").Output()
		if err != nil || string(out) != "4.2.5\n" {
			t.Errorf("the image's supervisord -v: %q, %v", out, err)
		}
	}
}
