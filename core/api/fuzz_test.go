package api

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// FuzzRequestBody feeds arbitrary bytes to the JSON body reader of every
// request shape: it never panics, refuses what is not one object of known
// members, and what it accepts survives a round trip unchanged.
func FuzzRequestBody(f *testing.F) {
	for _, s := range []string{`{}`, `{"wait":false}`, `{"signal":"HUP"}`, `{"signal":9}`, `{"signal":1e400}`,
		`{"groups":["a","all"]}`, `{"data":"x\u0000y"}`, `[]`, `null`, `{"wait":1}`, `{} {}`, `{"wait":true}garbage`,
		"{\"data\":\"\xff\"}", `{"signal":{"a":1}}`, `{"Wait":true}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		shapes := []func() any{
			func() any { return &actionBody{} },
			func() any { return &updateBody{} },
			func() any { return &stdinBody{} },
			func() any { return &struct{}{} },
		}
		for _, mk := range shapes {
			v := mk()
			if err := decodeBody(data, v); err != nil {
				if e := toAPIError(err); e.status != 400 || e.name != "INCORRECT_PARAMETERS" {
					t.Fatalf("%s: refusal %d %s", data, e.status, e.name)
				}
				continue
			}
			if trimmed := strings.TrimSpace(string(data)); !strings.HasPrefix(trimmed, "{") {
				t.Fatalf("accepted a body that is not an object: %q", data)
			}
			if ab, ok := v.(*actionBody); ok && ab.Signal != nil {
				ab.signal() // must not panic, whatever the value
			}
			again, err := json.Marshal(v)
			if err != nil {
				t.Fatalf("%q decoded into %#v, which does not encode: %v", data, v, err)
			}
			w := mk()
			if err := decodeBody(again, w); err != nil {
				t.Fatalf("%q → %s is refused: %v", data, again, err)
			}
			if !reflect.DeepEqual(v, w) {
				t.Fatalf("%q → %#v → %s → %#v", data, v, again, w)
			}
		}
	})
}

// FuzzRoute feeds arbitrary paths to the router: it never panics, and a
// path it matches has every parameter non-empty.
func FuzzRoute(f *testing.F) {
	for _, s := range []string{"/api/v1/", "/api/v1/processes/grp%3Aa/start", "/api/v1/processes//start",
		"/api/v1/processes/%zz", "/api/v1/groups/g/signal", "/api/v1/processes/a/logs/stdout/download", "/api/v2/x"} {
		f.Add(s, "POST")
	}
	h := &Handler{}
	h.routes = h.table()
	f.Fuzz(func(t *testing.T, path, method string) {
		segs, ok := splitPath(path)
		if !ok {
			return
		}
		rt, params, _ := h.match(method, segs)
		if rt == nil {
			return
		}
		for k, v := range params {
			if v == "" {
				t.Fatalf("%s %s: empty %s", method, path, k)
			}
		}
	})
}
