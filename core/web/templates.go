package web

import (
	"embed"
	"html/template"
)

//go:embed ui/status.html ui/tail.html ui/style.css ui/app.js
var uiFiles embed.FS

// The style sheet and the script are inlined: every page is one response,
// works offline and behind any path prefix.
var (
	statusTmpl = mustParse("ui/status.html")
	tailTmpl   = mustParse("ui/tail.html")
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
