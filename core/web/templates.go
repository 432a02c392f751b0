package web

import (
	"embed"
	"html/template"
	"sync"
)

//go:embed ui/status.html ui/tail.html ui/style.css ui/app.js
var uiFiles embed.FS

// The style sheet and the script are inlined: every page is one response,
// works offline and behind any path prefix.
//
// They are parsed on first use, not at package init: every applet of the
// one binary runs this package's init, and parsing both pages there cost
// each supervisorctl run ~0.4 ms and 50 KB of heap for pages it never shows
// (and a daemon whose web UI nobody opens the same heap for good).
var (
	statusTmpl = sync.OnceValue(func() *template.Template { return mustParse("ui/status.html") })
	tailTmpl   = sync.OnceValue(func() *template.Template { return mustParse("ui/tail.html") })
)

func mustParse(name string) *template.Template {
	css, err := uiFiles.ReadFile("ui/style.css")
	if err != nil {
		panic(err)
	}
	js, err := uiFiles.ReadFile("ui/app.js")
	if err != nil {
		panic(err)
	}
	funcs := template.FuncMap{
		"css": func() template.CSS { return template.CSS(css) },
		"js":  func() template.JS { return template.JS(js) },
	}
	return template.Must(template.New(name[len("ui/"):]).Funcs(funcs).ParseFS(uiFiles, name))
}
