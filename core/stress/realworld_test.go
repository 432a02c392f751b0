package stress

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"super/core/testbin"
)

// Every real-world config (testbin.RealworldConfigs) starts, runs and
// stops under super as under 4.2, or is refused the same way: each is run
// with `supervisord -n -c FILE` by both, side by side, each in a sandbox
// of its own (a mount, network and pid namespace: /tmp and /dev/shm fresh, writes to
// /var/log, /run, /var/tmp, /var/lib and the configs' directory kept in
// the sandbox, its own loopback for the ports, every process gone with
// it), until the programs have settled (running, or given up: see
// settleMin), then SIGTERM. The output (the activity
// log, echoed, and what programs write to the daemon's stdout/stderr) is
// compared line by line as sets, with times, pids and super's additions
// to config errors (key, line) masked. A config whose outputs differ is
// run again once: programs that take about startsecs to fail settle
// either way on a loaded machine. core/config checks how they all load on
// every make test.
func TestRealworldConfigsRunAsUnder42(t *testing.T) {
	if !long() {
		t.Skip("make stress only; make test checks how they load (core/config TestRealworldConfigsLoadAsUnder42)")
	}
	needRoot(t, "each config runs in its own mount, network and pid namespace")
	testbin.NeedOracle(t)
	dir, files := testbin.RealworldConfigs(t)
	if _, err := exec.LookPath("unshare"); err != nil {
		t.Fatalf("unshare (util-linux) is needed: %v", err)
	}
	ours := testbin.Path(t, "supervisord")
	for _, p := range []string{dir, ours} {
		if d, _ := filepath.EvalSymlinks(p); d == "/tmp" || strings.HasPrefix(d, "/tmp/") {
			t.Fatalf("%s is under /tmp, which each sandbox replaces: put it elsewhere (make stress uses bin/super)", p)
		}
	}

	const parallel = 8 // configs at a time, each run by both
	sem := make(chan struct{}, parallel)
	var wg sync.WaitGroup
	results := make([]string, len(files))
	notes := make([]string, len(files))
	for i, f := range files {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			for attempt := 1; ; attempt++ {
				var theirs, super sandboxRun
				var runs sync.WaitGroup
				runs.Add(2)
				go func() { defer runs.Done(); theirs = runSandboxed(dir, testbin.OracleDaemon, f) }()
				go func() { defer runs.Done(); super = runSandboxed(dir, ours, f) }()
				runs.Wait()
				diff, note := compareRuns(theirs, super)
				if diff == "" || attempt == 2 {
					results[i], notes[i] = diff, note
					return
				}
			}
		}()
	}
	wg.Wait()
	same := 0
	for i, f := range files {
		switch {
		case results[i] != "":
			t.Errorf("%s runs differently:\n%s", filepath.Base(f), results[i])
		case notes[i] != "":
			t.Logf("%s: %s", filepath.Base(f), notes[i])
			same++
		default:
			same++
		}
	}
	t.Logf("%d of %d real-world configs start, run and stop (or are refused) as under 4.2", same, len(files))
}

// sandboxScript runs "$@" (supervisord) in the namespaces unshare made:
// what it writes outside /tmp lands in overlays, it gets SIGTERM when a
// line comes on stdin, and "@@exit N" ends the output.
const sandboxScript = `
set -e
exec 3<&0 # a background job's stdin is /dev/null
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /dev/shm
for d in /var/log /run /var/tmp /var/lib "$CONFIGS"; do
	[ -d "$d" ] || continue
	n=$(echo "$d" | tr / _)
	mkdir -p "/tmp/.overlay/$n/u" "/tmp/.overlay/$n/w"
	mount -t overlay overlay -o "lowerdir=$d,upperdir=/tmp/.overlay/$n/u,workdir=/tmp/.overlay/$n/w" "$d"
done
ip link set lo up 2>/dev/null || true
cd "$PWD" # the overlay now over the config's directory, not the directory under it
set +e
"$@" </dev/null &
pid=$!
(read _ <&3 && kill -TERM $pid) &
wait $pid
echo "@@exit $?"
`

type sandboxRun struct {
	bin    string
	output string
	err    error
}

// When a run is stopped. The programs have settled once those that fail
// have used up their retries (default startretries=3: backoffs of 1, 2 and
// 3 s, so some 7 s with startsecs=1) and the output has been quiet for a
// while; a daemon logging at warn says nothing meanwhile, hence the
// minimum. A program that keeps restarting never goes quiet: settleMax.
const (
	settleMin   = 9 * time.Second  // from the first output
	settleQuiet = 4 * time.Second  // no output this long
	settleMax   = 40 * time.Second // SIGTERM by then regardless
	runMax      = 90 * time.Second // the sandbox is killed by then
)

// runSandboxed runs bin -n -c file in a fresh sandbox and returns what it
// wrote, up to and including "@@exit N".
func runSandboxed(configs, bin, file string) sandboxRun {
	r := sandboxRun{bin: bin}
	cmd := exec.Command("unshare", "--mount", "--net", "--pid", "--fork", "--mount-proc",
		"--propagation", "private", "--kill-child", "/bin/sh", "-c", sandboxScript, "sandbox",
		bin, "-n", "-c", file)
	cmd.Env = append(os.Environ(), "CONFIGS="+configs)
	cmd.Dir = filepath.Dir(file)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		r.err = err
		return r
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		r.err = err
		return r
	}
	cmd.Stdout, cmd.Stderr = pw, pw
	if err := cmd.Start(); err != nil {
		pw.Close()
		pr.Close()
		r.err = err
		return r
	}
	pw.Close()

	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(pr)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	var out strings.Builder
	// quiet runs from the first output on: it fires settleQuiet after the
	// last output, and not before settleMin after the first.
	quiet := time.NewTimer(time.Hour)
	quiet.Stop()
	var first time.Time
	settle := time.NewTimer(settleMax)
	kill := time.NewTimer(runMax)
	defer quiet.Stop()
	defer settle.Stop()
	defer kill.Stop()
	termed := false
	term := func() {
		if !termed {
			termed = true
			io.WriteString(stdin, "\n")
		}
	}
	for done := false; !done; {
		select {
		case l, ok := <-lines:
			if !ok {
				done = true
				break
			}
			out.WriteString(l + "\n")
			if first.IsZero() {
				first = time.Now()
			}
			if !termed {
				quiet.Reset(max(settleQuiet, time.Until(first.Add(settleMin))))
			}
		case <-quiet.C:
			term()
		case <-settle.C:
			term()
		case <-kill.C:
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			out.WriteString("@@killed: still running after " + runMax.String() + "\n")
		}
	}
	stdin.Close()
	cmd.Wait()
	pr.Close()
	r.output = out.String()
	return r
}

var (
	timeRE     = regexp.MustCompile(`^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} `)
	pidRE      = regexp.MustCompile(`\bpid (\d+)`)
	pidParenRE = regexp.MustCompile(`\((\d+)\)`)
	helpRE     = regexp.MustCompile(`^For help, use \S+ -h$`)
	exitRE     = regexp.MustCompile(`(?m)^@@(exit \d+|killed: .*)$`)
	outputRE   = regexp.MustCompile(`^DEBG '.*' (stdout|stderr) output:$`)
	successRE  = regexp.MustCompile(`^INFO success: (\S+) entered RUNNING state`)
	stoppedRE  = regexp.MustCompile(`^(?:INFO|WARN) stopped: (\S+) \(`)
)

// normalizedLines are a run's output lines as a set, masked for what
// differs between any two runs (times, pids, how a program's output was
// cut into the chunks of the debug log's "output:" entries) and between
// the two implementations by design (the path in "For help", super's
// location in config errors, 4.2's debug lines naming Python objects),
// without the lines whose number depends on timing.
func normalizedLines(out string) []string {
	seen := map[string]bool{}
	var lines []string
	inOutput := false // in the text of a debug "output:" entry
	for _, l := range strings.Split(out, "\n") {
		stamped := timeRE.MatchString(l)
		if inOutput && !stamped && !strings.HasPrefix(l, "@@") {
			continue
		}
		l = timeRE.ReplaceAllString(l, "")
		inOutput = outputRE.MatchString(l)
		l = pidRE.ReplaceAllString(l, "pid N")
		l = pidParenRE.ReplaceAllString(l, "(N)")
		l = helpRE.ReplaceAllString(l, "For help, use supervisord -h")
		if strings.HasPrefix(l, "Error: ") {
			l = testbin.MaskConfigLocation(l)
		}
		switch {
		case l == "",
			strings.Contains(l, " waiting for ") && strings.HasSuffix(l, " to die"),
			strings.HasPrefix(l, "INFO waiting for ") && strings.HasSuffix(l, " to stop"),
			strings.Contains(l, " at 0x"), strings.Contains(l, "Dispatcher at "), strings.Contains(l, "<Subprocess at "):
			continue
		}
		if !seen[l] {
			seen[l] = true
			lines = append(lines, l)
		}
	}
	slices.Sort(lines)
	return lines
}

// superOnly are lines super adds by design.
var superOnly = []*regexp.Regexp{
	// An inet server open to the network without a password (core/server).
	regexp.MustCompile(`^CRIT Server 'inet_http_server' is listening on .*, which is not a loopback address, without a username and password`),
}

// compareRuns describes how two runs differ ("" when they do not). note
// is what is different by design and allowed.
func compareRuns(theirs, ours sandboxRun) (diff, note string) {
	for _, r := range []*sandboxRun{&theirs, &ours} {
		if r.err == nil && !exitRE.MatchString(r.output) {
			r.err = fmt.Errorf("the sandbox failed:\n%s", r.output)
		}
	}
	if theirs.err != nil || ours.err != nil {
		return fmt.Sprintf("cannot run: 4.2: %v; super: %v", theirs.err, ours.err), ""
	}
	// 4.2 crashes where super refuses with an error (a log file it may
	// not open as the configured user).
	if strings.Contains(theirs.output, "\nTraceback (most recent call last):") ||
		strings.HasPrefix(theirs.output, "Traceback (most recent call last):") {
		if strings.Contains(ours.output, "\nError: ") || strings.HasPrefix(ours.output, "Error: ") {
			if m := exitRE.FindString(ours.output); m != "" && m != "@@exit 0" {
				return "", "4.2 crashes with a traceback, super refuses with an error"
			}
		}
	}
	a, b := normalizedLines(theirs.output), normalizedLines(ours.output)
	var onlyTheirs, onlyOurs []string
	for _, l := range a {
		if _, found := slices.BinarySearch(b, l); !found {
			onlyTheirs = append(onlyTheirs, l)
		}
	}
	for _, l := range b {
		if _, found := slices.BinarySearch(a, l); found {
			continue
		}
		if slices.ContainsFunc(superOnly, func(re *regexp.Regexp) bool { return re.MatchString(l) }) {
			continue
		}
		// super's config errors add advice after 4.2's text.
		if strings.HasPrefix(l, "Error: ") && slices.ContainsFunc(onlyTheirs, func(x string) bool {
			return strings.HasPrefix(l, x)
		}) {
			onlyTheirs = slices.DeleteFunc(onlyTheirs, func(x string) bool { return strings.HasPrefix(l, x) })
			continue
		}
		onlyOurs = append(onlyOurs, l)
	}
	// A program that keeps failing may or may not last its startsecs
	// once, depending on the machine's load (4.2 notices an exit only at
	// its next poll, up to a second later), and may or may not be up when
	// the SIGTERM comes: "success:" or "stopped:" in one run only is no
	// difference when it exited in both.
	flapping := func(l string) bool {
		m := successRE.FindStringSubmatch(l)
		if m == nil {
			m = stoppedRE.FindStringSubmatch(l)
		}
		if m == nil {
			return false
		}
		exited := "WARN exited: " + m[1] + " ("
		has := func(lines []string) bool {
			return slices.ContainsFunc(lines, func(x string) bool { return strings.HasPrefix(x, exited) })
		}
		return has(a) && has(b)
	}
	onlyTheirs = slices.DeleteFunc(onlyTheirs, flapping)
	onlyOurs = slices.DeleteFunc(onlyOurs, flapping)
	if len(onlyTheirs) == 0 && len(onlyOurs) == 0 {
		return "", ""
	}
	list := func(l []string) string {
		if len(l) == 0 {
			return "(none)"
		}
		return strings.Join(l, "\n  ")
	}
	return fmt.Sprintf("only under 4.2:\n  %s\nonly under super:\n  %s\n4.2's output:\n%s\nsuper's output:\n%s",
		list(onlyTheirs), list(onlyOurs), theirs.output, ours.output), ""
}
