package web

import (
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"super/core/testbin"
)

// The credentials of the live daemon's [inet_http_server].
const (
	liveUser = "admin"
	livePass = "s3cr:et" // a colon in the password must survive basic auth
)

// markupName is a program name full of markup: 4.2 accepts any name without
// a space, a colon or a slash, so "<b>x</b>" itself is not a valid name.
const markupName = "<b>x<i>y"

// liveDaemon is the real supervisord serving the web interface on TCP with
// basic auth, running:
//
//	web          tail -f of in.txt: prints in.txt's lines, then every line
//	             the test appends (a program printing on demand)
//	batch        not started (autostart=false)
//	grp:<b>x<i>y prints a line of markup, then sleeps
type liveDaemon struct {
	*testbin.Daemon
	Base string // "http://127.0.0.1:PORT"
	In   string // the file web prints
}

// firstLine is what web prints first; it is markup, to check escaping.
const firstLine = "hello from web <i>printed</i>"

func startLive(t *testing.T) *liveDaemon {
	t.Helper()
	return startLiveOn(t, false)
}

// startLiveOn is startLive on ours or (oracle) on Supervisor 4.2.
func startLiveOn(t *testing.T, oracle bool) *liveDaemon {
	t.Helper()
	dir := t.TempDir()
	in := filepath.Join(dir, "in.txt")
	if err := os.WriteFile(in, []byte(firstLine+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	port := testbin.FreePort(t)
	conf := testbin.BaseConf(dir) + fmt.Sprintf(`[inet_http_server]
port=127.0.0.1:%d
username=%s
password=%s

[program:web]
command=tail -n +1 -f %s
startsecs=0

[program:batch]
command=sleep 1000
autostart=false

[program:%s]
command=sh -c 'echo "<script>document.title=1</script>"; exec sleep 1000'
startsecs=0

[group:grp]
programs=%[5]s
`, port, liveUser, livePass, in, markupName)
	d := testbin.StartConf(t, oracle, dir, conf)
	ld := &liveDaemon{Daemon: d, Base: fmt.Sprintf("http://127.0.0.1:%d", port), In: in}
	// The unix socket answers first; wait for the TCP server as well.
	d.WaitInet(t, port, 10*time.Second)
	d.WaitState(t, "web", "RUNNING", 10*time.Second)
	d.WaitState(t, "grp:"+markupName, "RUNNING", 10*time.Second)
	return ld
}

func authHeader(user, pass string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
}

// noRedirect is a client that shows redirects instead of following them.
var noRedirect = &http.Client{
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	Timeout:       30 * time.Second,
}

// do sends one request with the right credentials and returns the
// response with its body read.
func (ld *liveDaemon) do(t *testing.T, method, path, body string) (*http.Response, string) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, ld.Base+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Header.Set("Authorization", authHeader(liveUser, livePass))
	resp, err := noRedirect.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading the body: %v", method, path, err)
	}
	return resp, string(b)
}

// appendLine makes web print line.
func (ld *liveDaemon) appendLine(t *testing.T, line string) {
	t.Helper()
	appendFile(t, ld.In, line+"\n")
}

// stream opens a streaming URL (/logtail/..., /mainlogtail) with the
// right credentials and reads it line by line until the test ends.
func (ld *liveDaemon) stream(t *testing.T, path string) (*http.Response, *streamReader) {
	t.Helper()
	return streamLines(t, http.DefaultClient, ld.Base+path, authHeader(liveUser, livePass))
}
