package stress

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"super/core/testbin"
	"super/core/xmlrpc"
)

// 1,000 programs (200 in the quick variant) start, are listed and stop again in bounded time and
// memory.
func TestThousandPrograms(t *testing.T) {
	dir := t.TempDir()
	n := pick(200, 1000)
	var b strings.Builder
	b.WriteString(strings.Replace(testbin.BaseConf(dir), "[supervisord]\n", "[supervisord]\nminfds=8192\n", 1))
	for i := range n {
		fmt.Fprintf(&b, "[program:p%04d]\ncommand=sleep 1000\nstartsecs=0\nstopsignal=KILL\n\n", i)
	}
	t0 := time.Now()
	d := testbin.StartConf(t, false, dir, b.String())
	var s map[string]int
	if err := testbin.Poll(120*time.Second, func() bool { s = states(t, d.URL); return s["RUNNING"] == n }); err != nil {
		t.Fatalf("not all running: %v", s)
	}
	started := time.Since(t0)
	var lat latencies
	for range 5 {
		t1 := time.Now()
		infos := d.Call(t, "supervisor.getAllProcessInfo").([]any)
		lat = append(lat, time.Since(t1))
		if len(infos) != n {
			t.Fatalf("getAllProcessInfo lists %d", len(infos))
		}
	}
	u, _ := readUsage(d.Pid())
	t2 := time.Now()
	d.Call(t, "supervisor.stopAllProcesses")
	stopped := time.Since(t2)
	if s := states(t, d.URL); s["STOPPED"] != n {
		t.Errorf("after stopAllProcesses: %v", s)
	}
	t.Logf("figure: %d programs: all RUNNING %v after exec, getAllProcessInfo %v, daemon RSS %d KiB with %d fds, stopAllProcesses %v",
		n, started.Round(time.Millisecond), lat, u.rssKiB, u.fds, stopped.Round(time.Millisecond))
	if u.rssKiB > 200<<10 {
		t.Errorf("daemon RSS %d KiB with %d programs", u.rssKiB, n)
	}
}

// 100 clients calling at once for a while: every call succeeds and none
// waits long.
func TestConcurrentClients(t *testing.T) {
	t.Parallel()
	d := testbin.Start(t, false, `[program:a]
command=sleep 1000
startsecs=0

[program:b]
command=sh -c 'while :; do echo tick; sleep 0.01; done'
startsecs=0
`)
	d.WaitState(t, "b", "RUNNING", 10*time.Second)
	const clients = 100
	window := pick(3*time.Second, 60*time.Second)
	var mu sync.Mutex
	var lat latencies
	var errs []error
	var wg sync.WaitGroup
	ctx, cancel := context.WithTimeout(context.Background(), window)
	defer cancel()
	methods := [][]any{
		{"supervisor.getState"},
		{"supervisor.getAllProcessInfo"},
		{"supervisor.getProcessInfo", "a"},
		{"supervisor.readProcessStdoutLog", "b", -1000, 0},
		{"system.listMethods"},
	}
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := xmlrpc.NewClient(d.URL, "", "")
			if err != nil {
				panic(err)
			}
			defer c.Close()
			var mine latencies
			for j := i; ctx.Err() == nil; j++ {
				m := methods[j%len(methods)]
				t0 := time.Now()
				cctx, ccancel := context.WithTimeout(context.Background(), 30*time.Second)
				_, err := c.Call(cctx, m[0].(string), m[1:]...)
				ccancel()
				mine = append(mine, time.Since(t0))
				if err != nil {
					mu.Lock()
					errs = append(errs, fmt.Errorf("%s: %w", m[0], err))
					mu.Unlock()
					return
				}
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	u, _ := readUsage(d.Pid())
	t.Logf("figure: %d concurrent clients for %v: %v (%.0f calls/s), %d errors; daemon RSS %d KiB", clients, window, lat,
		float64(len(lat))/window.Seconds(), len(errs), u.rssKiB)
	for _, err := range errs[:min(len(errs), 5)] {
		t.Errorf("call failed: %v", err)
	}
	if lat.max() > 10*time.Second {
		t.Errorf("a call took %v", lat.max())
	}
}

// Ten /logtail followers of a chatty program each receive the log in
// order, without gaps, while RPC keeps answering.
func TestLogtailFollowers(t *testing.T) {
	t.Parallel()
	d := testbin.Start(t, false, `[program:chatty]
command=sh -c 'i=0; while :; do i=$((i+1)); echo "line $i"; done'
startsecs=0
stdout_logfile_maxbytes=0
`)
	d.WaitState(t, "chatty", "RUNNING", 10*time.Second)
	const followers = 10
	window := pick(3*time.Second, 30*time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), window)
	defer cancel()
	type result struct {
		lines int
		err   error
	}
	results := make(chan result, followers)
	for range followers {
		go func() {
			c, _ := xmlrpc.NewClient(d.URL, "", "")
			defer c.Close()
			resp, err := c.Get(ctx, "/logtail/chatty")
			if err != nil {
				results <- result{err: err}
				return
			}
			defer resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				results <- result{err: fmt.Errorf("status %s", resp.Status)}
				return
			}
			br := bufio.NewReader(resp.Body)
			br.ReadString('\n') // the last 1024 bytes may start mid-line
			prev, n := -1, 0
			for {
				// The stream is cut when the window ends: the last line
				// may come without its newline.
				line, err := br.ReadString('\n')
				if err != nil {
					break
				}
				text := strings.TrimSuffix(line, "\n")
				v, err := strconv.Atoi(strings.TrimPrefix(text, "line "))
				if err != nil || !strings.HasPrefix(text, "line ") {
					results <- result{err: fmt.Errorf("bad line %q after line %d", text, prev)}
					return
				}
				if prev >= 0 && v != prev+1 {
					results <- result{err: fmt.Errorf("line %d follows line %d", v, prev)}
					return
				}
				prev = v
				n++
			}
			results <- result{lines: n}
		}()
	}
	var lat latencies
	for ctx.Err() == nil {
		t0 := time.Now()
		d.Call(t, "supervisor.getState")
		lat = append(lat, time.Since(t0))
		time.Sleep(20 * time.Millisecond) // sampling period
	}
	total := 0
	for range followers {
		r := <-results
		if r.err != nil {
			t.Error(r.err)
		}
		if r.lines == 0 && r.err == nil {
			t.Error("a follower received nothing")
		}
		total += r.lines
	}
	t.Logf("figure: %d /logtail followers for %v: %d lines streamed, each checked in order without gaps (%.0f lines/s per follower); getState meanwhile %v",
		followers, window, total, float64(total)/followers/window.Seconds(), lat)
	if lat.max() > 5*time.Second {
		t.Errorf("getState took %v with %d followers", lat.max(), followers)
	}
}

// A client sending its request one byte a second holds one connection;
// everyone else is served as usual, and the server drops it once the
// header deadline passes.
func TestSlowClient(t *testing.T) {
	t.Parallel()
	d := testbin.Start(t, false, "")
	slow := func() net.Conn {
		c, err := net.Dial("unix", d.Sock)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	req := "POST /RPC2 HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/xml\r\nContent-Length: 100\r\n\r\n"
	var conns []net.Conn
	for range 20 {
		conns = append(conns, slow())
	}
	window := pick(3*time.Second, 15*time.Second)
	closedAfter := make(chan time.Duration, len(conns))
	start := time.Now()
	for _, c := range conns {
		go func() {
			for i := 0; i < len(req); i++ {
				if _, err := c.Write([]byte{req[i]}); err != nil {
					closedAfter <- time.Since(start)
					return
				}
				time.Sleep(time.Second) // the slowness under test
			}
			// Headers done: the body trickles in no faster.
			for {
				if _, err := c.Write([]byte{'x'}); err != nil {
					closedAfter <- time.Since(start)
					return
				}
				time.Sleep(time.Second)
			}
		}()
	}
	var lat latencies
	for time.Since(start) < window {
		t0 := time.Now()
		d.Call(t, "supervisor.getState")
		lat = append(lat, time.Since(t0))
		time.Sleep(20 * time.Millisecond) // sampling period
	}
	if lat.max() > time.Second {
		t.Errorf("a slow client stalled others: getState took %v", lat.max())
	}
	if !long() {
		t.Logf("figure: getState with 20 connections sending a byte a second: %v", lat)
		return
	}
	// The header deadline (10s) ends the slow connections.
	select {
	case after := <-closedAfter:
		t.Logf("figure: getState with 20 connections sending a byte a second: %v; the first slow connection closed by the server after %v",
			lat, after.Round(time.Second))
		if after > 20*time.Second {
			t.Errorf("slow connection kept for %v", after)
		}
	case <-time.After(30 * time.Second):
		t.Errorf("a connection sending a byte a second was kept 30s")
	}
}

// Bodies and headers beyond the limits are refused, and the daemon stays
// up.
func TestOversizedRequests(t *testing.T) {
	t.Parallel()
	d := testbin.Start(t, false, "")
	hc := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "unix", d.Sock)
	}}}
	defer hc.CloseIdleConnections()
	// A body just over the limit: a valid call padded with whitespace.
	body := bytes.Repeat([]byte(" "), 9<<20)
	copy(body, "<?xml version='1.0'?><methodCall><methodName>supervisor.getState</methodName></methodCall>")
	resp, err := hc.Post("http://localhost/RPC2", "text/xml", bytes.NewReader(body))
	bigBody := "connection reset"
	if err == nil {
		bigBody = resp.Status
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Errorf("9 MiB body: %s, want 413", resp.Status)
		}
	} // a reset while still sending is a refusal too
	// A body announced far larger than the limit is refused before it is sent.
	c, err := net.Dial("unix", d.Sock)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(c, "POST /RPC2 HTTP/1.1\r\nHost: localhost\r\nContent-Length: %d\r\n\r\n", int64(1)<<40)
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	status, _ := bufio.NewReader(c).ReadString('\n')
	c.Close()
	if !strings.Contains(status, " 413 ") {
		t.Errorf("1 TiB Content-Length: %q, want 413", status)
	}
	hugeLength := strings.TrimSpace(strings.TrimPrefix(status, "HTTP/1.1 "))
	// Headers beyond the limit.
	req, _ := http.NewRequest("GET", "http://localhost/", nil)
	req.Header.Set("X-Big", strings.Repeat("a", 1<<20))
	bigHeader := "connection reset"
	if resp, err := hc.Do(req); err == nil {
		bigHeader = resp.Status
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
			t.Errorf("1 MiB header: %s, want 431", resp.Status)
		}
	}
	u, _ := readUsage(d.Pid())
	st := d.Call(t, "supervisor.getState").(map[string]any)
	if st["statename"] != "RUNNING" {
		t.Errorf("state %v", st)
	}
	t.Logf("figure: oversized requests: 9 MiB body → %s; Content-Length 1 TiB → %s; 1 MiB header → %s; then daemon %v, RSS %d KiB",
		bigBody, hugeLength, bigHeader, st["statename"], u.rssKiB)
}
