package api

import (
	_ "embed"
	"net/http"
	"strconv"
)

// openapi is the OpenAPI 3.1 description of the API, written by hand and
// checked against the server's answers by a test (openapi_test.go).
//
//go:embed openapi.json
var openapi []byte

func serveOpenAPI(w http.ResponseWriter, _ *request) {
	hdr := w.Header()
	hdr.Set("Content-Type", "application/json")
	hdr.Set("Content-Length", strconv.Itoa(len(openapi)))
	hdr.Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	w.Write(openapi)
}
