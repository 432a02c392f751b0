package bench

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"sort"
	"strconv"
	"time"

	"super/core/xmlrpc"
)

// rawClient sends one prepared XML-RPC request over a kept-alive
// connection and reads the whole answer without decoding it, so latency
// figures are the server's, not our XML decoder's.
type rawClient struct {
	network, addr string
	conn          net.Conn
	br            *bufio.Reader
	reqs          map[string][]byte
	body          bytes.Buffer
}

func newRawClient(network, addr string) *rawClient {
	return &rawClient{network: network, addr: addr, reqs: map[string][]byte{}}
}

func (c *rawClient) request(method string) []byte {
	if r, ok := c.reqs[method]; ok {
		return r
	}
	var body bytes.Buffer
	xmlrpc.EncodeCall(&body, method, nil)
	host := "localhost"
	if c.network == "tcp" {
		host = c.addr
	}
	r := fmt.Appendf(nil, "POST /RPC2 HTTP/1.1\r\nHost: %s\r\nUser-Agent: super-bench\r\nContent-Type: text/xml\r\nContent-Length: %d\r\n\r\n", host, body.Len())
	r = append(r, body.Bytes()...)
	c.reqs[method] = r
	return r
}

// call performs method and returns the response body size. A server that
// closes the connection after an answer is redialled on the next call,
// and the dial counts in that call's latency.
func (c *rawClient) call(ctx context.Context, method string) (int, error) {
	req := c.request(method)
	for attempt := 0; ; attempt++ {
		n, retry, err := c.try(ctx, req)
		if err == nil || !retry || attempt > 0 {
			return n, err
		}
	}
}

func (c *rawClient) try(ctx context.Context, req []byte) (n int, retry bool, err error) {
	fresh := false
	if c.conn == nil {
		var d net.Dialer
		conn, err := d.DialContext(ctx, c.network, c.addr)
		if err != nil {
			return 0, false, err
		}
		c.conn, c.br, fresh = conn, bufio.NewReaderSize(conn, 64<<10), true
	}
	// A hung server costs one minute at most, and an interrupted run
	// does not wait for the answer.
	c.conn.SetDeadline(time.Now().Add(time.Minute))
	conn := c.conn
	defer context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })()
	if _, err := c.conn.Write(req); err != nil {
		c.close()
		return 0, !fresh, err
	}
	resp, err := http.ReadResponse(c.br, nil)
	if err != nil {
		c.close()
		return 0, !fresh, err
	}
	c.body.Reset()
	if resp.ContentLength > 0 {
		// Read into room made once, not grown while the server waits.
		c.body.Grow(int(min(resp.ContentLength, 64<<20)))
	}
	_, err = io.Copy(&c.body, resp.Body)
	resp.Body.Close()
	if err != nil {
		c.close()
		return 0, false, err
	}
	if resp.Close {
		c.close()
	}
	if resp.StatusCode != 200 {
		return 0, false, &answerError{fmt.Sprintf("HTTP %s", resp.Status)}
	}
	if isFault(c.body.Bytes()) {
		return 0, false, &answerError{fmt.Sprintf("fault: %.200s", c.body.Bytes())}
	}
	return c.body.Len(), false, nil
}

// answerError is an answer that is not a result: an HTTP error status or
// an XML-RPC fault. Asking again will not change it.
type answerError struct{ msg string }

func (e *answerError) Error() string { return e.msg }

// isFault tells a fault answer by its opening: <fault> is the first
// element inside <methodResponse>, and a successful answer cannot hold the
// markup anywhere (text escapes its "<"). Searching the whole body instead
// cost 0.12 ms per 110 KB getAllProcessInfo answer, a quarter of the
// figure it was part of.
func isFault(body []byte) bool {
	return bytes.Contains(body[:min(len(body), 256)], []byte("<fault>"))
}

func (c *rawClient) close() {
	if c.conn != nil {
		c.conn.Close()
		c.conn = nil
	}
}

// procInfo is what the harness needs from getAllProcessInfo.
type procInfo struct {
	name  string
	state int
}

const (
	stateStopped = 0
	stateRunning = 20
	stateExited  = 100
)

// procInfos reads the name and state of each process from a
// getAllProcessInfo answer body.
func procInfos(body []byte) ([]procInfo, error) {
	v, err := xmlrpc.DecodeResponse(bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	list, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("getAllProcessInfo: unexpected %T", v)
	}
	out := make([]procInfo, 0, len(list))
	for _, e := range list {
		m, ok := e.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("getAllProcessInfo: unexpected element %T", e)
		}
		name, _ := m["name"].(string)
		state, _ := m["state"].(int)
		out = append(out, procInfo{name, state})
	}
	return out, nil
}

// countState counts the processes in state.
func countState(ps []procInfo, state int) int {
	n := 0
	for _, p := range ps {
		if p.state == state {
			n++
		}
	}
	return n
}

// latencies holds per-call durations in seconds.
type latencies []float64

func (l latencies) percentile(p float64) float64 {
	if len(l) == 0 {
		return 0
	}
	s := append([]float64(nil), l...)
	sort.Float64s(s)
	i := int(p/100*float64(len(s))+0.5) - 1
	i = max(0, min(i, len(s)-1))
	return s[i]
}

func median(v []float64) float64 {
	return latencies(v).percentile(50)
}

// seqLatency calls method back to back until both minCalls and dur are
// reached (or maxCalls), after a short warm-up, and returns each call's
// duration.
func seqLatency(ctx context.Context, network, addr, method string, minCalls, maxCalls int, dur time.Duration) (latencies, error) {
	c := newRawClient(network, addr)
	defer c.close()
	for range 3 {
		if _, err := c.call(ctx, method); err != nil {
			return nil, err
		}
	}
	var out latencies
	start := time.Now()
	// At least minCalls, but never past 4×dur once 3 calls are in: a slow
	// server gets fewer samples instead of eating the run's budget.
	for len(out) < maxCalls && (len(out) < minCalls || time.Since(start) < dur) &&
		(len(out) < 3 || time.Since(start) < 4*dur) {
		if err := ctx.Err(); err != nil {
			return out, err
		}
		t := time.Now()
		if _, err := c.call(ctx, method); err != nil {
			return out, err
		}
		out = append(out, time.Since(t).Seconds())
	}
	return out, nil
}

// throughput runs clients concurrent callers of method for dur and returns
// completed calls per second.
func throughput(ctx context.Context, network, addr, method string, clients int, dur time.Duration) (float64, error) {
	_, rps, err := concLatency(ctx, network, addr, method, clients, dur)
	return rps, err
}

// concLatency runs clients concurrent callers of method, each over its own
// kept-alive connection, for dur (at least one call each), and returns
// every call's duration and the completed calls per second.
func concLatency(ctx context.Context, network, addr, method string, clients int, dur time.Duration) (latencies, float64, error) {
	type res struct {
		lat latencies
		err error
	}
	ch := make(chan res, clients)
	start := time.Now()
	stop := start.Add(dur)
	for range clients {
		go func() {
			c := newRawClient(network, addr)
			defer c.close()
			var lat latencies
			for (len(lat) == 0 || time.Now().Before(stop)) && ctx.Err() == nil {
				t := time.Now()
				if _, err := c.call(ctx, method); err != nil {
					ch <- res{lat, err}
					return
				}
				lat = append(lat, time.Since(t).Seconds())
			}
			ch <- res{lat, nil}
		}()
	}
	var all latencies
	var firstErr error
	for range clients {
		r := <-ch
		all = append(all, r.lat...)
		if r.err != nil && firstErr == nil {
			firstErr = r.err
		}
	}
	el := time.Since(start).Seconds()
	if firstErr != nil {
		return nil, 0, firstErr
	}
	if err := ctx.Err(); err != nil {
		return nil, 0, err
	}
	return all, float64(len(all)) / el, nil
}

func itoa(n int) string { return strconv.Itoa(n) }
