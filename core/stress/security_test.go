package stress

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"super/core/testbin"
	"super/core/xmlrpc"
)

// rawGet sends one request with the path exactly as given (no cleaning,
// no re-encoding) and returns the status code and whatever body arrives
// within a second (log streams never end on their own).
func rawGet(t *testing.T, network, addr, method, path, auth string) (int, string) {
	t.Helper()
	c, err := net.Dial(network, addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	req := method + " " + path + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
	if auth != "" {
		req += "Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte(auth)) + "\r\n"
	}
	if method == "POST" {
		body := "<?xml version='1.0'?><methodCall><methodName>supervisor.stopProcess</methodName>" +
			"<params><param><value><string>victim</string></value></param></params></methodCall>"
		req += "Content-Type: text/xml\r\nContent-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + body
	} else {
		req += "\r\n"
	}
	if _, err := io.WriteString(c, req); err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body) // ends at the deadline for a stream
	return resp.StatusCode, string(b)
}

// Every URL and method needs the credentials when they are configured,
// on the TCP and the unix server, with a {SHA} and a plain password; and
// nothing an unauthenticated request asks for happens.
func TestAuthOnEveryURL(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	port := testbin.FreePort(t)
	inet := fmt.Sprintf("127.0.0.1:%d", port)
	conf := strings.Replace(testbin.BaseConf(dir), "[unix_http_server]\n", "[unix_http_server]\nusername=alice\npassword=plain pass\n", 1) +
		fmt.Sprintf(`[inet_http_server]
port=%s
username=user
password={SHA}fef341f85d87439e7d91a2d465b9871ef66b5e98

[program:victim]
command=sh -c 'echo victim output; exec sleep 1000'
startsecs=0
`, inet)
	d := testbin.StartConf(t, false, dir, conf)
	if err := testbin.Poll(10*time.Second, func() bool {
		c, err := net.Dial("tcp", inet)
		if err == nil {
			c.Close()
		}
		return err == nil
	}); err != nil {
		t.Fatalf("nothing listens on %s\n%s", inet, d.Out)
	}
	rpc, _ := xmlrpc.NewClient("http://"+inet, "user", "s3cret")
	defer rpc.Close()
	info, err := rpc.Call(context.Background(), "supervisor.getProcessInfo", "victim")
	if err != nil {
		t.Fatalf("with the right credentials: %v", err)
	}
	pid := info.(map[string]any)["pid"]
	paths := []string{"/RPC2", "/RPC2/x", "/", "/index.html", "/index.html?processname=victim&action=stop",
		"/index.html?action=stopall", "/tail.html?processname=victim", "/logtail/victim", "/logtail/victim/stderr",
		"/mainlogtail", "/ok.html", "/nonexistent", "/../etc/passwd", "/%2e%2e/"}
	methods := []string{"GET", "POST", "HEAD", "PUT", "DELETE", "OPTIONS"}
	servers := []struct {
		network, addr, good string
		bad                 []string
	}{
		{"tcp", inet, "user:s3cret", []string{"", "user:", "user:S3cret", "User:s3cret", "user:fef341f85d87439e7d91a2d465b9871ef66b5e98",
			"user:s3cret\x00", "user", ":s3cret", "alice:plain pass"}},
		{"unix", d.Sock, "alice:plain pass", []string{"", "alice:plain", "alice:plain pass ", "user:s3cret", "alice"}},
	}
	tried, refused, leaked := 0, 0, 0
	for _, srv := range servers {
		for _, p := range paths {
			for _, m := range methods {
				for _, bad := range srv.bad {
					code, body := rawGet(t, srv.network, srv.addr, m, p, bad)
					tried++
					if code == http.StatusUnauthorized {
						refused++
					} else {
						t.Errorf("%s %s %s with %q: %d, want 401\n%s", srv.network, m, p, bad, code, body)
					}
					if strings.Contains(body, "victim output") {
						leaked++
						t.Errorf("%s %s %s with %q leaked the log", srv.network, m, p, bad)
					}
				}
			}
		}
		// The right credentials pass on every path (whatever the page
		// then answers).
		for _, p := range []string{"/ok.html", "/logtail/victim", "/mainlogtail", "/tail.html?processname=victim"} {
			if code, body := rawGet(t, srv.network, srv.addr, "GET", p, srv.good); code != http.StatusOK {
				t.Errorf("%s GET %s with the right credentials: %d\n%s", srv.network, p, code, body)
			}
		}
	}
	info, err = rpc.Call(context.Background(), "supervisor.getProcessInfo", "victim")
	if err != nil {
		t.Fatal(err)
	}
	m := info.(map[string]any)
	untouched := m["statename"] == "RUNNING" && m["pid"] == pid
	if !untouched {
		t.Errorf("victim after %d unauthenticated requests: %v (pid was %v)", tried, m, pid)
	}
	t.Logf("figure: %d requests without or with wrong credentials (%d URLs × %d methods, TCP with {SHA} and unix with a plain password): %d refused with 401, %d leaked log output, target process untouched: %v",
		tried, len(paths), len(methods), refused, leaked, untouched)
	if _, err := xmlrpc.NewClient("http://"+inet, "user", "wrong"); err == nil {
		c, _ := xmlrpc.NewClient("http://"+inet, "user", "wrong")
		_, err := c.Call(context.Background(), "supervisor.getState")
		var he *xmlrpc.HTTPError
		if !errors.As(err, &he) || he.StatusCode != 401 {
			t.Errorf("RPC with a wrong password: %v", err)
		}
		c.Close()
	}
}

// Markup and control bytes in log output and descriptions reach the web
// pages escaped and the XML-RPC answers as well-formed XML.
func TestNoInjection(t *testing.T) {
	t.Parallel()
	d := testbin.Start(t, false, `[program:inject]
command=printf '<script>alert(1)</script> ]]></string></value> &amp; \001\002\033[31m \377\376 <b>bold</b>\n'
startsecs=0
autorestart=false

[program:badcmd]
command=/nonexistent/<script>alert(2)</script>
startretries=0
autostart=true
`)
	if err := testbin.Poll(10*time.Second, func() bool { return d.StateOf(t, "inject") == "EXITED" }); err != nil {
		t.Fatal(err)
	}
	d.WaitState(t, "badcmd", "FATAL", 10*time.Second)
	get := func(path string) string {
		c := d.Client(t)
		resp, err := c.Get(context.Background(), path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	pages, unescaped := 0, 0
	for _, page := range []string{"/index.html", "/tail.html?processname=inject", "/tail.html?processname=%3Cscript%3Ealert(3)%3C/script%3E"} {
		body := get(page)
		pages++
		for _, raw := range []string{"<script>alert", "<b>bold"} {
			if strings.Contains(body, raw) {
				unescaped++
				t.Errorf("%s holds unescaped %q", page, raw)
			}
		}
	}
	if body := get("/index.html"); !strings.Contains(body, "&lt;script&gt;alert(2)") {
		t.Errorf("index.html does not show badcmd's escaped description")
	}
	// Raw XML-RPC answers must be well-formed XML whatever the bytes.
	answers, wellFormed := 0, 0
	for _, call := range [][]any{
		{"supervisor.readProcessStdoutLog", "inject", 0, 0},
		{"supervisor.tailProcessStdoutLog", "inject", 0, 1000},
		{"supervisor.getAllProcessInfo"},
		{"supervisor.readLog", 0, 0},
	} {
		var req bytes.Buffer
		if err := xmlrpc.EncodeCall(&req, call[0].(string), call[1:]); err != nil {
			t.Fatal(err)
		}
		hc := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return net.Dial("unix", d.Sock)
		}}}
		resp, err := hc.Post("http://localhost/RPC2", "text/xml", &req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		answers++
		ok := true
		dec := xml.NewDecoder(bytes.NewReader(body))
		for {
			_, err := dec.Token()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Errorf("%s: answer is not well-formed XML: %v\n%q", call[0], err, body)
				ok = false
				break
			}
		}
		if _, err := xmlrpc.DecodeResponse(bytes.NewReader(body)); err != nil {
			t.Errorf("%s: %v", call[0], err)
			ok = false
		}
		if ok {
			wellFormed++
		}
	}
	t.Logf("figure: markup, control and invalid UTF-8 bytes in output and descriptions: %d web pages with %d unescaped markup; %d of %d XML-RPC answers well-formed and decodable",
		pages, unescaped, wellFormed, answers)
}

// The log URLs serve configured logs only: no path, encoded or not,
// reaches another file.
func TestPathTraversal(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	secret := "TOP-SECRET-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	if err := os.WriteFile(filepath.Join(dir, "secret.log"), []byte(secret+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	logs := filepath.Join(dir, "logs")
	os.Mkdir(logs, 0o755)
	d := testbin.StartConf(t, false, dir, testbin.BaseConf(dir)+fmt.Sprintf(`[program:victim]
command=sh -c 'echo victim output; exec sleep 1000'
startsecs=0
stdout_logfile=%s/victim.log
`, logs))
	d.WaitState(t, "victim", "RUNNING", 10*time.Second)
	paths := []string{
		"/logtail/../secret.log", "/logtail/../../etc/passwd", "/logtail/..%2fsecret.log", "/logtail/..%2F..%2Fetc%2Fpasswd",
		"/logtail/%2e%2e/%2e%2e/etc/passwd", "/logtail/%2e%2e%2f%2e%2e%2fetc%2fpasswd", "/logtail/..%252fsecret.log",
		"/logtail/victim/../../secret.log", "/logtail/victim/..%2f..%2fsecret.log", "/logtail/victim/stdout/../../../secret.log",
		"/logtail/" + dir + "/secret.log", "/logtail/%2f" + strings.TrimPrefix(dir, "/") + "%2fsecret.log",
		"/logtail/..\\..\\secret.log", "/logtail/victim%00/../../secret.log", "/logtail/*", "/logtail/victim:victim/../../secret.log",
		"/mainlogtail/../secret.log", "/mainlogtail/..%2f..%2fetc%2fpasswd", "/mainlogtail?file=" + dir + "/secret.log",
		"/tail.html?processname=../secret.log", "/tail.html?processname=..%2F..%2Fetc%2Fpasswd",
		"/tail.html?processname=" + dir + "/secret.log", "/tail.html?processname=victim/../../secret.log",
		"/../secret.log", "/%2e%2e/%2e%2e/etc/passwd", "/index.html/../../etc/passwd", "/secret.log",
		"/" + dir + "/secret.log", "//etc/passwd", "/ui/../../secret.log",
	}
	served := 0
	for _, p := range paths {
		code, body := rawGet(t, "unix", d.Sock, "GET", p, "")
		if strings.Contains(body, secret) || strings.Contains(body, "root:x:0:0") || strings.Contains(body, "root:*:0:0") {
			served++
			t.Errorf("GET %s (%d) served a file outside the logs:\n%s", p, code, body)
		}
	}
	calls, badName := 0, 0
	for _, name := range []string{"../secret.log", "../../etc/passwd", dir + "/secret.log", "victim/../../secret.log"} {
		for _, m := range []string{"supervisor.readProcessStdoutLog", "supervisor.tailProcessStdoutLog"} {
			_, err := d.Client(t).Call(context.Background(), m, name, 0, 100)
			calls++
			var f *xmlrpc.Fault
			if !errors.As(err, &f) || f.Code != 10 {
				t.Errorf("%s(%q): %v, want BAD_NAME", m, name, err)
			} else {
				badName++
			}
		}
	}
	t.Logf("figure: path traversal: %d log URLs (plain, encoded, double-encoded, absolute) served %d files outside the logs; %d of %d log RPCs with a path for a name refused with BAD_NAME",
		len(paths), served, badName, calls)
	// The configured log itself is served.
	if _, body := rawGet(t, "unix", d.Sock, "GET", "/logtail/victim", ""); !strings.Contains(body, "victim output") {
		t.Errorf("/logtail/victim: %q", body)
	}
}

// The unix socket has the configured mode from the moment it can be
// reached, even when the daemon's umask would allow everyone.
func TestUnixSocketMode(t *testing.T) {
	t.Parallel()
	observed, wider := 0, 0
	for _, mode := range []os.FileMode{0o700, 0o660} {
		dir := t.TempDir()
		conf := strings.Replace(testbin.BaseConf(dir), "[unix_http_server]\n", fmt.Sprintf("[unix_http_server]\nchmod=0%o\n", mode), 1)
		// Watch the directory: every socket file created in it (the
		// temporary name is linked to s.sock) is looked at as soon as
		// it appears.
		fd, err := syscall.InotifyInit1(syscall.IN_CLOEXEC | syscall.IN_NONBLOCK)
		if err != nil {
			t.Skipf("inotify: %v", err)
		}
		if _, err := syscall.InotifyAddWatch(fd, dir, syscall.IN_CREATE|syscall.IN_ATTRIB); err != nil {
			t.Fatal(err)
		}
		// Through the runtime poller, so Close ends the read.
		ino := os.NewFile(uintptr(fd), "inotify")
		seen := make(chan string, 64)
		go func() {
			buf := make([]byte, 4096)
			for {
				n, err := ino.Read(buf)
				if err != nil || n <= 0 {
					close(seen)
					return
				}
				for off := 0; off+syscall.SizeofInotifyEvent <= n; {
					ev := (*syscall.InotifyEvent)(unsafePointer(&buf[off]))
					name := string(bytes.TrimRight(buf[off+syscall.SizeofInotifyEvent:off+syscall.SizeofInotifyEvent+int(ev.Len)], "\x00"))
					off += syscall.SizeofInotifyEvent + int(ev.Len)
					if strings.HasPrefix(name, "s.sock") {
						if fi, err := os.Lstat(filepath.Join(dir, name)); err == nil && fi.Mode()&os.ModeSocket != 0 {
							seen <- fmt.Sprintf("%s %o", name, fi.Mode().Perm())
						}
					}
				}
			}
		}()
		d := startWrapped(t, dir, conf, nil, "umask 000")
		fi, err := os.Lstat(d.sock)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != mode {
			t.Errorf("socket mode %o, want %o", fi.Mode().Perm(), mode)
		}
		d.stop()
		ino.Close()
		for s := range seen {
			observed++
			f := strings.Fields(s)
			m, _ := strconv.ParseUint(f[1], 8, 32)
			if os.FileMode(m)&^mode != 0 {
				wider++
				t.Errorf("socket %s was reachable with mode %s, more than the configured %o", f[0], f[1], mode)
			}
		}
	}
	t.Logf("figure: unix socket under umask 000, chmod 0700 and 0660: %d socket file states seen through inotify as they appeared, %d wider than configured", observed, wider)
}

// Run as root without user=, the daemon says so, as 4.2 does; user=root
// silences it.
func TestRootWarning(t *testing.T) {
	needRoot(t, "the warning is about running as root")
	t.Parallel()
	const warning = "CRIT Supervisor is running as root.  Privileges were not dropped because no user is specified in the config file."
	d := testbin.Start(t, false, "")
	if !strings.Contains(d.Log(), warning) {
		t.Errorf("no root warning:\n%s", d.Log())
	}
	dir := t.TempDir()
	d2 := testbin.StartConf(t, false, dir, strings.Replace(testbin.BaseConf(dir), "[supervisord]\n", "[supervisord]\nuser=root\n", 1))
	if strings.Contains(d2.Log(), "Supervisor is running as root") {
		t.Errorf("root warning with user=root:\n%s", d2.Log())
	}
	if !strings.Contains(d2.Log(), "Set uid to user 0 succeeded") {
		t.Errorf("no set uid line with user=root:\n%s", d2.Log())
	}
	t.Logf("figure: as root: warning without user= logged %d time(s), with user=root %d time(s)",
		strings.Count(d.Log(), warning), strings.Count(d2.Log(), "Supervisor is running as root"))
}

// [inet_http_server] without credentials on an address other than
// loopback gets a loud warning; on 127.0.0.1, or with credentials, only
// 4.2's usual line. The daemon runs in a network namespace of its own, so
// the wildcard address is reachable from nowhere.
func TestOpenInetServerWarning(t *testing.T) {
	needRoot(t, "a network namespace (unshare --net) keeps the wildcard address private")
	if _, err := exec.LookPath("unshare"); err != nil {
		t.Skip("unshare (util-linux) is not installed")
	}
	t.Parallel()
	const loud = "CRIT Server 'inet_http_server' is listening on 0.0.0.0:9001, which is not a loopback address, without a username and password"
	cases := []struct {
		inet string
		want bool
	}{
		{"port=0.0.0.0:9001", true},
		{"port=:9001", true},
		{"port=*:9001", true},
		{"port=127.0.0.1:9001", false},
		{"port=0.0.0.0:9001\nusername=u\npassword=p", false},
	}
	warned := 0
	for _, c := range cases {
		dir := t.TempDir()
		d := startWrapped(t, dir, testbin.BaseConf(dir)+"[inet_http_server]\n"+c.inet+"\n", []string{"unshare", "--net"}, "")
		// The unix socket answers before the inet server is set up.
		testbin.Poll(10*time.Second, func() bool { return strings.Contains(d.log(), "supervisord started with pid") })
		log := d.log()
		got := strings.Contains(log, "is not a loopback address, without a username and password")
		if got {
			warned++
		}
		if got != c.want {
			t.Errorf("%q: warning logged %v, want %v:\n%s", c.inet, got, c.want, log)
		}
		if c.inet == "port=0.0.0.0:9001" && !strings.Contains(log, loud) {
			t.Errorf("warning text:\n%s", log)
		}
		if strings.Contains(c.inet, "username") == strings.Contains(log, "Server 'inet_http_server' running without any HTTP authentication checking") {
			t.Errorf("%q: 4.2's authentication line wrong:\n%s", c.inet, log)
		}
		d.stop()
	}
	t.Logf("figure: open inet server: %d listen settings tried, the loud warning on %d (the wildcard addresses without credentials)", len(cases), warned)
}
