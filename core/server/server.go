// Package server runs supervisord's HTTP servers: [unix_http_server] and
// [inet_http_server], each with Supervisor 4.2's basic auth, serving XML-RPC
// at /RPC2 and whatever else (web UI, /logtail/, /mainlogtail) the daemon
// mounts, on one router.
package server

import (
	"bytes"
	"context"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"super/core/config"
	"super/core/xmlrpc"
)

// Route mounts Handler on every path starting with Prefix.
type Route struct {
	Prefix  string
	Handler http.Handler
}

// Options say what to serve where. Zero durations and sizes take the
// defaults below.
type Options struct {
	Unix *config.UnixHTTPServer // nil: no unix socket server
	Inet *config.InetHTTPServer // nil: no TCP server

	// RPC serves every path starting with /RPC2 (Supervisor matches the
	// prefix, not the exact path), typically an *xmlrpc.Registry.
	RPC http.Handler
	// Routes are consulted after /RPC2, in order; the first whose prefix
	// matches serves the request. A request no route matches gets 404.
	Routes []Route

	// Log receives the server's log lines at Supervisor's levels (e.g. the
	// CRIT "running without any HTTP authentication checking").
	Log func(level config.LogLevel, msg string)
	// OnServer, when set, is called as each server is set up, before its
	// authentication warning: 4.2 initializes the RPC interfaces once per
	// server and logs it there.
	OnServer func(section string)
	// Stderr receives what 4.2 writes to stderr before logging is set up
	// ("Unlinking stale socket ..."); nil discards it.
	Stderr io.Writer

	MaxBodyBytes  int64         // largest request body; default xmlrpc.DefaultMaxBodyBytes
	HeaderTimeout time.Duration // time to receive request headers; default 10s
	BodyTimeout   time.Duration // time to receive a request body; default 30s
	IdleTimeout   time.Duration // idle keep-alive connections are closed after it; default 30 min (medusa's)
}

const (
	defaultHeaderTimeout = 10 * time.Second
	defaultBodyTimeout   = 30 * time.Second
	// Interactive supervisorctl keeps one connection open between commands
	// and does not reconnect when it has been closed; medusa closes idle
	// channels after 30 minutes, so do we.
	defaultIdleTimeout = 30 * time.Minute
)

// Server is the running set of listeners.
type Server struct {
	opts      Options
	listeners []*listener
	wg        sync.WaitGroup
	closeOnce sync.Once
	closeErr  error
}

type listener struct {
	section string // "unix_http_server" or "inet_http_server"
	net.Listener
	srv      *http.Server
	sockPath string      // unix only: removed on Close if still ours
	sockInfo os.FileInfo // identity of the socket file we created
}

// Start opens every configured listener and serves on each. If one cannot
// be opened, the ones already open are closed and a *ListenError is
// returned.
func Start(opts Options) (*Server, error) {
	if opts.RPC == nil {
		opts.RPC = http.NotFoundHandler()
	}
	s := &Server{opts: opts}
	// inet first, then unix: 4.2's order, which its log lines follow.
	if c := opts.Inet; c != nil {
		addr := net.JoinHostPort(c.Host, strconv.Itoa(c.Port))
		l, err := net.Listen("tcp", addr)
		if err != nil {
			s.Close()
			return nil, &ListenError{Section: "inet_http_server", Addr: addr, Err: err}
		}
		if c.Username == "" {
			if a, ok := l.Addr().(*net.TCPAddr); ok && !a.IP.IsLoopback() {
				shown := addr // as configured: Go reports 0.0.0.0 as [::]
				if c.Host == "" {
					shown = "*:" + strconv.Itoa(c.Port)
				}
				// 4.2 says nothing more than for a loopback port; a port
				// open to the network without credentials hands control of
				// every process to anyone who can reach it.
				s.log(config.LevelCritical, "Server 'inet_http_server' is listening on %s, which is not a loopback "+
					"address, without a username and password: anyone who can reach this port can start, stop "+
					"and signal every process and read its logs. Set username and password in [inet_http_server] "+
					"or listen on 127.0.0.1", shown)
			}
		}
		s.add("inet_http_server", l, c.Username, c.Password)
	}
	if c := opts.Unix; c != nil {
		l, info, err := listenUnix(c, opts.Stderr)
		if err != nil {
			s.Close()
			return nil, err
		}
		s.add("unix_http_server", l, c.Username, c.Password)
		last := s.listeners[len(s.listeners)-1]
		last.sockPath, last.sockInfo = c.File, info
	}
	for _, l := range s.listeners {
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			l.srv.Serve(l.Listener)
		}()
	}
	return s, nil
}

func (s *Server) log(level config.LogLevel, format string, args ...any) {
	if s.opts.Log != nil {
		s.opts.Log(level, fmt.Sprintf(format, args...))
	}
}

func (s *Server) add(section string, l net.Listener, username, password string) {
	if s.opts.OnServer != nil {
		s.opts.OnServer(section)
	}
	if username == "" {
		s.log(config.LevelCritical, "Server %s running without any HTTP authentication checking", pyRepr(section))
	}
	var h http.Handler = &router{s: s}
	h = &limits{s: s, next: h}
	if username != "" {
		h = &basicAuth{username: username, password: password, next: h}
	}
	headerTimeout := s.opts.HeaderTimeout
	if headerTimeout <= 0 {
		headerTimeout = defaultHeaderTimeout
	}
	idle := s.opts.IdleTimeout
	if idle <= 0 {
		idle = defaultIdleTimeout
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: headerTimeout,
		IdleTimeout:       idle,
		MaxHeaderBytes:    64 << 10,
		// No ReadTimeout/WriteTimeout: startProcess(wait=true) and
		// /logtail streams legitimately take long; the body deadline is
		// set per request in limits.
		ErrorLog: log.New(logWriter{s}, "", 0),
	}
	s.listeners = append(s.listeners, &listener{section: section, Listener: l, srv: srv})
}

// logWriter sends net/http's own complaints (bad requests, handler panics)
// to the activity log.
type logWriter struct{ s *Server }

func (w logWriter) Write(p []byte) (int, error) {
	w.s.log(config.LevelError, "%s", strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// Addrs returns the listening addresses, unix socket first.
func (s *Server) Addrs() []net.Addr {
	var addrs []net.Addr
	for _, l := range s.listeners {
		addrs = append(addrs, l.Addr())
	}
	return addrs
}

// Shutdown stops accepting, lets requests in flight finish until ctx is
// done (then cuts them), and removes the unix socket file if it is still
// the one this server created.
func (s *Server) Shutdown(ctx context.Context) error {
	s.closeOnce.Do(func() {
		var errs []error
		for _, l := range s.listeners {
			l.Listener.Close() // in case Serve never started
			if err := l.srv.Shutdown(ctx); err != nil {
				l.srv.Close()
				if !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
					errs = append(errs, err)
				}
			}
			if l.sockPath != "" {
				if fi, err := os.Lstat(l.sockPath); err == nil && os.SameFile(fi, l.sockInfo) {
					if err := os.Remove(l.sockPath); err != nil {
						errs = append(errs, err)
					}
				}
			}
		}
		s.wg.Wait()
		s.closeErr = errors.Join(errs...)
	})
	return s.closeErr
}

// Close is Shutdown with a grace period of one second: long waits and log
// streams do not hold up the daemon's exit.
func (s *Server) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	return s.Shutdown(ctx)
}

// router dispatches like 4.2's handler list: /RPC2 first, then the routes,
// then 404.
type router struct{ s *Server }

func (rt *router) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	if strings.HasPrefix(p, "/RPC2") {
		// Every call may change state, and a form on another site can
		// POST an XML body as text/plain.
		if refuseCrossSite(w, r) {
			return
		}
		rt.s.opts.RPC.ServeHTTP(w, r)
		return
	}
	for _, route := range rt.s.opts.Routes {
		if strings.HasPrefix(p, route.Prefix) {
			route.Handler.ServeHTTP(w, r)
			return
		}
	}
	xmlrpc.WriteHTTPError(w, http.StatusNotFound)
}

// limits reads the request body under a size limit and a deadline before
// any handler sees it, so a client trickling bytes or sending gigabytes
// costs a bounded time and memory. The deadline is lifted once the body is
// in: net/http would otherwise cancel the request context when it expires,
// ending legitimately long calls.
type limits struct {
	s    *Server
	next http.Handler
}

func (l *limits) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Body != nil && r.Body != http.NoBody {
		max := l.s.opts.MaxBodyBytes
		if max <= 0 {
			max = xmlrpc.DefaultMaxBodyBytes
		}
		// An announced length over the limit is refused at once, not
		// after waiting (up to the body deadline) for bytes that would be
		// thrown away.
		if r.ContentLength > max {
			w.Header().Set("Connection", "close")
			xmlrpc.WriteHTTPError(w, http.StatusRequestEntityTooLarge)
			return
		}
		timeout := l.s.opts.BodyTimeout
		if timeout <= 0 {
			timeout = defaultBodyTimeout
		}
		rc := http.NewResponseController(w)
		rc.SetReadDeadline(time.Now().Add(timeout))
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, max))
		rc.SetReadDeadline(time.Time{})
		if err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				w.Header().Set("Connection", "close")
				xmlrpc.WriteHTTPError(w, http.StatusRequestEntityTooLarge)
				return
			}
			w.Header().Set("Connection", "close")
			xmlrpc.WriteHTTPError(w, http.StatusBadRequest)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
	}
	l.next.ServeHTTP(w, r)
}

// basicAuth is medusa's auth_handler with Supervisor's authorizer: the
// password is compared in clear, or as a hex SHA-1 when the configured one
// starts with {SHA}. It guards every path, unknown ones included, but the
// probes.
type basicAuth struct {
	username, password string
	next               http.Handler
}

// probes are the paths served without credentials: container and load
// balancer health probes carry none, and these answers tell nothing but
// whether the daemon is up and how many of its processes are not ready.
// Everything else, /metrics included, stays behind the auth.
var probes = []string{"/healthz", "/readyz"}

func isProbe(path string) bool {
	for _, p := range probes {
		if path == p {
			return true
		}
	}
	return false
}

func (a *basicAuth) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if isProbe(r.URL.Path) && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
		a.next.ServeHTTP(w, r)
		return
	}
	switch a.check(r.Header.Get("Authorization")) {
	case authOK:
		a.next.ServeHTTP(w, r)
	case authMalformed:
		xmlrpc.WriteHTTPError(w, http.StatusBadRequest)
	default:
		w.Header().Set("Connection", "close")
		w.Header().Set("WWW-Authenticate", `Basic realm="default"`)
		xmlrpc.WriteHTTPError(w, http.StatusUnauthorized)
	}
}

type authResult int

const (
	authDenied authResult = iota
	authOK
	authMalformed
)

func (a *basicAuth) check(header string) authResult {
	scheme, cookie, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "basic") {
		return authDenied
	}
	decoded, err := base64.StdEncoding.DecodeString(strings.TrimSpace(cookie))
	if err != nil {
		return authMalformed
	}
	user, pass, ok := strings.Cut(string(decoded), ":")
	if !ok {
		return authDenied // 4.2 fails with a 500 here; a refusal is what it means
	}
	// Both comparisons always run, in constant time, so timing tells
	// nothing about which part was wrong.
	userOK := subtle.ConstantTimeCompare([]byte(user), []byte(a.username)) == 1
	var passOK bool
	if hash, isSHA := strings.CutPrefix(a.password, "{SHA}"); isSHA {
		sum := sha1.Sum([]byte(pass))
		passOK = subtle.ConstantTimeCompare([]byte(hex.EncodeToString(sum[:])), []byte(hash)) == 1
	} else {
		passOK = subtle.ConstantTimeCompare([]byte(pass), []byte(a.password)) == 1
	}
	if userOK && passOK {
		return authOK
	}
	return authDenied
}

// pyRepr quotes s as Python's repr does for a plain string, for log lines
// that 4.2 writes with %r.
func pyRepr(s string) string {
	if strings.Contains(s, "'") && !strings.Contains(s, `"`) {
		return `"` + s + `"`
	}
	return "'" + strings.ReplaceAll(strings.ReplaceAll(s, `\`, `\\`), "'", `\'`) + "'"
}
