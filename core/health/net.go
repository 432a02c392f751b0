package health

import (
	"context"
	"io"
	"net"
	"net/http"
	"time"
)

// HTTP probes with a GET: a 2xx or 3xx answer passes. Redirects are not
// followed (a 3xx is the program's own answer) and every probe uses a new
// connection that is closed afterwards, so an idle daemon holds none.
type HTTP struct {
	URL     string
	Timeout time.Duration
	client  *http.Client
}

// NewHTTP returns an HTTP probe of url, each probe bounded by timeout.
func NewHTTP(url string, timeout time.Duration) *HTTP {
	dialer := &net.Dialer{Timeout: timeout}
	return &HTTP{URL: url, Timeout: timeout, client: &http.Client{
		Transport: &http.Transport{
			// No proxy: the program is checked where it runs, whatever
			// HTTP_PROXY says.
			Proxy:             nil,
			DialContext:       dialer.DialContext,
			DisableKeepAlives: true,
			// A health endpoint answering gzip is still healthy; no need
			// to ask for it.
			DisableCompression: true,
		},
		Timeout: timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}}
}

// drainLimit bounds how much of an answer's body is read (so the server
// is not cut off mid-write) before the connection is closed.
const drainLimit = 64 << 10

// Check does one GET.
func (h *HTTP) Check(ctx context.Context) Result {
	ctx, cancel := context.WithTimeout(ctx, h.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, h.URL, nil)
	if err != nil {
		return fail("%v", err)
	}
	req.Header.Set("User-Agent", "super-healthcheck")
	resp, err := h.client.Do(req)
	if err != nil {
		if timedOut(ctx, err) {
			return fail("GET %s: timed out after %s", h.URL, seconds(h.Timeout))
		}
		return fail("%v", err)
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, drainLimit))
	resp.Body.Close()
	if resp.StatusCode >= 200 && resp.StatusCode < 400 {
		return Result{OK: true}
	}
	return fail("GET %s: HTTP %s", h.URL, resp.Status)
}

// TCP probes by connecting to host:port; the connection is closed at once.
type TCP struct {
	Addr    string
	Timeout time.Duration
}

// NewTCP returns a TCP probe of addr ("host:port").
func NewTCP(addr string, timeout time.Duration) *TCP {
	return &TCP{Addr: addr, Timeout: timeout}
}

// Check connects once.
func (p *TCP) Check(ctx context.Context) Result {
	ctx, cancel := context.WithTimeout(ctx, p.Timeout)
	defer cancel()
	d := net.Dialer{}
	c, err := d.DialContext(ctx, "tcp", p.Addr)
	if err != nil {
		if timedOut(ctx, err) {
			return fail("connect to %s: timed out after %s", p.Addr, seconds(p.Timeout))
		}
		return fail("%v", err)
	}
	c.Close()
	return Result{OK: true}
}
