package e2e

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"super/core/config"
	"super/core/testbin"
	"super/core/xmlrpc"
)

// exampleConf is examples/container/supervisord.conf.
func exampleConf(t *testing.T) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	b, err := os.ReadFile(filepath.Join(filepath.Dir(file), "..", "..", "examples", "container", "supervisord.conf"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// The shipped example loads as it is, with the keys it is there to show.
func TestContainerExampleLoads(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "supervisord.conf")
	if err := os.WriteFile(path, []byte(exampleConf(t)), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatalf("examples/container/supervisord.conf: %v", err)
	}
	sd := cfg.Supervisord
	if !sd.ContainerLogs || !sd.Nodaemon || sd.ExitWhenDone {
		t.Errorf("container_logs=%v nodaemon=%v exit_when_done=%v", sd.ContainerLogs, sd.Nodaemon, sd.ExitWhenDone)
	}
	if cfg.InetHTTP == nil || cfg.InetHTTP.Host != "" || cfg.InetHTTP.Port != 9001 {
		t.Errorf("inet_http_server %+v, want every interface, port 9001 (probes come to the pod IP)", cfg.InetHTTP)
	}
	procs := map[string]*config.ProcessConfig{}
	for _, g := range cfg.Groups {
		for _, p := range g.Processes {
			procs[p.Name] = p
		}
	}
	web, worker := procs["web"], procs["worker"]
	if web == nil || worker == nil || len(procs) != 2 {
		t.Fatalf("programs %v, want web and worker", procs)
	}
	if !web.Critical || web.Healthcheck == nil || web.Healthcheck.Kind != config.HealthHTTP {
		t.Errorf("web: critical=%v healthcheck=%+v", web.Critical, web.Healthcheck)
	}
	if len(worker.DependsOn) != 1 || worker.DependsOn[0].String() != "web" {
		t.Errorf("worker depends_on %v, want web", worker.DependsOn)
	}
	for _, p := range procs {
		if p.Stdout.Logfile != config.LogNone || p.Stderr.Logfile != config.LogNone {
			t.Errorf("%s logs to %q/%q, want no files (container_logs)", p.Name, p.Stdout.Logfile, p.Stderr.Logfile)
		}
	}
}

// containerRun is the example config running as PID 1 of a new PID
// namespace, as the Dockerfile's entrypoint does in a container.
type containerRun struct {
	cmd            *exec.Cmd
	dir, sock      string
	inet           string // host:port of the inet_http_server
	stdout, stderr *testbin.SyncBuffer
	exited         chan struct{}
	err            error
	init           int // the daemon's pid as seen from here
}

// startContainerExample rewrites the example for this machine (paths in a
// temp dir, 127.0.0.1 and free ports, python3's HTTP server when busybox is
// missing, shorter intervals) and starts it the way the Dockerfile does.
func startContainerExample(t *testing.T) *containerRun {
	t.Helper()
	unshare := needPIDNamespace(t)
	dir := t.TempDir()
	www := filepath.Join(dir, "www")
	os.Mkdir(www, 0o755)
	os.WriteFile(filepath.Join(www, "index.html"), []byte("ok\n"), 0o644)
	webPort, inetPort := testbin.FreePort(t), testbin.FreePort(t)
	web := fmt.Sprintf("busybox httpd -f -v -p 127.0.0.1:%d -h %s", webPort, www)
	if _, err := exec.LookPath("busybox"); err != nil {
		py, err := exec.LookPath("python3")
		if err != nil {
			t.Skip("neither busybox nor python3 is installed for the example's web server")
		}
		web = fmt.Sprintf("%s -u -m http.server --bind 127.0.0.1 --directory %s %d", py, www, webPort)
	}
	r := &containerRun{dir: dir, sock: filepath.Join(dir, "s.sock"), inet: fmt.Sprintf("127.0.0.1:%d", inetPort),
		stdout: &testbin.SyncBuffer{}, stderr: &testbin.SyncBuffer{}, exited: make(chan struct{})}
	conf := exampleConf(t)
	for _, rw := range [][2]string{
		{"logfile=/dev/null", "logfile=" + filepath.Join(dir, "supervisord.log")},
		{"pidfile=/tmp/supervisord.pid", "pidfile=" + filepath.Join(dir, "supervisord.pid")},
		{"file=/tmp/supervisor.sock", "file=" + r.sock},
		{"serverurl=unix:///tmp/supervisor.sock", "serverurl=unix://" + r.sock},
		{"port=*:9001", "port=" + r.inet},
		{"command=busybox httpd -f -v -p 8080 -h /srv/www", "command=" + web},
		{"healthcheck=http://127.0.0.1:8080/", fmt.Sprintf("healthcheck=http://127.0.0.1:%d/", webPort)},
		{"healthcheck_interval=5", "healthcheck_interval=0.5"},
		{"sleep 5", "sleep 0.2"},
	} {
		if !strings.Contains(conf, rw[0]) {
			t.Fatalf("examples/container/supervisord.conf no longer has %q", rw[0])
		}
		conf = strings.Replace(conf, rw[0], rw[1], 1)
	}
	path := filepath.Join(dir, "supervisord.conf")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	// The Dockerfile's ENTRYPOINT: no -n, the config says nodaemon=true.
	r.cmd = exec.Command(unshare, "--pid", "--fork", "--mount-proc", testbin.Path(t, "supervisord"), "-c", path)
	r.cmd.Dir, r.cmd.Stdout, r.cmd.Stderr = dir, r.stdout, r.stderr
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { r.err = r.cmd.Wait(); close(r.exited) }()
	t.Cleanup(func() {
		if r.init != 0 {
			syscall.Kill(r.init, syscall.SIGKILL) // takes the whole namespace
		}
		r.cmd.Process.Kill()
		<-r.exited
	})
	waitFor(t, 10*time.Second, "supervisord in the namespace", func() bool {
		for _, p := range testbin.Descendants(r.cmd.Process.Pid) {
			if p.PPid == r.cmd.Process.Pid {
				r.init = p.Pid
				return true
			}
		}
		return false
	})
	return r
}

func (r *containerRun) log() string {
	b, _ := os.ReadFile(filepath.Join(r.dir, "supervisord.log"))
	return string(b)
}

func (r *containerRun) String() string {
	return fmt.Sprintf("activity log:\n%s\nstdout:\n%s\nstderr:\n%s", r.log(), r.stdout, r.stderr)
}

// wait waits for the namespace's end and returns supervisord's exit code.
func (r *containerRun) wait(t *testing.T, timeout time.Duration) int {
	t.Helper()
	select {
	case <-r.exited:
	case <-time.After(timeout):
		t.Fatalf("supervisord did not exit within %v\n%s", timeout, r)
	}
	var ee *exec.ExitError
	if r.err != nil && !errors.As(r.err, &ee) {
		t.Fatalf("unshare: %v", r.err)
	}
	return r.cmd.ProcessState.ExitCode()
}

func (r *containerRun) call(t *testing.T, method string, params ...any) (any, error) {
	t.Helper()
	c, err := xmlrpc.NewClient("unix://"+r.sock, "", "")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return c.Call(ctx, method, params...)
}

func (r *containerRun) state(t *testing.T, name string) string {
	v, err := r.call(t, "supervisor.getProcessInfo", name)
	if err != nil {
		return ""
	}
	s, _ := v.(map[string]any)["statename"].(string)
	return s
}

// get fetches a path of the inet_http_server: status and body.
func (r *containerRun) get(path string) (int, string) {
	resp, err := http.Get("http://" + r.inet + path)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// The example as a container runs it: both programs' lines prefixed on
// the container's output, worker started after web is healthy, probes
// answering, and `docker stop`'s SIGTERM stopping worker, then web, with
// exit status 0 and nothing left in the namespace.
func TestContainerExampleAsPID1(t *testing.T) {
	t.Parallel()
	r := startContainerExample(t)
	waitFor(t, 20*time.Second, "worker RUNNING", func() bool { return r.state(t, "worker") == "RUNNING" })
	waitFor(t, 10*time.Second, "prefixed lines of both programs", func() bool {
		out, errs := r.stdout.String(), r.stderr.String()
		return strings.Contains(out, "\nworker | job 2 done\n") &&
			(strings.Contains(out, "\nweb | ") || strings.Contains(errs, "web | "))
	})
	if !regexp.MustCompile(`(?m)^web \| .*GET / `).MatchString(r.stderr.String() + r.stdout.String()) {
		t.Errorf("the web server's request log (health checks) is not on the console:\n%s", r)
	}
	if !regexp.MustCompile(`(?m)^\S+ \S+ INFO supervisord started with pid 1$`).MatchString(r.stdout.String()) {
		t.Errorf("no activity log on stdout saying supervisord is PID 1:\n%s", r)
	}
	// The worker waited for web to be healthy (depends_on).
	log := r.log()
	if w, h := strings.Index(log, "spawned: 'worker'"), strings.Index(log, "spawned: 'web'"); w < 0 || h < 0 || w < h {
		t.Errorf("worker spawned before web:\n%s", log)
	}
	// The probes of pod.yaml.
	if code, body := r.get("/healthz"); code != 200 || body != "ok\n" {
		t.Errorf("/healthz: %d %q, want 200 \"ok\\n\"", code, body)
	}
	if code, body := r.get("/readyz"); code != 200 || body != "ready\n" {
		t.Errorf("/readyz: %d %q, want 200 \"ready\\n\"", code, body)
	}

	if err := syscall.Kill(r.init, syscall.SIGTERM); err != nil { // docker stop
		t.Fatal(err)
	}
	if code := r.wait(t, 30*time.Second); code != 0 {
		t.Errorf("supervisord exited %d after SIGTERM, want 0\n%s", code, r)
	}
	log = r.log()
	// The stops after the SIGTERM: on a loaded machine web may have been
	// restarted by its health check (a stop too) before worker started.
	shutdown := log[max(0, strings.Index(log, "received SIGTERM indicating exit request")):]
	w := regexp.MustCompile(`(?m)^\S+ \S+ [A-Z]+ stopped: worker \(`).FindStringIndex(shutdown)
	h := regexp.MustCompile(`(?m)^\S+ \S+ [A-Z]+ stopped: web \(`).FindStringIndex(shutdown)
	if w == nil || h == nil || w[0] > h[0] {
		t.Errorf("want worker stopped, then web:\n%s", log)
	}
	if left := testbin.Descendants(r.cmd.Process.Pid); len(left) != 0 {
		t.Errorf("processes left after supervisord exited: %+v", left)
	}
}

// critical=true: the web server dying (killed, not restarted) ends the
// container with its status, after the worker is stopped.
func TestContainerExampleCriticalExit(t *testing.T) {
	t.Parallel()
	r := startContainerExample(t)
	waitFor(t, 20*time.Second, "worker RUNNING", func() bool { return r.state(t, "worker") == "RUNNING" })
	if _, err := r.call(t, "supervisor.signalProcess", "web", "KILL"); err != nil {
		t.Fatalf("signalProcess web KILL: %v", err)
	}
	if code := r.wait(t, 30*time.Second); code != 128+int(syscall.SIGKILL) {
		t.Errorf("supervisord exited %d after its critical program was killed, want %d\n%s", code, 128+int(syscall.SIGKILL), r)
	}
	log := r.log()
	if !strings.Contains(log, "CRIT critical process web exited and will not be restarted: shutting down with exit status 137") {
		t.Errorf("no CRIT line about web:\n%s", log)
	}
	if !regexp.MustCompile(`(?m)^\S+ \S+ [A-Z]+ stopped: worker \(`).MatchString(log) {
		t.Errorf("worker not stopped:\n%s", log)
	}
	if left := testbin.Descendants(r.cmd.Process.Pid); len(left) != 0 {
		t.Errorf("processes left after supervisord exited: %+v", left)
	}
}
