package web

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"super/core/process"
	"super/core/supervisor"
)

func fixedClock(t *testing.T) {
	old := now
	now = func() time.Time { return time.Date(2026, 11, 5, 7, 8, 9, 0, time.Local) }
	t.Cleanup(func() { now = old })
}

func do(t *testing.T, h http.Handler, method, target, body string) *httptest.ResponseRecorder {
	t.Helper()
	var r *http.Request
	if body != "" {
		r = httptest.NewRequest(method, target, strings.NewReader(body))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	} else {
		r = httptest.NewRequest(method, target, nil)
	}
	r.Host = "127.0.0.1:9001"
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

const evil = `<b>x</b>`

func setup(t *testing.T) (*fakeBackend, *Handler) {
	f := newFake(t)
	f.add(t, "a", "a", process.Running, "hello from a\n")
	f.add(t, "grp", "g1", process.Fatal, "-")
	f.add(t, evil, evil, process.Stopped, "<script>alert(1)</script>\n")
	f.add(t, "z", "z", process.Starting, "")
	return f, New(f)
}

func TestStatusPage(t *testing.T) {
	_, h := setup(t)
	for _, path := range []string{"/", "/index.html", "//index.html"} {
		w := do(t, h, "GET", path, "")
		if w.Code != 200 {
			t.Fatalf("%s: status %d", path, w.Code)
		}
		if ct := w.Header().Get("Content-Type"); ct != "text/html;charset=utf-8" {
			t.Errorf("Content-Type %q", ct)
		}
		if w.Header().Get("Cache-Control") != "no-cache" || w.Header().Get("Pragma") != "no-cache" {
			t.Errorf("missing no-cache headers: %v", w.Header())
		}
	}
	body := do(t, h, "GET", "/", "").Body.String()

	// Every name and its state, in order, with 4.2's state classes.
	rows := regexp.MustCompile(`(?s)<tr data-name="([^"]*)">.*?<span class="(\w+)">(\w+)</span>.*?</tr>`).FindAllStringSubmatch(body, -1)
	var got []string
	for _, r := range rows {
		got = append(got, r[1]+" "+r[2]+" "+r[3])
	}
	want := []string{
		"&lt;b&gt;x&lt;/b&gt; statusnominal stopped",
		"a statusrunning running",
		"grp:g1 statuserror fatal",
		"z statusnominal starting",
	}
	if !slices.Equal(got, want) {
		t.Errorf("rows:\n got %q\nwant %q", got, want)
	}
	if strings.Contains(body, evil) {
		t.Errorf("process name not escaped:\n%s", body)
	}
	// Links as 4.2 builds them (quote with safe "/", & escaped in HTML).
	for _, s := range []string{
		`href="tail.html?processname=grp%3Ag1"`,
		`href="index.html?processname=a&amp;action=restart" name="Restart"`,
		`href="index.html?processname=a&amp;action=stop" name="Stop"`,
		`href="index.html?processname=grp%3Ag1&amp;action=start" name="Start"`,
		`href="index.html?processname=%3Cb%3Ex%3C/b%3E&amp;action=clearlog" name="Clear Log"`,
		`href="logtail/a" name="Tail -f Stdout" target="_blank"`,
		`href="logtail/grp%3Ag1/stderr" name="Tail -f Stderr" target="_blank"`,
		`href="index.html?action=refresh"`, `href="index.html?action=restartall"`, `href="index.html?action=stopall"`,
	} {
		if !strings.Contains(body, s) {
			t.Errorf("page lacks %s", s)
		}
	}
	// Actions offered per state as in 4.2: none to start or stop while starting.
	zrow := rows[3][0]
	if strings.Contains(zrow, "action=start") || strings.Contains(zrow, "action=stop") || !strings.Contains(zrow, "action=clearlog") {
		t.Errorf("starting row actions: %s", zrow)
	}
	if strings.Contains(rows[1][0], "action=start\"") {
		t.Errorf("running row offers Start: %s", rows[1][0])
	}
	// No external assets.
	if regexp.MustCompile(`(?i)(src|href)="(https?:)?//`).MatchString(body) {
		t.Errorf("page refers to another site")
	}
}

func TestStatusPageEmptyAndMessage(t *testing.T) {
	h := New(newFake(t))
	w := do(t, h, "GET", "/?message="+url.QueryEscape("Process "+evil+" stopped"), "")
	body := w.Body.String()
	if !strings.Contains(body, "No programs to manage") {
		t.Errorf("empty table text missing")
	}
	if !strings.Contains(body, `<div class="status_msg" id="statusmessage">Process &lt;b&gt;x&lt;/b&gt; stopped</div>`) {
		t.Errorf("message not shown escaped:\n%s", body)
	}
}

func TestActions(t *testing.T) {
	fixedClock(t)
	ctime := "Thu%20Nov%20%205%2007%3A08%3A09%202026"
	evilQ := "%3Cb%3Ex%3C/b%3E"
	cases := []struct {
		query, location string
		calls           []string
	}{
		{"action=refresh", "Page%20refreshed%20at%20" + ctime, nil},
		{"action=stopall", "All%20stopped%20at%20" + ctime, []string{"stopall"}},
		{"action=restartall", "All%20restarted%20at%20" + ctime, []string{"stopall", "startall"}},
		{"processname=a&action=stop", "Process%20a%20stopped", []string{"stop a"}},
		{"processname=a&action=start", "ERROR%3A%20Process%20a%3A%20already%20started", []string{"start a"}},
		{"processname=a&action=restart", "Process%20a%20restarted", []string{"stop a", "start a"}},
		{"processname=a&action=clearlog", "Log%20for%20a%20cleared", []string{"clearlog a"}},
		{"processname=grp%3Ag1&action=start", "Process%20grp%3Ag1%20started", []string{"start grp:g1"}},
		{"processname=grp%3Ag1&action=stop", "unexpected%20rpc%20fault%20%5B70%5D%20NOT_RUNNING%3A%20grp%3Ag1", []string{"stop grp:g1"}},
		{"processname=" + evilQ + "&action=start", "Process%20" + evilQ + "%20started", []string{"start " + evil}},
		{"processname=g1&action=stop", "No%20such%20process%20named%20g1", nil},
		{"processname=grp%3A&action=stop", "No%20such%20process%20named%20grp%3A", nil},
		{"processname=nosuch&action=restart", "No%20such%20process%20named%20nosuch", nil},
	}
	for _, c := range cases {
		for _, method := range []string{"GET", "POST"} {
			f, h := setup(t)
			var w *httptest.ResponseRecorder
			if method == "GET" {
				w = do(t, h, "GET", "/index.html?"+c.query, "")
			} else {
				w = do(t, h, "POST", "/index.html", c.query)
			}
			if w.Code != http.StatusMovedPermanently {
				t.Errorf("%s %s: status %d", method, c.query, w.Code)
				continue
			}
			want := "http://127.0.0.1:9001/?message=" + c.location
			if got := w.Header().Get("Location"); got != want {
				t.Errorf("%s %s:\nLocation %s\n    want %s", method, c.query, got, want)
			}
			if got := f.Calls(); !slices.Equal(got, c.calls) {
				t.Errorf("%s %s: backend calls %q, want %q", method, c.query, got, c.calls)
			}
		}
	}
}

func TestStartErrors(t *testing.T) {
	for _, c := range []struct {
		fault supervisor.Fault
		text  string
	}{
		{supervisor.NoFile, "no such file"},
		{supervisor.NotExecutable, "file not executable"},
		{supervisor.SpawnError, "spawn error"},
		{supervisor.AbnormalTermination, "abnormal termination"},
		{supervisor.ShutdownState, "unexpected rpc fault [6] SHUTDOWN_STATE"},
	} {
		f := newFake(t)
		p := f.add(t, "p", "p", process.Stopped, "")
		p.startErr = &supervisor.Error{Fault: c.fault}
		w := do(t, New(f), "GET", "/index.html?processname=p&action=start", "")
		loc, _ := url.QueryUnescape(strings.TrimPrefix(w.Header().Get("Location"), "http://127.0.0.1:9001/?message="))
		if want := "ERROR: Process p: " + c.text; loc != want {
			t.Errorf("%v: message %q, want %q", c.fault, loc, want)
		}
	}
}

func TestBadRequests(t *testing.T) {
	_, h := setup(t)
	for _, c := range []struct {
		method, target string
		code           int
	}{
		{"GET", "/index.html?action=bogus", 500},
		{"GET", "/index.html?processname=a&action=bogus", 500},
		{"GET", "/index.html?action=start", 500},
		{"GET", "/index.html?processname=&action=stop", 500},
		{"HEAD", "/index.html", 404},
		{"PUT", "/index.html?processname=a&action=stop", 400},
		{"DELETE", "/", 400},
		{"GET", "/nosuch.html", 404},
		{"GET", "/stylesheets/supervisor.css", 404},
		{"POST", "/logtail/a", 400},
		{"HEAD", "/logtail/a", 400},
		{"POST", "/mainlogtail", 400},
		{"GET", "/logtail/nosuch", 404},
		{"GET", "/logtail/grp%3Ag1", 404}, // no log file yet
		{"GET", "/logtail/a/foo", 404},
		{"GET", "/logtail/", 404},
		{"GET", "/logtail", 404},
	} {
		f := newFake(t)
		h = New(f)
		f.add(t, "a", "a", process.Running, "x\n")
		f.add(t, "grp", "g1", process.Stopped, "-")
		w := do(t, h, c.method, c.target, "")
		if w.Code != c.code {
			t.Errorf("%s %s: %d, want %d", c.method, c.target, w.Code, c.code)
		}
		if len(f.Calls()) != 0 {
			t.Errorf("%s %s: backend was called: %q", c.method, c.target, f.Calls())
		}
	}
}

func TestOK(t *testing.T) {
	w := do(t, New(newFake(t)), "GET", "/ok.html", "")
	if w.Code != 200 || w.Body.String() != "OK" {
		t.Errorf("ok.html: %d %q", w.Code, w.Body.String())
	}
}

var preRe = regexp.MustCompile(`(?s)<pre id="tailbody"[^>]*>(.*?)</pre>`)

func tailOf(t *testing.T, body string) string {
	t.Helper()
	m := preRe.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no tail body in\n%s", body)
	}
	return m[1]
}

func TestTailPage(t *testing.T) {
	f := newFake(t)
	h := New(f)
	long := strings.Repeat("0123456789abcdef", 200) // 3200 bytes
	f.add(t, "long", "long", process.Running, long)
	f.add(t, "grp", "g1", process.Stopped, "-")
	f.add(t, evil, evil, process.Stopped, "<script>alert(1)</script>\n")

	title := regexp.MustCompile(`<title>(.*)</title>`)
	for _, c := range []struct {
		query, title, tail, refresh string
	}{
		{"", "Supervisor tail of process None", "No process name found", ""},
		{"?processname=", "Supervisor tail of process None", "No process name found", ""},
		{"?processname=long", "Supervisor tail of process long", long[len(long)-1024:], "tail.html?processname=long&amp;limit=1024"},
		{"?processname=long&limit=10", "Supervisor tail of process long", long[len(long)-1024:], "tail.html?processname=long&amp;limit=1024"},
		{"?processname=long&limit=x", "Supervisor tail of process long", long[len(long)-1024:], "tail.html?processname=long&amp;limit=1024"},
		{"?processname=long&limit=2000", "Supervisor tail of process long", long[len(long)-2000:], "tail.html?processname=long&amp;limit=2000"},
		{"?processname=grp%3Ag1", "Supervisor tail of process grp:g1", "No file for grp:g1", "tail.html?processname=grp%3Ag1&amp;limit=1024"},
		{"?processname=nosuch", "Supervisor tail of process nosuch", "ERROR: unexpected rpc fault [10] BAD_NAME: nosuch", "tail.html?processname=nosuch&amp;limit=1024"},
		{"?processname=%3Cb%3Ex%3C%2Fb%3E", "Supervisor tail of process &lt;b&gt;x&lt;/b&gt;", "&lt;script&gt;alert(1)&lt;/script&gt;\n", "tail.html?processname=%3Cb%3Ex%3C/b%3E&amp;limit=1024"},
	} {
		w := do(t, h, "GET", "/tail.html"+c.query, "")
		if w.Code != 200 {
			t.Errorf("%s: %d", c.query, w.Code)
			continue
		}
		body := w.Body.String()
		if m := title.FindStringSubmatch(body); m == nil || m[1] != c.title {
			t.Errorf("%s: title %q, want %q", c.query, m, c.title)
		}
		if got := tailOf(t, body); got != c.tail {
			t.Errorf("%s: tail %q, want %q", c.query, got, c.tail)
		}
		hasRefresh := strings.Contains(body, `href="`+c.refresh+`"`)
		if c.refresh != "" && !hasRefresh || c.refresh == "" && strings.Contains(body, "refresh_anchor") {
			t.Errorf("%s: refresh link wrong (want %q):\n%s", c.query, c.refresh, body)
		}
		if strings.Contains(body, "<script>alert") || strings.Contains(body, evil) {
			t.Errorf("%s: unescaped output", c.query)
		}
	}
}

// streamReader reads a /logtail response line by line with a deadline.
type streamReader struct {
	t     *testing.T
	lines chan string
}

func openStream(t *testing.T, srv *httptest.Server, path string) (*http.Response, *streamReader) {
	t.Helper()
	return streamLines(t, srv.Client(), srv.URL+path, "")
}

// streamLines GETs url (with an Authorization header unless auth is empty)
// and reads the response line by line until the test ends.
func streamLines(t *testing.T, client *http.Client, url, auth string) (*http.Response, *streamReader) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	sr := &streamReader{t: t, lines: make(chan string, 1000)}
	go func() {
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			sr.lines <- sc.Text()
		}
		close(sr.lines)
	}()
	return resp, sr
}

// expect waits for the line want.
func (sr *streamReader) expect(want string) {
	sr.t.Helper()
	sr.await(fmt.Sprintf("%q", want), func(l string) bool { return l == want })
}

// expectContains waits for a line containing part and returns it.
func (sr *streamReader) expectContains(part string) string {
	sr.t.Helper()
	return sr.await(fmt.Sprintf("a line with %q", part), func(l string) bool { return strings.Contains(l, part) })
}

// await reads lines until one matches, failing the test after 10s or at
// the end of the stream.
func (sr *streamReader) await(what string, match func(string) bool) string {
	sr.t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case l, ok := <-sr.lines:
			if !ok {
				sr.t.Fatalf("stream ended before %s", what)
			}
			if match(l) {
				return l
			}
		case <-deadline:
			sr.t.Fatalf("no line %s within 10s", what)
		}
	}
}

func appendFile(t *testing.T, path, s string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(s); err != nil {
		t.Fatal(err)
	}
}

func TestLogtailFollows(t *testing.T) {
	f := newFake(t)
	var head strings.Builder
	for i := 0; i < 200; i++ {
		head.WriteString("old line " + strings.Repeat("x", i%7) + "\n")
	}
	p := f.add(t, "grp", "web", process.Running, head.String())
	srv := httptest.NewServer(New(f))
	t.Cleanup(srv.Close)

	resp, sr := openStream(t, srv, "/logtail/grp:web")
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "text/plain;charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
	if resp.Header.Get("X-Accel-Buffering") != "no" || resp.Header.Get("Last-Modified") == "" {
		t.Errorf("headers %v", resp.Header)
	}
	// The stream starts 1024 bytes before the end: the first full line
	// seen is not the file's first line.
	first := <-sr.lines
	if len(first) > 1024 {
		t.Fatalf("first line too long")
	}
	sr.expect("old line xxxxx")

	appendFile(t, p.stdout, "new line 1\n")
	sr.expect("new line 1")

	// Truncation is reported, then the file is read from its start.
	writeFile(t, p.stdout, "")
	sr.expect("==> File truncated <==")
	appendFile(t, p.stdout, "after truncation\n")
	sr.expect("after truncation")

	// Rotation: the file is renamed and a new one written at the path.
	if err := os.Rename(p.stdout, p.stdout+".1"); err != nil {
		t.Fatal(err)
	}
	writeFile(t, p.stdout, "rotated 1\n")
	sr.expect("rotated 1")
	appendFile(t, p.stdout, "rotated 2\n")
	sr.expect("rotated 2")

	// stderr is its own stream.
	_, se := openStream(t, srv, "/logtail/grp:web/stderr")
	appendFile(t, p.stderr, "on stderr\n")
	se.expect("on stderr")
}

func TestMainlogtail(t *testing.T) {
	f := newFake(t)
	srv := httptest.NewServer(New(f))
	t.Cleanup(srv.Close)
	resp, sr := openStream(t, srv, "/mainlogtail")
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	sr.expect("2026-01-01 00:00:00,000 INFO supervisord started with pid 1")
	appendFile(t, f.mainLog, "2026-01-01 00:00:01,000 INFO spawned: 'a' with pid 2\n")
	sr.expect("2026-01-01 00:00:01,000 INFO spawned: 'a' with pid 2")

	f.mainLog = ""
	if w := do(t, New(f), "GET", "/mainlogtail", ""); w.Code != 404 {
		t.Errorf("no main log: %d", w.Code)
	}
}

// The stream ends, and its watcher with it, when the client goes away.
func TestLogtailEndsWithClient(t *testing.T) {
	f := newFake(t)
	f.add(t, "a", "a", process.Running, "x\n")
	h := New(f)
	ctx, cancel := context.WithCancel(context.Background())
	r := httptest.NewRequest("GET", "/logtail/a", nil).WithContext(ctx)
	pr, pw := io.Pipe()
	done := make(chan struct{})
	go func() {
		h.ServeHTTP(&pipeWriter{header: http.Header{}, w: pw}, r)
		close(done)
	}()
	buf := make([]byte, 2)
	if _, err := io.ReadFull(pr, buf); err != nil || string(buf) != "x\n" {
		t.Fatalf("read %q %v", buf, err)
	}
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("handler still running after the client left")
	}
}

type pipeWriter struct {
	header http.Header
	w      io.Writer
}

func (p *pipeWriter) Header() http.Header         { return p.header }
func (p *pipeWriter) Write(b []byte) (int, error) { return p.w.Write(b) }
func (p *pipeWriter) WriteHeader(int)             {}
func (p *pipeWriter) Flush()                      {}

func TestQuoteLikePython(t *testing.T) {
	// Values from Python 3's urllib.parse.quote.
	for in, want := range map[string]string{
		"abc_.-~/XYZ09": "abc_.-~/XYZ09",
		"grp:g1":        "grp%3Ag1",
		`<b>x'"&`:       "%3Cb%3Ex%27%22%26",
		"a b+c%":        "a%20b%2Bc%25",
		"é":             "%C3%A9",
	} {
		if got := quote(in); got != want {
			t.Errorf("quote(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzQuote(f *testing.F) {
	f.Add("grp:g1")
	f.Add("<b>x</b> é")
	f.Fuzz(func(t *testing.T, s string) {
		q := quote(s)
		back, err := url.PathUnescape(q)
		if err != nil || back != s {
			t.Fatalf("quote(%q) = %q does not round-trip: %q %v", s, q, back, err)
		}
		if strings.ContainsAny(q, "<>\"'& ?#:") {
			t.Fatalf("quote(%q) = %q keeps a special character", s, q)
		}
	})
}

// FuzzHandler sends arbitrary paths, queries and forms: the handler never
// panics, never echoes markup unescaped, and never acts on a process that
// does not exist.
func FuzzHandler(f *testing.F) {
	f.Add("GET", "/index.html", "processname=a&action=stop", "")
	f.Add("POST", "/", "", "action=refresh&processname=<b>")
	f.Add("GET", "/tail.html", "processname=<b>x</b>&limit=99999", "")
	f.Add("GET", "/logtail/<b>/stderr", "", "")
	f.Fuzz(func(t *testing.T, method, path, query, body string) {
		if !strings.HasPrefix(path, "/") || strings.HasPrefix(path, "/logtail") || strings.HasPrefix(path, "/mainlogtail") {
			return // streams run until the client goes; covered above
		}
		u := &url.URL{Path: path, RawQuery: query}
		r, err := http.NewRequest(method, u.String(), strings.NewReader(body))
		if err != nil {
			return
		}
		fb := newFake(t)
		fb.add(t, "a", "a", process.Running, "<i>log</i>\n")
		w := httptest.NewRecorder()
		New(fb).ServeHTTP(w, r)
		if strings.Contains(w.Body.String(), "<b>") || strings.Contains(w.Body.String(), "<i>log") {
			t.Fatalf("unescaped markup in %s %s?%s", method, path, query)
		}
	})
}

// Up to maxRows processes the page carries every row as 4.2 renders it;
// beyond, only the first maxRows and a note, the rest being the script's.
func TestStatusPageBound(t *testing.T) {
	f := newFake(t)
	h := New(f)
	rowRe := regexp.MustCompile(`<tr data-name="([^"]*)">`)
	for i := 0; i < maxRows+50; i++ {
		f.add(t, fmt.Sprintf("p%04d", i), fmt.Sprintf("p%04d", i), process.Running, "")
		if n := len(f.procs); n == maxRows || n == maxRows+1 || n == maxRows+50 {
			body := do(t, h, "GET", "/", "").Body.String()
			rows := rowRe.FindAllStringSubmatch(body, -1)
			want := min(n, maxRows)
			if len(rows) != want || rows[0][1] != "p0000" || rows[want-1][1] != fmt.Sprintf("p%04d", want-1) {
				t.Errorf("%d processes: %d rows", n, len(rows))
			}
			note := strings.Contains(body, `id="partial"`)
			if note != (n > maxRows) {
				t.Errorf("%d processes: note %v", n, note)
			}
			if n > maxRows && !strings.Contains(body, fmt.Sprintf("The first %d of %d processes", maxRows, n)) {
				t.Errorf("%d processes: the note does not say how many", n)
			}
		}
	}
}
