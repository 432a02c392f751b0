package packaging

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"super/core/testbin"
)

// The Debian package is built once for the tests below.
var (
	debOnce sync.Once
	debPath string
	debErr  string
)

// buildDeb runs `make deb` for this machine's architecture.
func buildDeb(t *testing.T) string {
	t.Helper()
	testbin.NeedTool(t, "dpkg-deb", "dpkg")
	debOnce.Do(func() {
		dir, err := os.MkdirTemp("", "super-deb-")
		if err != nil {
			debErr = err.Error()
			return
		}
		cmd := exec.Command("make", "--no-print-directory", "deb", "DIST="+dir)
		cmd.Dir = repoRoot(t)
		// gzip, not xz: the same package, built in a quarter of the time.
		cmd.Env = append(os.Environ(), "VERSION="+testVersion, "SOURCE_DATE_EPOCH="+testEpoch, "DEB_COMPRESS=gzip")
		out, err := cmd.CombinedOutput()
		if err != nil {
			debErr = "make deb: " + err.Error() + "\n" + string(out)
			return
		}
		atExit(func() { os.RemoveAll(dir) })
		debs, _ := filepath.Glob(filepath.Join(dir, "*.deb"))
		if len(debs) != 1 {
			debErr = "make deb made " + strconv.Itoa(len(debs)) + " packages:\n" + string(out)
			return
		}
		debPath = debs[0]
	})
	if debErr != "" {
		t.Fatal(debErr)
	}
	return debPath
}

// debFiles lists the package's paths ("/usr/bin/super"; directories
// without their final slash).
func debFiles(t *testing.T, deb string) map[string]string {
	t.Helper()
	files := map[string]string{} // path -> the line of dpkg-deb -c
	for _, line := range strings.Split(strings.TrimSpace(run(t, "", nil, "dpkg-deb", "-c", deb)), "\n") {
		f := strings.Fields(line)
		name := f[5]
		name = strings.TrimSuffix(strings.TrimPrefix(name, "."), "/")
		if name == "" {
			name = "/"
		}
		files[name] = line
	}
	return files
}

// TestDebLintian: lintian, Debian's own checker, finds no error and no
// warning.
func TestDebLintian(t *testing.T) {
	t.Parallel()
	lintian := testbin.NeedTool(t, "lintian", "lintian")
	deb := buildDeb(t)
	cmd := exec.Command(lintian, "--tag-display-limit", "0", deb)
	out, _ := cmd.CombinedOutput()
	for _, line := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(line, "E:") || strings.HasPrefix(line, "W:") {
			t.Errorf("lintian: %s", line)
		}
	}
	if t.Failed() {
		t.Logf("lintian said:\n%s", out)
	}
}

// TestDebReplacesSupervisor: the package declares that it takes the place
// of supervisor, and installs every file Debian's supervisor installs
// (but its Python code and its own documentation directory) at the same
// path, with the same conffiles. The installed supervisor package is the
// reference.
func TestDebReplacesSupervisor(t *testing.T) {
	t.Parallel()
	testbin.NeedOracle(t)
	deb := buildDeb(t)
	fields := func(names ...string) map[string]string {
		out := map[string]string{}
		for _, n := range names {
			out[n] = strings.TrimSpace(run(t, "", nil, "dpkg-deb", "-f", deb, n))
		}
		return out
	}
	f := fields("Package", "Provides", "Conflicts", "Replaces", "Depends", "Pre-Depends")
	if f["Package"] != "super-supervisor" {
		t.Errorf("Package: %q", f["Package"])
	}
	for _, k := range []string{"Provides", "Conflicts", "Replaces"} {
		if !strings.Contains(", "+f[k]+",", ", supervisor,") && !strings.Contains(", "+f[k], ", supervisor (") {
			t.Errorf("%s: %q does not name supervisor", k, f[k])
		}
	}
	if f["Depends"] != "" || f["Pre-Depends"] != "" {
		t.Errorf("a static binary depends on nothing: Depends %q, Pre-Depends %q", f["Depends"], f["Pre-Depends"])
	}

	ours := debFiles(t, deb)
	for _, p := range strings.Split(strings.TrimSpace(run(t, "", nil, "dpkg-query", "-L", "supervisor")), "\n") {
		if p == "/." || p == "/usr/lib" || strings.HasPrefix(p, "/usr/lib/python3") ||
			p == "/usr/share/doc/supervisor" || strings.HasPrefix(p, "/usr/share/doc/supervisor/") {
			continue
		}
		if _, ok := ours[p]; !ok {
			t.Errorf("Debian's supervisor installs %s; this package does not", p)
		}
	}
	for _, l := range []string{"supervisord", "supervisorctl", "pidproxy", "echo_supervisord_conf"} {
		if line := ours["/usr/bin/"+l]; !strings.HasSuffix(line, " -> super") {
			t.Errorf("/usr/bin/%s is not a link to super: %q", l, line)
		}
	}

	oracle := strings.Fields(run(t, "", nil, "dpkg-query", "-W", "-f=${Conffiles}", "supervisor"))
	var want []string
	for _, w := range oracle {
		if strings.HasPrefix(w, "/") {
			want = append(want, w)
		}
	}
	ctrl := t.TempDir()
	run(t, "", nil, "dpkg-deb", "-e", deb, ctrl)
	got, err := os.ReadFile(filepath.Join(ctrl, "conffiles"))
	if err != nil {
		t.Fatal(err)
	}
	gotList := strings.Fields(string(got))
	sort.Strings(want)
	sort.Strings(gotList)
	if strings.Join(gotList, " ") != strings.Join(want, " ") {
		t.Errorf("conffiles %q, Debian's supervisor has %q", gotList, want)
	}
}

// scratchRoot is an almost empty root directory to install the package
// into with dpkg --root: a dpkg database, a shell and sleep (with the C
// library) for the maintainer scripts and the test program, /dev/null,
// /run with /var/run linking to it, and stand-ins for the service
// managers' tools that log how they were called to /stub.log.
func scratchRoot(t *testing.T) string {
	t.Helper()
	r := filepath.Join(t.TempDir(), "root")
	for _, d := range []string{"var/lib/dpkg/info", "var/lib/dpkg/updates", "bin", "usr/bin", "usr/sbin",
		"run/systemd/system", "dev", "tmp", "etc"} {
		if err := os.MkdirAll(filepath.Join(r, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []string{"var/lib/dpkg/status", "var/lib/dpkg/available"} {
		os.WriteFile(filepath.Join(r, f), nil, 0o644)
	}
	os.Symlink("../run", filepath.Join(r, "var/run"))
	os.Chmod(filepath.Join(r, "tmp"), 0o1777)
	copyBinary(t, r, "/bin/dash", "/bin/sh")
	copyBinary(t, r, "/bin/sleep", "/bin/sleep")
	if err := syscall.Mknod(filepath.Join(r, "dev/null"), syscall.S_IFCHR|0o666, int(unixMkdev(1, 3))); err != nil {
		t.Fatal(err)
	}
	os.Chmod(filepath.Join(r, "dev/null"), 0o666)
	stub := "#!/bin/sh\necho \"${0##*/} $*\" >> /stub.log\n"
	for _, s := range []string{"usr/sbin/update-rc.d", "usr/sbin/invoke-rc.d", "usr/bin/deb-systemd-helper",
		"usr/bin/deb-systemd-invoke", "usr/bin/systemctl"} {
		if err := os.WriteFile(filepath.Join(r, s), []byte(stub), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return r
}

func unixMkdev(major, minor uint32) uint64 {
	return uint64(major)<<8 | uint64(minor)
}

// copyBinary copies a dynamically linked program and the libraries ldd
// names into root, at dst.
func copyBinary(t *testing.T, root, src, dst string) {
	t.Helper()
	files := map[string]string{src: dst}
	for _, line := range strings.Split(run(t, "", nil, "ldd", src), "\n") {
		for _, f := range strings.Fields(line) {
			if strings.HasPrefix(f, "/") {
				files[f] = f
			}
		}
	}
	for from, to := range files {
		b, err := os.ReadFile(from)
		if err != nil {
			t.Fatal(err)
		}
		os.MkdirAll(filepath.Join(root, filepath.Dir(to)), 0o755)
		if err := os.WriteFile(filepath.Join(root, to), b, 0o755); err != nil {
			t.Fatal(err)
		}
	}
}

// killInRoot kills the processes left running in root (the programs of
// a daemon that did not stop them): those whose root directory it is.
func killInRoot(root string) {
	procs, _ := filepath.Glob("/proc/[0-9]*/root")
	for _, p := range procs {
		if r, err := os.Readlink(p); err == nil && r == root {
			if pid, err := strconv.Atoi(filepath.Base(filepath.Dir(p))); err == nil {
				syscall.Kill(pid, syscall.SIGKILL)
			}
		}
	}
}

// dpkg runs dpkg on the scratch root; the maintainer scripts run chrooted
// in it, as for any installation into another root.
func dpkg(t *testing.T, root string, args ...string) string {
	t.Helper()
	return run(t, "", []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin"}, "dpkg", append([]string{"--root=" + root, "--log=/dev/null"}, args...)...)
}

// stubLog returns and clears what the stand-in tools were asked.
func stubLog(t *testing.T, root string) string {
	b, _ := os.ReadFile(filepath.Join(root, "stub.log"))
	os.Remove(filepath.Join(root, "stub.log"))
	return string(b)
}

// chrootCmd is a command run in the scratch root.
func chrootCmd(root string, argv ...string) *exec.Cmd {
	cmd := exec.Command("chroot", append([]string{root}, argv...)...)
	cmd.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C"}
	return cmd
}

// unitLine is the value of key in the unit file, its words with the
// environment file's variables put in as systemd does ($VAR: its words).
func unitLine(t *testing.T, root, key string, env map[string]string) []string {
	t.Helper()
	f, err := os.Open(filepath.Join(root, "lib/systemd/system/supervisor.service"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if v, ok := strings.CutPrefix(s.Text(), key+"="); ok {
			var words []string
			for _, w := range strings.Fields(v) {
				if name, ok := strings.CutPrefix(w, "$"); ok {
					words = append(words, strings.Fields(env[name])...)
				} else {
					words = append(words, w)
				}
			}
			return words
		}
	}
	t.Fatalf("the unit has no %s=", key)
	return nil
}

// defaults reads /etc/default/supervisor (KEY="value" lines).
func defaults(t *testing.T, root string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, "etc/default/supervisor"))
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok && !strings.HasPrefix(line, "#") {
			env[k] = strings.Trim(v, `"`)
		}
	}
	return env
}

// TestDebInstallAndRun installs the package into a scratch root with
// dpkg, starts the packaged daemon there the way the packaged unit says
// (ExecStart, with /etc/default/supervisor and a notification socket as
// systemd gives a Type=notify service), on the packaged config with a
// program in conf.d/, controls it with the packaged supervisorctl,
// reloads it with the unit's ExecReload, upgrades the package under it
// (the maintainer scripts restart the service, keep an edited conffile),
// stops it as systemd does, and removes and purges the package.
// Needs root: dpkg runs the maintainer scripts chrooted in the root, and
// the daemon runs chrooted in it too.
func TestDebInstallAndRun(t *testing.T) {
	t.Parallel()
	if os.Getuid() != 0 {
		if os.Getenv(testbin.RequireToolsEnv) != "" {
			t.Fatal("needs root (chroot), and " + testbin.RequireToolsEnv + " is set")
		}
		t.Skip("needs root: dpkg --root and the daemon chroot into the scratch root")
	}
	testbin.NeedTool(t, "dpkg", "dpkg")
	testbin.NeedTool(t, "ldd", "libc-bin")
	deb := buildDeb(t)
	root := scratchRoot(t)

	// First installation: enabled and started, under systemd.
	dpkg(t, root, "-i", deb)
	log := stubLog(t, root)
	for _, want := range []string{"deb-systemd-helper enable supervisor.service", "deb-systemd-invoke start supervisor.service", "update-rc.d supervisor defaults"} {
		if !strings.Contains(log, want+"\n") {
			t.Errorf("first installation: no %q; the scripts did:\n%s", want, log)
		}
	}

	conf := filepath.Join(root, "etc/supervisor/conf.d")
	write := func(path, text string) {
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(conf, "hello.conf"), "[program:hello]\ncommand=/bin/sh -c 'echo hello from conf.d; exec /bin/sleep 1000'\n")

	sock := testbin.ListenNotify(t, filepath.Join(root, "run"))
	argv := unitLine(t, root, "ExecStart", defaults(t, root))
	daemon := chrootCmd(root, argv...)
	daemon.Env = append(daemon.Env, "NOTIFY_SOCKET=/run/notify")
	var out testbin.SyncBuffer
	daemon.Stdout, daemon.Stderr = &out, &out
	if err := daemon.Start(); err != nil {
		t.Fatal(err)
	}
	var waitErr error
	exited := make(chan struct{}) // closed once the daemon has exited
	go func() { waitErr = daemon.Wait(); close(exited) }()
	t.Cleanup(func() {
		select {
		case <-exited:
		default:
			daemon.Process.Signal(syscall.SIGTERM)
			select {
			case <-exited:
			case <-time.After(15 * time.Second):
				daemon.Process.Kill()
				<-exited
			}
		}
		killInRoot(root)
	})
	fromDaemon := func(m testbin.NotifyMsg) {
		if m.Pid != daemon.Process.Pid {
			t.Errorf("%q came from pid %d, not the service's main process %d", m.Text, m.Pid, daemon.Process.Pid)
		}
	}
	ready, _ := sock.WaitFor(t, "READY=1", 30*time.Second, func(m testbin.NotifyMsg) bool { return m.Fields()["READY"] == "1" })
	fromDaemon(ready)

	// ctl runs the packaged supervisorctl; an exit status other than 0,
	// or 3 for status with a process not running (LSB), fails the test.
	ctl := func(args ...string) string {
		t.Helper()
		cmd := chrootCmd(root, append([]string{"/usr/bin/supervisorctl"}, args...)...)
		b, err := cmd.CombinedOutput()
		if err != nil && !(args[0] == "status" && cmd.ProcessState.ExitCode() == 3) {
			t.Fatalf("supervisorctl %s: %v\n%s\ndaemon:\n%s", strings.Join(args, " "), err, b, out.String())
		}
		return string(b)
	}
	// The packaged supervisorctl finds the packaged config by itself.
	if err := testbin.Poll(15*time.Second, func() bool {
		return strings.Contains(ctl("status"), "hello                            RUNNING")
	}); err != nil {
		t.Fatalf("hello never RUNNING: %s", ctl("status"))
	}
	if got := ctl("tail", "hello"); !strings.HasPrefix(got, "hello from conf.d\n") {
		t.Errorf("supervisorctl tail hello: %q", got)
	}
	ctl("stop", "hello")
	if got := ctl("status", "hello"); !strings.Contains(got, "STOPPED") {
		t.Errorf("after stop: %q", got)
	}
	ctl("start", "hello")

	// An upgrade (here, the same version again) while it runs, with the
	// admin's edit of a conffile, on a machine without systemd: the
	// scripts restart the service through its init script, and dpkg
	// keeps the edit.
	defaultsFile := filepath.Join(root, "etc/default/supervisor")
	b, _ := os.ReadFile(defaultsFile)
	write(defaultsFile, string(b)+"# edited by the admin\n")
	os.Remove(filepath.Join(root, "run/systemd/system"))
	dpkg(t, root, "-i", deb)
	if log := stubLog(t, root); !strings.Contains(log, "invoke-rc.d supervisor restart\n") {
		t.Errorf("upgrade: the service was not restarted; the scripts did:\n%s", log)
	}
	if b, _ := os.ReadFile(defaultsFile); !strings.Contains(string(b), "# edited by the admin") {
		t.Errorf("the upgrade lost the admin's edit of /etc/default/supervisor")
	}

	// The unit's reload, with a program added to conf.d meanwhile.
	write(filepath.Join(conf, "second.conf"), "[program:second]\ncommand=/bin/sleep 1000\n")
	reload := unitLine(t, root, "ExecReload", map[string]string{"MAINPID": strconv.Itoa(daemon.Process.Pid)})
	run(t, "", nil, reload[0], reload[1:]...)
	rel, _ := sock.WaitFor(t, "RELOADING=1", 30*time.Second, func(m testbin.NotifyMsg) bool { return m.Fields()["RELOADING"] == "1" })
	fromDaemon(rel)
	again, _ := sock.WaitFor(t, "READY=1 after the reload", 30*time.Second, func(m testbin.NotifyMsg) bool { return m.Fields()["READY"] == "1" })
	fromDaemon(again)
	if err := testbin.Poll(15*time.Second, func() bool {
		s := ctl("status")
		return strings.Contains(s, "hello                            RUNNING") && strings.Contains(s, "second                           RUNNING")
	}); err != nil {
		t.Errorf("after the reload: %s", ctl("status"))
	}

	// systemctl stop: SIGTERM to the main process (KillMode=mixed).
	daemon.Process.Signal(syscall.SIGTERM)
	stopping, _ := sock.WaitFor(t, "STOPPING=1", 30*time.Second, func(m testbin.NotifyMsg) bool { return m.Fields()["STOPPING"] == "1" })
	fromDaemon(stopping)
	select {
	case <-exited:
		if waitErr != nil {
			t.Errorf("supervisord on SIGTERM: %v\n%s", waitErr, out.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("supervisord did not exit on SIGTERM:\n%s", out.String())
	}
	if _, err := os.Stat(filepath.Join(root, "var/log/supervisor/supervisord.log")); err != nil {
		t.Errorf("no activity log in /var/log/supervisor: %v", err)
	}

	// Removal stops the service; the admin's conf.d files stay, and the
	// conffiles until the purge.
	dpkg(t, root, "-r", "super-supervisor")
	if log := stubLog(t, root); !strings.Contains(log, "invoke-rc.d supervisor stop\n") {
		t.Errorf("removal: the service was not stopped; the scripts did:\n%s", log)
	}
	for path, want := range map[string]bool{
		"usr/bin/super": false, "usr/bin/supervisorctl": false,
		"etc/supervisor/conf.d/hello.conf": true, "etc/supervisor/supervisord.conf": true,
	} {
		if _, err := os.Lstat(filepath.Join(root, path)); (err == nil) != want {
			t.Errorf("after removal /%s exists: %v, want %v", path, err == nil, want)
		}
	}
	dpkg(t, root, "-P", "super-supervisor")
	log = stubLog(t, root)
	for _, want := range []string{"update-rc.d supervisor remove", "deb-systemd-helper purge supervisor.service"} {
		if !strings.Contains(log, want+"\n") {
			t.Errorf("purge: no %q; the scripts did:\n%s", want, log)
		}
	}
	if _, err := os.Stat(filepath.Join(root, "etc/supervisor/supervisord.conf")); err == nil {
		t.Errorf("the purge left /etc/supervisor/supervisord.conf")
	}
	if _, err := os.Stat(filepath.Join(root, "etc/supervisor/conf.d/hello.conf")); err != nil {
		t.Errorf("the purge removed the admin's conf.d/hello.conf")
	}
}

// The installed completion is found where bash-completion looks for a
// command's completion, and the installed pages where man looks.
func TestDebCompletionAndPages(t *testing.T) {
	t.Parallel()
	bash := testbin.NeedTool(t, "bash", "bash")
	testbin.NeedTool(t, "man", "man-db")
	const loader = "/usr/share/bash-completion/bash_completion"
	if _, err := os.Stat(loader); err != nil {
		if os.Getenv(testbin.RequireToolsEnv) != "" {
			t.Fatalf("bash-completion is not installed, and %s is set", testbin.RequireToolsEnv)
		}
		t.Skip("bash-completion is not installed (Debian package bash-completion)")
	}
	deb := buildDeb(t)
	root := t.TempDir()
	run(t, "", nil, "dpkg-deb", "-x", deb, root)

	script := `source ` + loader + `
for c in supervisorctl supervisord super pidproxy; do
	complete -p $c >/dev/null 2>&1 && echo "$c already registered"
	_completion_loader $c
	complete -p $c
done`
	cmd := exec.Command(bash, "--norc", "--noprofile", "-c", script)
	cmd.Env = append(os.Environ(), "XDG_DATA_DIRS="+filepath.Join(root, "usr/share"), "BASH_COMPLETION_USER_DIR="+t.TempDir())
	b, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("bash: %v\n%s", err, b)
	}
	for _, c := range []string{"supervisorctl", "supervisord", "super", "pidproxy"} {
		if !strings.Contains(string(b), "complete -F _super_complete "+c+"\n") {
			t.Errorf("bash-completion does not load the package's completion for %s:\n%s", c, b)
		}
	}

	for _, c := range []struct{ section, name, title string }{
		{"8", "supervisord", `.TH "SUPERVISORD" 8`},
		{"1", "supervisord", `.TH "SUPERVISORD" 8`}, // supervisord(1), Debian's name, leads to it
		{"1", "supervisorctl", `.TH "SUPERVISORCTL" 1`},
		{"1", "super", `.TH "SUPER" 1`},
		{"1", "pidproxy", `.TH "PIDPROXY" 1`},
		{"1", "echo_supervisord_conf", `.TH "ECHO_SUPERVISORD_CONF" 1`},
	} {
		raw := run(t, "", nil, "man", "-M", filepath.Join(root, "usr/share/man"), "-w", c.section, c.name)
		path := strings.TrimSpace(raw)
		src := run(t, "", nil, "sh", "-c", "gzip -dc < "+path)
		if !strings.HasPrefix(src, c.title) {
			t.Errorf("man %s %s finds %s: %.60q", c.section, c.name, path, src)
		}
	}
}
