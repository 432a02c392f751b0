package web

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"super/core/testbin"
)

// The tests in this file talk HTTP to the real supervisord (its TCP
// server, basic auth and router in front of this package), as a browser
// or a script would.

// quotedMarkup is markupName as it appears in URLs.
var quotedMarkup = url.PathEscape(markupName)

// Every page, stream and unknown path demands the credentials, and an
// action without them does nothing.
func TestLiveAuth(t *testing.T) {
	ld := startLive(t)
	paths := []struct {
		method, path, body string
		code               int // with the right credentials
	}{
		{"GET", "/", "", 200},
		{"GET", "/index.html", "", 200},
		{"GET", "/tail.html?processname=web", "", 200},
		{"GET", "/ok.html", "", 200},
		{"GET", "/logtail/web", "", 200},
		{"GET", "/logtail/web/stderr", "", 200},
		{"GET", "/logtail/grp:" + quotedMarkup, "", 200},
		{"GET", "/mainlogtail", "", 200},
		{"GET", "/nosuch.html", "", 404},
		{"POST", "/RPC2", `<?xml version="1.0"?><methodCall><methodName>supervisor.getState</methodName><params/></methodCall>`, 200},
		// Must not happen without credentials; checked below.
		{"GET", "/index.html?processname=batch&action=start", "", 301},
		{"POST", "/index.html", "processname=batch&action=start", 301},
	}
	creds := []struct {
		name, auth string
		ok         bool
	}{
		{"none", "", false},
		{"wrong password", authHeader(liveUser, "wrong"), false},
		{"wrong user", authHeader("root", livePass), false},
		{"password only", authHeader("", livePass), false},
		{"not basic", "Bearer " + livePass, false},
		{"right", authHeader(liveUser, livePass), true},
	}
	for _, cr := range creds {
		for _, p := range paths {
			if cr.ok && strings.Contains(p.path+p.body, "action=") {
				continue // the action is sent last, after the check below
			}
			code, hdr := statusOnly(t, ld.Base, p.method, p.path, p.body, cr.auth)
			want := p.code
			if !cr.ok {
				want = http.StatusUnauthorized
			}
			if code != want {
				t.Errorf("%s credentials: %s %s: %d, want %d", cr.name, p.method, p.path, code, want)
			}
			if !cr.ok && hdr.Get("WWW-Authenticate") != `Basic realm="default"` {
				t.Errorf("%s credentials: %s %s: WWW-Authenticate %q", cr.name, p.method, p.path, hdr.Get("WWW-Authenticate"))
			}
		}
	}
	if st := ld.StateOf(t, "batch"); st != "STOPPED" {
		t.Fatalf("batch is %s after actions without credentials", st)
	}
	resp, _ := ld.do(t, "GET", "/index.html?processname=batch&action=start", "")
	if resp.StatusCode != 301 {
		t.Fatalf("start with credentials: %d", resp.StatusCode)
	}
	if st := ld.StateOf(t, "batch"); st != "RUNNING" {
		t.Fatalf("batch is %s after start with credentials", st)
	}
}

// statusOnly sends one request and returns its status and headers without
// reading the body (streams never end).
func statusOnly(t *testing.T, base, method, path, body, auth string) (int, http.Header) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var req *http.Request
	if body != "" {
		req, _ = http.NewRequestWithContext(ctx, method, base+path, strings.NewReader(body))
		if !strings.HasPrefix(body, "<") {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
	} else {
		req, _ = http.NewRequestWithContext(ctx, method, base+path, nil)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := noRedirect.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	resp.Body.Close()
	return resp.StatusCode, resp.Header
}

var rowRe = regexp.MustCompile(`(?s)<tr data-name="([^"]*)">.*?<span class="(\w+)">(\w+)</span>.*?<a href="([^"]*)"`)

// The status page lists the daemon's processes, escaped.
func TestLiveStatusPage(t *testing.T) {
	ld := startLive(t)
	for _, path := range []string{"/", "/index.html"} {
		resp, body := ld.do(t, "GET", path, "")
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/html;charset=utf-8" {
			t.Fatalf("%s: %d %q", path, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		var rows []string
		for _, m := range rowRe.FindAllStringSubmatch(body, -1) {
			rows = append(rows, strings.Join(m[1:], " "))
		}
		want := []string{
			"batch statusnominal stopped tail.html?processname=batch",
			"grp:&lt;b&gt;x&lt;i&gt;y statusrunning running tail.html?processname=grp%3A%3Cb%3Ex%3Ci%3Ey",
			"web statusrunning running tail.html?processname=web",
		}
		if strings.Join(rows, "\n") != strings.Join(want, "\n") {
			t.Errorf("%s rows:\n%s\nwant:\n%s", path, strings.Join(rows, "\n"), strings.Join(want, "\n"))
		}
		if strings.Contains(body, markupName) {
			t.Errorf("%s: the name %q appears unescaped", path, markupName)
		}
	}
}

// Every action through the real server: its redirect with 4.2's message,
// and its effect on the processes.
func TestLiveActions(t *testing.T) {
	ld := startLive(t)
	pidOf := func(name string) int64 {
		info, _ := ld.Call(t, "supervisor.getProcessInfo", name).(map[string]any)
		pid, _ := info["pid"].(int64)
		if pid == 0 {
			if p, ok := info["pid"].(int); ok {
				pid = int64(p)
			}
		}
		return pid
	}
	webPid := pidOf("web")
	markup := "grp:" + markupName
	steps := []struct {
		method, query string
		message       string // "" ends with a prefix match on prefix
		prefix        string
		states        map[string]string
	}{
		{"GET", "processname=web&action=stop", "Process web stopped", "", map[string]string{"web": "STOPPED"}},
		{"POST", "processname=web&action=start", "Process web started", "", map[string]string{"web": "RUNNING"}},
		{"GET", "processname=web&action=start", "ERROR: Process web: already started", "", map[string]string{"web": "RUNNING"}},
		{"GET", "processname=web&action=restart", "Process web restarted", "", map[string]string{"web": "RUNNING"}},
		{"GET", "processname=batch&action=stop", "unexpected rpc fault [70] NOT_RUNNING: batch", "", map[string]string{"batch": "STOPPED"}},
		{"GET", "processname=grp%3A" + url.QueryEscape(markupName) + "&action=stop", "Process " + markup + " stopped", "", map[string]string{markup: "STOPPED"}},
		{"POST", "processname=grp%3A" + url.QueryEscape(markupName) + "&action=start", "Process " + markup + " started", "", map[string]string{markup: "RUNNING"}},
		{"GET", "processname=nosuch&action=stop", "No such process named nosuch", "", nil},
		{"GET", "processname=grp&action=stop", "No such process named grp", "", nil},
		{"GET", "action=refresh", "", "Page refreshed at ", nil},
		{"GET", "action=stopall", "", "All stopped at ", map[string]string{"web": "STOPPED", "batch": "STOPPED", markup: "STOPPED"}},
		{"POST", "action=restartall", "", "All restarted at ", map[string]string{"web": "RUNNING", "batch": "RUNNING", markup: "RUNNING"}},
	}
	for _, s := range steps {
		var resp *http.Response
		if s.method == "GET" {
			resp, _ = ld.do(t, "GET", "/index.html?"+s.query, "")
		} else {
			resp, _ = ld.do(t, "POST", "/index.html", s.query)
		}
		if resp.StatusCode != http.StatusMovedPermanently {
			t.Fatalf("%s %s: status %d", s.method, s.query, resp.StatusCode)
		}
		loc := resp.Header.Get("Location")
		q, ok := strings.CutPrefix(loc, ld.Base+"/?message=")
		if !ok {
			t.Fatalf("%s %s: Location %q", s.method, s.query, loc)
		}
		msg, err := url.PathUnescape(q)
		if err != nil {
			t.Fatalf("%s %s: Location %q: %v", s.method, s.query, loc, err)
		}
		if s.message != "" && msg != s.message || s.message == "" && !strings.HasPrefix(msg, s.prefix) {
			t.Errorf("%s %s: message %q, want %q", s.method, s.query, msg, s.message+s.prefix)
		}
		for name, want := range s.states {
			if got := ld.StateOf(t, name); got != want {
				t.Errorf("%s %s: %s is %s, want %s", s.method, s.query, name, got, want)
			}
		}
		// The page the browser is sent to shows the message, escaped.
		page, body := ld.do(t, "GET", strings.TrimPrefix(loc, ld.Base), "")
		if page.StatusCode != 200 || !strings.Contains(body, `<div class="status_msg" id="statusmessage">`+html.EscapeString(msg)+`</div>`) {
			t.Errorf("%s %s: the page after the redirect does not show %q:\n%s", s.method, s.query, msg, body)
		}
	}
	if p := pidOf("web"); p == webPid || p == 0 {
		t.Errorf("web's pid %d after restarts, was %d", p, webPid)
	}
	// The redirect's message is quoted like 4.2's urllib.quote.
	resp, _ := ld.do(t, "GET", "/index.html?processname=grp%3A"+url.QueryEscape(markupName)+"&action=clearlog", "")
	if want := ld.Base + "/?message=Log%20for%20grp%3A%3Cb%3Ex%3Ci%3Ey%20cleared"; resp.Header.Get("Location") != want {
		t.Errorf("clearlog Location %q, want %q", resp.Header.Get("Location"), want)
	}

	// clearlog empties the log file.
	ld.appendLine(t, "before clearlog")
	logPath := ld.logfile(t, "web")
	if err := pollFile(logPath, func(s string) bool { return strings.Contains(s, "before clearlog") }); err != nil {
		t.Fatal(err)
	}
	resp, _ = ld.do(t, "GET", "/index.html?processname=web&action=clearlog", "")
	if want := ld.Base + "/?message=Log%20for%20web%20cleared"; resp.Header.Get("Location") != want {
		t.Errorf("clearlog Location %q, want %q", resp.Header.Get("Location"), want)
	}
	if b, err := os.ReadFile(logPath); err != nil || len(b) != 0 {
		t.Errorf("web's log after clearlog: %q (%v)", b, err)
	}

	// What 4.2 refuses.
	for _, c := range []struct {
		method, path string
		code         int
	}{
		{"GET", "/index.html?processname=web&action=bogus", 500},
		{"GET", "/index.html?action=stop", 500},
		{"PUT", "/index.html?processname=web&action=stop", 400},
		{"DELETE", "/", 400},
		{"GET", "/nosuch.html", 404},
	} {
		if resp, _ := ld.do(t, c.method, c.path, ""); resp.StatusCode != c.code {
			t.Errorf("%s %s: %d, want %d", c.method, c.path, resp.StatusCode, c.code)
		}
	}
	if st := ld.StateOf(t, "web"); st != "RUNNING" {
		t.Errorf("web is %s after refused requests", st)
	}
}

// logfile is a process's stdout log path.
func (ld *liveDaemon) logfile(t *testing.T, name string) string {
	t.Helper()
	info, _ := ld.Call(t, "supervisor.getProcessInfo", name).(map[string]any)
	p, _ := info["stdout_logfile"].(string)
	if p == "" {
		t.Fatalf("%s has no stdout log: %v", name, info)
	}
	return p
}

func pollFile(path string, cond func(string) bool) error {
	return testbin.Poll(10*time.Second, func() bool {
		b, _ := os.ReadFile(path)
		return cond(string(b))
	})
}

// The tail page shows the end of the log the program wrote, escaped.
func TestLiveTailPage(t *testing.T) {
	ld := startLive(t)
	if err := pollFile(ld.logfile(t, "web"), func(s string) bool { return strings.Contains(s, firstLine) }); err != nil {
		t.Fatal(err)
	}
	if err := pollFile(ld.logfile(t, "grp:"+markupName), func(s string) bool { return strings.Contains(s, "</script>") }); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		path, title, body, stream string
	}{
		{"/tail.html?processname=web", "Supervisor tail of process web",
			html.EscapeString(firstLine) + "\n", "logtail/web"},
		{"/tail.html?processname=grp%3A" + url.QueryEscape(markupName),
			"Supervisor tail of process grp:&lt;b&gt;x&lt;i&gt;y",
			"&lt;script&gt;document.title=1&lt;/script&gt;\n", "logtail/grp%3A%3Cb%3Ex%3Ci%3Ey"},
		{"/tail.html?processname=nosuch", "Supervisor tail of process nosuch",
			"ERROR: unexpected rpc fault [10] BAD_NAME: nosuch", ""},
		{"/tail.html", "Supervisor tail of process None", "No process name found", ""},
	}
	for _, c := range cases {
		resp, body := ld.do(t, "GET", c.path, "")
		if resp.StatusCode != 200 {
			t.Errorf("%s: %d", c.path, resp.StatusCode)
			continue
		}
		if !strings.Contains(body, "<title>"+c.title+"</title>") {
			t.Errorf("%s: no title %q in\n%s", c.path, c.title, body)
		}
		if got := tailOf(t, body); got != c.body {
			t.Errorf("%s: tail %q, want %q", c.path, got, c.body)
		}
		stream := ""
		if m := regexp.MustCompile(`data-stream="([^"]*)"`).FindStringSubmatch(body); m != nil {
			stream = m[1]
		}
		if stream != c.stream {
			t.Errorf("%s: stream %q, want %q", c.path, stream, c.stream)
		}
	}
}

// /logtail/NAME follows what the program prints; /mainlogtail follows the
// activity log.
func TestLiveLogtail(t *testing.T) {
	ld := startLive(t)
	resp, web := ld.stream(t, "/logtail/web")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/plain;charset=utf-8" ||
		resp.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Fatalf("/logtail/web: %d %v", resp.StatusCode, resp.Header)
	}
	web.expect(firstLine)
	ld.appendLine(t, "a new line <b>1</b>")
	web.expect("a new line <b>1</b>")
	ld.appendLine(t, "a new line 2")
	web.expect("a new line 2")

	resp, mk := ld.stream(t, "/logtail/grp:"+quotedMarkup)
	if resp.StatusCode != 200 {
		t.Fatalf("/logtail/grp:%s: %d", quotedMarkup, resp.StatusCode)
	}
	mk.expect("<script>document.title=1</script>")

	resp, main := ld.stream(t, "/mainlogtail")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/plain;charset=utf-8" {
		t.Fatalf("/mainlogtail: %d %v", resp.StatusCode, resp.Header)
	}
	ld.Call(t, "supervisor.startProcess", "batch", false)
	main.expectContains("INFO spawned: 'batch' with pid ")

	for _, path := range []string{"/logtail/nosuch", "/logtail/web/foo", "/logtail/"} {
		if code, _ := statusOnly(t, ld.Base, "GET", path, "", authHeader(liveUser, livePass)); code != 404 {
			t.Errorf("%s: %d, want 404", path, code)
		}
	}
}

var (
	ctimeRe  = regexp.MustCompile(`at%20\w+%20\w+%20[%0-9A-F]+%3A\d\d%3A\d\d%20\d+$`)
	anyPreRe = regexp.MustCompile(`(?s)<pre[^>]*>(.*?)</pre>`)
)

// TestLiveLikeOracle sends the same requests to ours and to Supervisor 4.2,
// each on the same config, and compares what a script or a bookmark relies
// on: status codes, redirects with their messages, content types and the
// text of tail pages. Requests run in order, so actions change both alike.
func TestLiveLikeOracle(t *testing.T) {
	testbin.NeedOracle(t)
	// 4.2 answers an action on its next second tick: slow but idle, so
	// it runs beside the browser test.
	t.Parallel()
	type answer struct{ code, location, ctype, tail string }
	mk := "grp%3A" + url.QueryEscape(markupName)
	reqs := []struct{ method, path, body string }{
		{"GET", "/", ""},
		{"GET", "/index.html", ""},
		{"GET", "/index.html?processname=web&action=stop", ""},
		{"GET", "/index.html?processname=web&action=stop", ""},
		{"POST", "/index.html", "processname=web&action=start"},
		{"GET", "/index.html?processname=web&action=start", ""},
		{"GET", "/index.html?processname=web&action=restart", ""},
		{"GET", "/index.html?processname=batch&action=stop", ""},
		{"GET", "/index.html?processname=" + mk + "&action=stop", ""},
		{"GET", "/index.html?processname=" + mk + "&action=start", ""},
		{"GET", "/index.html?processname=grp&action=stop", ""},
		{"GET", "/index.html?processname=grp%3A&action=stop", ""},
		{"GET", "/index.html?processname=grp%3A*&action=stop", ""},
		{"GET", "/index.html?processname=nosuch&action=clearlog", ""},
		{"GET", "/index.html?processname=web&action=bogus", ""},
		{"GET", "/index.html?action=start", ""},
		{"GET", "/index.html?action=refresh", ""},
		{"GET", "/tail.html?processname=web", ""},
		{"GET", "/tail.html?processname=web&limit=abc", ""},
		{"GET", "/tail.html?processname=" + mk, ""},
		{"GET", "/tail.html?processname=batch", ""},
		{"GET", "/tail.html?processname=grp", ""},
		{"GET", "/tail.html?processname=nosuch", ""},
		{"GET", "/tail.html", ""},
		{"GET", "/index.html?processname=web&action=clearlog", ""},
		{"GET", "/tail.html?processname=web", ""},
		{"GET", "/logtail/nosuch", ""},
		{"GET", "/logtail/web/foo", ""},
		{"GET", "/index.html/", ""},
		{"GET", "/nosuch.html", ""},
		{"DELETE", "/index.html", ""},
		{"GET", "/index.html?action=stopall", ""},
		{"GET", "/index.html?action=restartall", ""},
	}
	run := func(oracle bool) []answer {
		ld := startLiveOn(t, oracle)
		// Both logs hold what the programs printed before the tail pages
		// are read.
		if err := pollFile(ld.logfile(t, "grp:"+markupName), func(s string) bool { return s != "" }); err != nil {
			t.Fatal(err)
		}
		if err := pollFile(ld.logfile(t, "web"), func(s string) bool { return s != "" }); err != nil {
			t.Fatal(err)
		}
		var out []answer
		for _, r := range reqs {
			resp, body := ld.do(t, r.method, r.path, r.body)
			a := answer{code: resp.Status, ctype: resp.Header.Get("Content-Type")}
			a.location = ctimeRe.ReplaceAllString(strings.TrimPrefix(resp.Header.Get("Location"), ld.Base), "at CTIME")
			if strings.HasPrefix(r.path, "/tail.html") {
				if m := anyPreRe.FindStringSubmatch(body); m != nil {
					// The same text; 4.2 leaves ">" unescaped.
					// How many times a restarted program printed its
					// line by the time of the request is timing (4.2
					// acts on actions a tick later); the text is not.
					a.tail = collapseRepeats(html.UnescapeString(m[1]))
				}
			}
			out = append(out, a)
		}
		ld.Stop()
		return out
	}
	ours, theirs := run(false), run(true)
	for i, r := range reqs {
		if ours[i] != theirs[i] {
			t.Errorf("%s %s %s:\n super %+v\n   4.2 %+v", r.method, r.path, r.body, ours[i], theirs[i])
		}
	}
}

// collapseRepeats drops lines equal to the line before them.
func collapseRepeats(s string) string {
	lines := strings.SplitAfter(s, "\n")
	var out []string
	for i, l := range lines {
		if i == 0 || l != lines[i-1] {
			out = append(out, l)
		}
	}
	return strings.Join(out, "")
}
