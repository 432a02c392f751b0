package api

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"super/core/testbin"
)

func TestMain(m *testing.M) {
	code := m.Run()
	// Once every test ran: each success openapi.json documents was
	// answered, and checked against the document, by some test.
	if code == 0 && !testing.Short() && flag.Lookup("test.run").Value.String() == "" {
		if missing := openapiCoverage(); len(missing) > 0 {
			fmt.Fprintf(os.Stderr, "openapi.json documents answers no test saw:\n  %s\n", strings.Join(missing, "\n  "))
			code = 1
		}
	}
	testbin.Cleanup()
	os.Exit(code)
}

const (
	apiUser = "admin"
	apiPass = "pw:secret"
)

// apiDaemon is the real supervisord with its TCP server and basic auth.
type apiDaemon struct {
	*testbin.Daemon
	Base string // http://127.0.0.1:PORT
}

// startAPI runs supervisord on BaseConf, an [inet_http_server] with
// credentials and programs.
func startAPI(t *testing.T, programs string) *apiDaemon {
	t.Helper()
	dir := t.TempDir()
	port := testbin.FreePort(t)
	conf := testbin.BaseConf(dir) + fmt.Sprintf("[inet_http_server]\nport=127.0.0.1:%d\nusername=%s\npassword=%s\n\n",
		port, apiUser, apiPass) + programs
	d := testbin.StartConf(t, false, dir, conf)
	ad := &apiDaemon{Daemon: d, Base: fmt.Sprintf("http://127.0.0.1:%d", port)}
	d.WaitInet(t, port, 10*time.Second)
	return ad
}

var client = &http.Client{
	Timeout:       60 * time.Second,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

// reply is one answer: its status, headers and body (decoded when JSON).
type reply struct {
	Status int
	Header http.Header
	Raw    []byte
	JSON   any
}

// field digs into a decoded JSON object: field("error", "name").
func (r reply) field(path ...string) any {
	var v any = r.JSON
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[p]
	}
	return v
}

func (r reply) errName() string {
	s, _ := r.field("error", "name").(string)
	return s
}

// call sends one request with the credentials (and, with a body, the JSON
// content type) and checks the answer against openapi.json.
func (d *apiDaemon) call(t *testing.T, method, path string, body any, hdr ...string) reply {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, d.Base+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth(apiUser, apiPass)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	return do(t, req)
}

func do(t *testing.T, req *http.Request) reply {
	t.Helper()
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	r := reply{Status: resp.StatusCode, Header: resp.Header, Raw: raw}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		if err := json.Unmarshal(raw, &r.JSON); err != nil {
			t.Fatalf("%s %s: answer is not JSON: %v\n%s", req.Method, req.URL, err, raw)
		}
		if resp.Header.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("%s %s: a CORS header was sent", req.Method, req.URL)
		}
	}
	checkAgainstDoc(t, req.Method, req.URL.EscapedPath(), r)
	return r
}

// The OpenAPI document, and which (method, pattern, status) answers the
// tests saw, to check that every documented success was really seen.
var (
	docOnce sync.Once
	doc     map[string]any
	seenMu  sync.Mutex
	seen    = map[string]bool{}
)

func openapiDoc(t *testing.T) map[string]any {
	docOnce.Do(func() {
		if err := json.Unmarshal(openapi, &doc); err != nil {
			panic(err)
		}
	})
	return doc
}

// docPattern finds the documented path pattern for a concrete path, with
// the route table's matcher.
func docPattern(path string) (string, bool) {
	segs, ok := splitPath(path)
	if !ok {
		return "", false
	}
	for _, rt := range (&Handler{}).table() {
		if _, ok := matchSegs(rt.segs, segs); ok {
			return rt.pattern, true
		}
	}
	return "", false
}

// checkAgainstDoc validates a JSON answer with the schema the document
// gives for its path, method and status (or its default response).
func checkAgainstDoc(t *testing.T, method, path string, r reply) {
	t.Helper()
	if !strings.HasPrefix(path, Prefix) || r.Status == http.StatusUnauthorized {
		return
	}
	d := openapiDoc(t)
	pattern, ok := docPattern(path)
	if !ok {
		if r.errName() == "" {
			t.Errorf("%s %s: no route, and the answer is not an error: %s", method, path, r.Raw)
		}
		validate(t, d, map[string]any{"$ref": "#/components/schemas/Error"}, r.JSON, method+" "+path)
		return
	}
	op, _ := dig(d, "paths", pattern, strings.ToLower(method)).(map[string]any)
	if op == nil {
		if r.Status != http.StatusMethodNotAllowed {
			t.Errorf("%s %s: not documented, answered %d", method, path, r.Status)
		}
		validate(t, d, map[string]any{"$ref": "#/components/schemas/Error"}, r.JSON, method+" "+path)
		return
	}
	resp, _ := dig(op, "responses", fmt.Sprint(r.Status)).(map[string]any)
	if resp == nil {
		resp, _ = dig(op, "responses", "default").(map[string]any)
	}
	if resp == nil {
		t.Errorf("%s %s: status %d not documented", method, path, r.Status)
		return
	}
	resp = resolve(d, resp)
	ct := strings.TrimSpace(strings.Split(r.Header.Get("Content-Type"), ";")[0])
	media, _ := dig(resp, "content", ct).(map[string]any)
	if media == nil {
		t.Errorf("%s %s: %d answered %s, which the document does not list", method, path, r.Status, ct)
		return
	}
	if ct == "application/json" {
		validate(t, d, media["schema"], r.JSON, method+" "+path)
	}
	seenMu.Lock()
	seen[method+" "+pattern+" "+fmt.Sprint(r.Status)] = true
	seenMu.Unlock()
}

func dig(v any, path ...string) any {
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[p]
	}
	return v
}

func resolve(d map[string]any, v map[string]any) map[string]any {
	for {
		ref, ok := v["$ref"].(string)
		if !ok {
			return v
		}
		parts := strings.Split(strings.TrimPrefix(ref, "#/"), "/")
		next, _ := dig(d, parts...).(map[string]any)
		if next == nil {
			panic("bad $ref " + ref)
		}
		v = next
	}
}

// validate checks v against a JSON schema: the subset openapi.json uses
// ($ref, type and type lists with null, properties, required,
// additionalProperties false, items, enum, allOf).
func validate(t *testing.T, d map[string]any, schema any, v any, where string) {
	t.Helper()
	for _, e := range schemaErrors(d, schema, v, "$") {
		t.Errorf("%s: %s", where, e)
	}
}

func schemaErrors(d map[string]any, schema any, v any, at string) []string {
	s, _ := schema.(map[string]any)
	if s == nil {
		return nil
	}
	s = resolve(d, s)
	var errs []string
	if all, ok := s["allOf"].([]any); ok {
		// allOf: each part must hold, and additionalProperties of a part
		// only knows its own properties: merge them first.
		merged := map[string]any{"type": "object", "properties": map[string]any{}, "additionalProperties": false}
		var req []any
		for _, part := range all {
			p := resolve(d, part.(map[string]any))
			for k, pv := range p["properties"].(map[string]any) {
				merged["properties"].(map[string]any)[k] = pv
			}
			if r, ok := p["required"].([]any); ok {
				req = append(req, r...)
			}
		}
		merged["required"] = req
		return schemaErrors(d, merged, v, at)
	}
	if tv, ok := s["type"]; ok && !typeOK(tv, v) {
		return []string{fmt.Sprintf("%s: %v is not of type %v", at, v, tv)}
	}
	if enum, ok := s["enum"].([]any); ok {
		found := false
		for _, e := range enum {
			if e == v {
				found = true
			}
		}
		if !found {
			errs = append(errs, fmt.Sprintf("%s: %v is not one of %v", at, v, enum))
		}
	}
	switch x := v.(type) {
	case map[string]any:
		props, _ := s["properties"].(map[string]any)
		for _, r := range asSlice(s["required"]) {
			if _, ok := x[r.(string)]; !ok {
				errs = append(errs, fmt.Sprintf("%s: missing %q", at, r))
			}
		}
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			ps, ok := props[k]
			if !ok {
				if s["additionalProperties"] == false {
					errs = append(errs, fmt.Sprintf("%s: %q is not documented", at, k))
				}
				if ap, ok := s["additionalProperties"].(map[string]any); ok {
					errs = append(errs, schemaErrors(d, ap, x[k], at+"."+k)...)
				}
				continue
			}
			errs = append(errs, schemaErrors(d, ps, x[k], at+"."+k)...)
		}
	case []any:
		for i, e := range x {
			errs = append(errs, schemaErrors(d, s["items"], e, fmt.Sprintf("%s[%d]", at, i))...)
		}
	}
	return errs
}

func asSlice(v any) []any {
	s, _ := v.([]any)
	return s
}

func typeOK(tv any, v any) bool {
	types := []any{tv}
	if l, ok := tv.([]any); ok {
		types = l
	}
	for _, t := range types {
		switch t {
		case "null":
			if v == nil {
				return true
			}
		case "object":
			if _, ok := v.(map[string]any); ok {
				return true
			}
		case "array":
			if _, ok := v.([]any); ok {
				return true
			}
		case "string":
			if _, ok := v.(string); ok {
				return true
			}
		case "boolean":
			if _, ok := v.(bool); ok {
				return true
			}
		case "number":
			if _, ok := v.(float64); ok {
				return true
			}
		case "integer":
			if f, ok := v.(float64); ok && f == math.Trunc(f) {
				return true
			}
		}
	}
	return false
}
