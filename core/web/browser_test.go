package web

import (
	"context"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"super/core/process"
)

// chromium finds the browser the test drives; "" when none is installed.
func chromium() string {
	if p := os.Getenv("SUPER_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome"} {
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

// TestBrowser drives headless Chromium through the UI served over HTTP,
// with a backend whose processes really change state and whose logs are
// files: the table, Stop, the tail page, the live log and auto-refresh.
func TestBrowser(t *testing.T) {
	exe := chromium()
	if exe == "" {
		t.Skip("SKIP: no Chromium installed (Debian package chromium); the browser test did not run")
	}
	if testing.Short() {
		t.Skip("SKIP: browser test in -short mode")
	}
	f := newFake(t)
	web := f.add(t, "web", "web", process.Running, "booting\nhello from web\n")
	f.add(t, "batch", "batch", process.Stopped, "")
	f.add(t, "grp", evil, process.Fatal, "")
	srv := httptest.NewServer(New(f))
	t.Cleanup(srv.Close)

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

	// The table: every process, its state, the escaped name shown as text.
	if err := chromedp.Do(ctx,
		chromedp.Navigate(srv.URL+"/"),
		chromedp.WaitVisible(chromedp.ID("statustable")),
	); err != nil {
		t.Fatal(err)
	}
	names, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](
		`Array.from(document.querySelectorAll('#statustable tbody tr')).map(function(r){return r.dataset.name})`))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(names, ",") != "batch,grp:<b>x</b>,web" {
		t.Errorf("table rows %q", names)
	}
	if st, err := chromedp.Run(ctx, chromedp.Evaluate[string](stateOf("web"))); err != nil || st != "running" {
		t.Errorf("web shows %q (%v), want running", st, err)
	}
	evilText, err := chromedp.Run(ctx, chromedp.Evaluate[string](
		`document.querySelector('tr[data-name="grp:<b>x</b>"] td.name a').textContent`))
	if err != nil || evilText != "grp:<b>x</b>" {
		t.Errorf("escaped name renders as %q (%v)", evilText, err)
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

	// Auto-refresh: a change made elsewhere shows up without navigating,
	// and the page keeps its message.
	if err := f.StartProcess(ctx, "web"); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](stateOf("web")+` === 'running'`, chromedp.WithPollingTimeout(20*time.Second))); err != nil {
		t.Fatalf("auto-refresh: %v", err)
	}
	if msg, err := chromedp.Run(ctx, chromedp.TextContent(chromedp.ID("statusmessage"))); err != nil || msg != "Process web stopped" {
		t.Errorf("message after auto-refresh %q (%v)", msg, err)
	}

	// The tail page shows what the program printed, then follows new lines.
	if err := chromedp.Do(ctx,
		chromedp.Navigate(srv.URL+"/tail.html?processname=web"),
		chromedp.WaitVisible(chromedp.ID("tailbody")),
	); err != nil {
		t.Fatal(err)
	}
	tail, err := chromedp.Run(ctx, chromedp.TextContent(chromedp.ID("tailbody")))
	if err != nil || !strings.Contains(tail, "hello from web") {
		t.Errorf("tail page shows %q (%v)", tail, err)
	}
	appendFile(t, web.stdout, "a new line <i>live</i>\n")
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
}

// jsString quotes s as a JavaScript string literal inside a CSS attribute
// selector.
func jsString(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, `'`, `\'`).Replace(s) + `"`
}
