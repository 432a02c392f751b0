package xmlrpc

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Client calls a Supervisor over XML-RPC. It keeps its connection open
// between calls, like supervisorctl's SupervisorTransport.
type Client struct {
	serverURL string
	base      string // scheme://host[:port] the requests go to
	username  string
	password  string
	hc        *http.Client
	tr        *http.Transport
}

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
		c.tr.DialContext = func(ctx context.Context, _, _ string) (net.Conn, error) {
			return dialer.DialContext(ctx, "unix", path)
		}
		c.base = "http://localhost"
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
		c.base = "http://" + net.JoinHostPort(u.Hostname(), port)
		c.tr.DialContext = dialer.DialContext
	default:
		return nil, fmt.Errorf("Unknown protocol for serverurl %s", serverURL)
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
	var body bytes.Buffer
	if err := EncodeCall(&body, method, params); err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+"/RPC2", &body)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "text/xml")
	req.Header.Set("Accept", "text/xml")
	resp, err := c.do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		return nil, &HTTPError{URL: c.serverURL + "/RPC2", StatusCode: resp.StatusCode, Status: resp.Status}
	}
	var doc bytes.Buffer
	if n := resp.ContentLength; n > 0 && n < 64<<20 {
		doc.Grow(int(n) + bytes.MinRead)
	}
	if _, err := doc.ReadFrom(resp.Body); err != nil {
		return nil, err
	}
	return decodeResponseBytes(doc.Bytes())
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
	c.tr.CloseIdleConnections()
}
