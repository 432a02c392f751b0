package server

import (
	"net"
	"net/http"
	"net/url"
	"strings"

	"super/core/xmlrpc"
)

// CrossSite reports whether a browser marked r as sent on behalf of
// another site: a form or a link on a page elsewhere that a logged-in
// browser follows, which would act with the user's credentials (4.2's
// index.html?action=stop… are plain GETs, and /RPC2 takes a text/plain
// form POST). Such requests are refused with 403 on every URL that changes
// state. Scripts, curl and supervisorctl send neither Sec-Fetch-Site nor
// Origin, so they are never refused.
//
// The rules: Sec-Fetch-Site (sent by current browsers) "cross-site" or
// "same-site" (another port or subdomain is another application) is
// refused, "same-origin" and "none" (typed, bookmarked) are allowed; without
// it, an Origin whose host and port differ from the request's Host is
// refused ("null", from sandboxed frames and data: URLs, included).
func CrossSite(r *http.Request) bool {
	switch r.Header.Get("Sec-Fetch-Site") {
	case "cross-site", "same-site":
		return true
	case "same-origin", "none":
		return false
	}
	origin := r.Header.Get("Origin")
	if origin == "" {
		return false
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return true
	}
	return !sameHost(u, r.Host)
}

// sameHost compares an origin's host and port with a Host header, the
// scheme's default port filled in on both sides.
func sameHost(origin *url.URL, host string) bool {
	defPort := "80"
	if origin.Scheme == "https" {
		defPort = "443"
	}
	oh, op := origin.Hostname(), origin.Port()
	if op == "" {
		op = defPort
	}
	hh, hp, err := net.SplitHostPort(host)
	if err != nil {
		hh, hp = strings.Trim(host, "[]"), defPort
	}
	return strings.EqualFold(oh, hh) && op == hp
}

// refuseCrossSite answers 403 for a cross-site request; it reports whether
// it did.
func refuseCrossSite(w http.ResponseWriter, r *http.Request) bool {
	if !CrossSite(r) {
		return false
	}
	xmlrpc.WriteHTTPError(w, http.StatusForbidden)
	return true
}
