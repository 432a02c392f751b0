package xmlrpc

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Client calls a Supervisor over XML-RPC. It keeps its connection open
// between calls, like supervisorctl's SupervisorTransport.
//
// Call does its own HTTP/1.1 exchange on the calling goroutine: write the
// request in one system call, read the answer with http.ReadResponse. An
// http.Transport hands every request to two goroutines of its own, and in
// a short-lived supervisorctl those hand-offs and their threads cost more
// than the call. Get, used for streams, still goes through net/http.
type Client struct {
	serverURL string
	base      string // scheme://host[:port] the requests go to
	host      string // the Host header
	username  string
	password  string
	auth      string // "Basic …", or "" without credentials
	dial      func(ctx context.Context) (net.Conn, error)
	hc        *http.Client
	tr        *http.Transport

	mu   sync.Mutex
	idle []*clientConn // kept-alive connections, most recent last
}

// clientConn is one kept-alive connection of Call.
type clientConn struct {
	net.Conn
	br *bufio.Reader
}

// maxIdleConns bounds the connections Call keeps open between calls.
const maxIdleConns = 4

// HTTPError is a response other than 200 OK (Python's ProtocolError);
// supervisorctl prints "Server requires authentication" for 401.
type HTTPError struct {
	URL        string
	StatusCode int
	Status     string // e.g. "401 Unauthorized"
}

func (e *HTTPError) Error() string {
	return fmt.Sprintf("<ProtocolError for %s: %s>", e.URL, e.Status)
}

// NewClient returns a client for serverURL, "unix:///path/to.sock" or
// "http://host[:port]" (port 80 when absent; any path is ignored: requests
// always go to /RPC2, as with supervisorctl). Credentials are sent as HTTP
// basic auth when username is not empty.
func NewClient(serverURL, username, password string) (*Client, error) {
	c := &Client{serverURL: serverURL, username: username, password: password}
	dialer := &net.Dialer{Timeout: 30 * time.Second}
	c.tr = &http.Transport{
		MaxIdleConnsPerHost: 4,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}
	switch {
	case strings.HasPrefix(serverURL, "unix://"):
		path := serverURL[len("unix://"):]
		c.dial = func(ctx context.Context) (net.Conn, error) {
			return dialer.DialContext(ctx, "unix", path)
		}
		c.tr.DialContext = func(ctx context.Context, _, _ string) (net.Conn, error) { return c.dial(ctx) }
		c.base, c.host = "http://localhost", "localhost"
	case strings.HasPrefix(serverURL, "http://"):
		u, err := url.Parse(serverURL)
		if err != nil {
			return nil, fmt.Errorf("xmlrpc: bad serverurl %s: %w", serverURL, err)
		}
		port := u.Port()
		if port == "" {
			port = "80"
		}
		if _, err := strconv.ParseUint(port, 10, 16); err != nil {
			return nil, fmt.Errorf("xmlrpc: bad port in serverurl %s", serverURL)
		}
		c.host = net.JoinHostPort(u.Hostname(), port)
		c.base = "http://" + c.host
		c.tr.DialContext = dialer.DialContext
		c.dial = func(ctx context.Context) (net.Conn, error) { return dialer.DialContext(ctx, "tcp", c.host) }
	default:
		return nil, fmt.Errorf("Unknown protocol for serverurl %s", serverURL)
	}
	if username != "" {
		c.auth = "Basic " + base64.StdEncoding.EncodeToString([]byte(username+":"+password))
	}
	c.hc = &http.Client{
		Transport: c.tr,
		// Supervisor never redirects; following one would resend the
		// credentials somewhere else.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return c, nil
}

// ServerURL returns the URL the client was made for.
func (c *Client) ServerURL() string { return c.serverURL }

// Call calls method with params and returns its result. A fault is
// returned as *Fault, a non-200 answer as *HTTPError; connection errors are
// returned as they come (errors.Is(err, syscall.ECONNREFUSED) etc. work).
func (c *Client) Call(ctx context.Context, method string, params ...Value) (Value, error) {
	return c.call(ctx, nil, method, params)
}

// CallKeep is Call for a caller that reads only some members of the
// structs in the answer: members keep does not name are dropped from every
// struct, at any depth (a fault answer is returned whole). They are still
// read and checked, so an answer is refused exactly when Call refuses it;
// not building them is what makes it faster: supervisorctl status needs 6
// of getAllProcessInfo's 14 members, and building the others was three
// quarters of its decoding allocations and a quarter of its time.
func (c *Client) CallKeep(ctx context.Context, keep []string, method string, params ...Value) (Value, error) {
	if keep == nil {
		keep = []string{}
	}
	return c.call(ctx, keep, method, params)
}

func (c *Client) call(ctx context.Context, keep []string, method string, params []Value) (Value, error) {
	// The request, headers and body, is built in one buffer and sent in one
	// write; the headers are what net/http would send for it.
	var req bytes.Buffer
	req.Grow(512)
	req.WriteString("POST /RPC2 HTTP/1.1\r\nHost: ")
	req.WriteString(c.host)
	req.WriteString("\r\nUser-Agent: super-xmlrpc\r\nContent-Length: ")
	lenAt := req.Len()
	req.WriteString("0000000000\r\nAccept: text/xml\r\n")
	if c.auth != "" {
		req.WriteString("Authorization: ")
		req.WriteString(c.auth)
		req.WriteString("\r\n")
	}
	req.WriteString("Content-Type: text/xml\r\n\r\n")
	bodyAt := req.Len()
	if err := EncodeCall(&req, method, params); err != nil {
		return nil, err
	}
	// Fill in the length, then drop the zero padding in front of it.
	msg := req.Bytes()
	n := strconv.Itoa(len(msg) - bodyAt)
	copy(msg[lenAt+10-len(n):], n)
	msg = append(msg[:lenAt], msg[lenAt+10-len(n):]...)

	resp, body, err := c.roundTrip(ctx, msg)
	if err != nil {
		if ctx.Err() != nil {
			err = ctx.Err()
		}
		// As net/http's client words it, so messages stay the same.
		return nil, &url.Error{Op: "Post", URL: c.base + "/RPC2", Err: err}
	}
	if resp.StatusCode != http.StatusOK {
		return nil, &HTTPError{URL: c.serverURL + "/RPC2", StatusCode: resp.StatusCode, Status: resp.Status}
	}
	return decodeResponseBytes(body, keep)
}

// roundTrip sends msg on an idle connection or a new one and reads the
// whole answer. A kept-alive connection the server has closed in the
// meantime (EOF before the first byte of an answer) is replaced once.
func (c *Client) roundTrip(ctx context.Context, msg []byte) (*http.Response, []byte, error) {
	for attempt := 0; ; attempt++ {
		cc, reused := c.takeIdle()
		if cc == nil {
			conn, err := c.dial(ctx)
			if err != nil {
				return nil, nil, err
			}
			cc = &clientConn{Conn: conn, br: bufio.NewReaderSize(conn, 16<<10)}
		}
		resp, body, err := c.exchange(ctx, cc, msg)
		if err == nil {
			if resp.Close {
				cc.Close()
			} else {
				c.putIdle(cc)
			}
			return resp, body, nil
		}
		cc.Close()
		if !reused || attempt > 0 || ctx.Err() != nil || !staleConn(err) {
			return nil, nil, err
		}
	}
}

// staleConn tells the errors of a connection the server closed while it
// sat idle.
func staleConn(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

func (c *Client) exchange(ctx context.Context, cc *clientConn, msg []byte) (*http.Response, []byte, error) {
	if ctx.Done() != nil {
		stop := context.AfterFunc(ctx, func() { cc.SetDeadline(time.Unix(1, 0)) })
		defer stop()
	}
	if _, err := cc.Write(msg); err != nil {
		return nil, nil, err
	}
	resp, err := http.ReadResponse(cc.br, nil)
	if err != nil {
		return nil, nil, err
	}
	var body bytes.Buffer
	if resp.StatusCode != http.StatusOK {
		_, err = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		resp.Close = true // whatever is left of a large error page stays unread
	} else {
		if n := resp.ContentLength; n > 0 && n < 64<<20 {
			body.Grow(int(n) + bytes.MinRead)
		}
		_, err = body.ReadFrom(resp.Body)
	}
	resp.Body.Close()
	if err != nil {
		return nil, nil, err
	}
	return resp, body.Bytes(), nil
}

func (c *Client) takeIdle() (*clientConn, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if n := len(c.idle); n > 0 {
		cc := c.idle[n-1]
		c.idle = c.idle[:n-1]
		return cc, true
	}
	return nil, false
}

func (c *Client) putIdle(cc *clientConn) {
	cc.SetDeadline(time.Time{})
	c.mu.Lock()
	if len(c.idle) < maxIdleConns {
		c.idle = append(c.idle, cc)
		cc = nil
	}
	c.mu.Unlock()
	if cc != nil {
		cc.Close()
	}
}

// Get sends an authenticated GET for path (e.g. "/logtail/foo/stdout") to
// the same server. The caller reads and closes the body; any status is
// returned as is.
func (c *Client) Get(ctx context.Context, path string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+path, nil)
	if err != nil {
		return nil, err
	}
	return c.do(req)
}

func (c *Client) do(req *http.Request) (*http.Response, error) {
	req.Header.Set("User-Agent", "super-xmlrpc")
	if c.username != "" {
		req.SetBasicAuth(c.username, c.password)
	}
	return c.hc.Do(req)
}

// Close closes idle connections.
func (c *Client) Close() {
	c.mu.Lock()
	idle := c.idle
	c.idle = nil
	c.mu.Unlock()
	for _, cc := range idle {
		cc.Close()
	}
	c.tr.CloseIdleConnections()
}
