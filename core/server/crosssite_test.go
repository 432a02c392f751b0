package server

import (
	"net/http/httptest"
	"testing"
)

func TestCrossSite(t *testing.T) {
	cases := []struct {
		host  string
		hdr   map[string]string
		cross bool
	}{
		{"127.0.0.1:9001", nil, false}, // curl, scripts, supervisorctl
		{"127.0.0.1:9001", map[string]string{"Sec-Fetch-Site": "same-origin"}, false},
		{"127.0.0.1:9001", map[string]string{"Sec-Fetch-Site": "none"}, false}, // typed, bookmarked
		{"127.0.0.1:9001", map[string]string{"Sec-Fetch-Site": "cross-site"}, true},
		{"127.0.0.1:9001", map[string]string{"Sec-Fetch-Site": "same-site"}, true}, // another port of localhost
		{"127.0.0.1:9001", map[string]string{"Origin": "http://127.0.0.1:9001"}, false},
		{"127.0.0.1:9001", map[string]string{"Origin": "http://127.0.0.1:9002"}, true},
		{"127.0.0.1:9001", map[string]string{"Origin": "http://evil.example"}, true},
		{"127.0.0.1:9001", map[string]string{"Origin": "null"}, true},
		{"127.0.0.1:9001", map[string]string{"Origin": "::"}, true},
		{"example.com", map[string]string{"Origin": "http://example.com"}, false},
		{"example.com:80", map[string]string{"Origin": "http://EXAMPLE.com"}, false},
		// Behind a proxy that terminates TLS the Host has no port: the
		// origin's scheme gives it.
		{"example.com", map[string]string{"Origin": "https://example.com"}, false},
		{"example.com:9001", map[string]string{"Origin": "https://example.com"}, true},
		{"[::1]:9001", map[string]string{"Origin": "http://[::1]:9001"}, false},
		// A browser vouching for the page itself wins over an Origin a
		// reverse proxy's Host no longer matches.
		{"10.0.0.5:9001", map[string]string{"Origin": "https://sup.example", "Sec-Fetch-Site": "same-origin"}, false},
	}
	for _, c := range cases {
		r := httptest.NewRequest("POST", "/RPC2", nil)
		r.Host = c.host
		for k, v := range c.hdr {
			r.Header.Set(k, v)
		}
		if got := CrossSite(r); got != c.cross {
			t.Errorf("Host %s, %v: cross-site %v, want %v", c.host, c.hdr, got, c.cross)
		}
	}
}
