package web

import (
	"context"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
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

// artifactDir is where the screenshot goes: $SUPER_ARTIFACTS (CI collects
// it) or a directory under the system temp dir that outlives the test.
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

// TestBrowser drives headless Chromium through the web interface of the
// real supervisord, over TCP with basic auth: the process table, Stop, the
// table refreshing itself, and the tail page with a line the program
// printed and one it prints while the page is open.
func TestBrowser(t *testing.T) {
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
	t.Parallel()
	ld := startLive(t)

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
		chromedp.WindowSize(1280, 800),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	ctx, cancelCtx := chromedp.NewContext(actx, chromedp.WithLogf(t.Logf))
	defer cancelCtx()
	ctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()

	stateOf := func(name string) string {
		return `(function(){var s=document.querySelector('tr[data-name=` + jsString(name) + `] td.status span');return s?s.textContent:''})()`
	}
	markup := "grp:" + markupName

	// The credentials in the URL, as in a bookmark: the browser uses them,
	// then sends them with the page's own requests (its fetches, the
	// redirects after actions, other pages) without being told again.
	withCreds, err := url.Parse(ld.Base + "/")
	if err != nil {
		t.Fatal(err)
	}
	withCreds.User = url.UserPassword(liveUser, livePass)
	if err := chromedp.Do(ctx,
		chromedp.Navigate(withCreds.String()),
		chromedp.WaitVisible(chromedp.ID("statustable")),
	); err != nil {
		t.Fatal(err)
	}

	// The table: every process, its state, the name shown as text.
	names, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](
		`Array.from(document.querySelectorAll('#statustable tbody tr')).map(function(r){return r.dataset.name})`))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(names, ","), "batch,"+markup+",web"; got != want {
		t.Errorf("table rows %q, want %q", got, want)
	}
	for name, want := range map[string]string{"web": "running", markup: "running", "batch": "stopped"} {
		if st, err := chromedp.Run(ctx, chromedp.Evaluate[string](stateOf(name))); err != nil || st != want {
			t.Errorf("%s shows %q (%v), want %q", name, st, err, want)
		}
	}
	text, err := chromedp.Run(ctx, chromedp.Evaluate[string](
		`document.querySelector('tr[data-name=`+jsString(markup)+`] td.name a').textContent`))
	if err != nil || text != markup {
		t.Errorf("the markup name renders as %q (%v)", text, err)
	}
	if n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('#statustable b, #statustable i').length`)); err != nil || n != 0 {
		t.Errorf("a process name was rendered as markup (%d, %v)", n, err)
	}

	// Auto-refresh on the page opened with credentials in its URL: a
	// change made elsewhere shows up without navigating.
	ld.Call(t, "supervisor.startProcess", "batch", false)
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](stateOf("batch")+` === 'running'`, chromedp.WithPollingTimeout(20*time.Second))); err != nil {
		t.Fatalf("auto-refresh of the first page: %v", err)
	}

	// Stop: the page comes back with 4.2's message and STOPPED.
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`tr[data-name="web"] a[name="Stop"]`)),
		// The action answers with a redirect to the page with its message.
		chromedp.WaitVisible(chromedp.ID("statusmessage")),
		chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			_, err := chromedp.Run(ctx, chromedp.Poll[bool](stateOf("web")+` === 'stopped'`, chromedp.WithPollingTimeout(20*time.Second)))
			return err
		}),
	); err != nil {
		t.Fatalf("after Stop: %v", err)
	}
	msg, err := chromedp.Run(ctx, chromedp.TextContent(chromedp.ID("statusmessage")))
	if err != nil || msg != "Process web stopped" {
		t.Errorf("message %q (%v)", msg, err)
	}
	if st := ld.StateOf(t, "web"); st != "STOPPED" {
		t.Errorf("the daemon says web is %s after Stop", st)
	}

	// Screenshot for a person to look at.
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	shot := filepath.Join(artifactDir(t), "web-status.png")
	if err := os.WriteFile(shot, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("status page screenshot: %s", shot)

	// Auto-refresh after an action keeps the page's message.
	ld.Call(t, "supervisor.startProcess", "web", true)
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](stateOf("web")+` === 'running'`, chromedp.WithPollingTimeout(20*time.Second))); err != nil {
		t.Fatalf("auto-refresh: %v", err)
	}
	if msg, err := chromedp.Run(ctx, chromedp.TextContent(chromedp.ID("statusmessage"))); err != nil || msg != "Process web stopped" {
		t.Errorf("message after auto-refresh %q (%v)", msg, err)
	}

	// The tail page, at the name's link: what the program printed, then
	// what it prints while the page is open.
	href, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('tr[data-name="web"] td.name a').href`))
	if err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx,
		chromedp.Navigate(href),
		chromedp.WaitVisible(chromedp.ID("tailbody")),
	); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](
		`document.getElementById('tailbody').textContent.indexOf(`+jsString(firstLine)+`) >= 0`,
		chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		tail, _ := chromedp.Run(ctx, chromedp.TextContent(chromedp.ID("tailbody")))
		t.Fatalf("tail page at %s shows %q, not the printed line: %v", href, tail, err)
	}
	ld.appendLine(t, "a new line <i>live</i>")
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](
		`document.getElementById('tailbody').textContent.indexOf('a new line <i>live</i>') >= 0`,
		chromedp.WithPollingTimeout(20*time.Second))); err != nil {
		t.Fatalf("live tail did not show the new line: %v", err)
	}
	if n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('#tailbody i').length`)); err != nil || n != 0 {
		t.Errorf("log bytes were rendered as markup (%d, %v)", n, err)
	}
	if png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)); err == nil {
		os.WriteFile(filepath.Join(artifactDir(t), "web-tail.png"), png, 0o644)
	}

	// A program printing a script: shown as text, never run.
	if err := chromedp.Do(ctx,
		chromedp.Navigate(ld.Base+"/tail.html?processname=grp%3A"+url.QueryEscape(markupName)),
		chromedp.WaitVisible(chromedp.ID("tailbody")),
	); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](
		`document.getElementById('tailbody').textContent.indexOf('<script>document.title=1</script>') >= 0`,
		chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		t.Fatalf("tail of %s: %v", markup, err)
	}
	if title, err := chromedp.Run(ctx, chromedp.Title()); err != nil || title != "Supervisor tail of process "+markup {
		t.Errorf("title %q (%v): the printed script ran or the name was mangled", title, err)
	}
}

// jsString quotes s as a JavaScript string literal inside a CSS attribute
// selector.
func jsString(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, `'`, `\'`).Replace(s) + `"`
}
