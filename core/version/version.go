// Package version holds the version numbers super reports.
package version

// Super is the version of super itself (`super --version`). The Makefile
// stamps `git describe`'s answer in (-ldflags -X super/core/version.Super=);
// a plain `go build` says this.
var Super = "0.1.0-dev"

// Supervisor is the Supervisor release super is compatible with. It is what
// `supervisord -v`, `supervisorctl version` and getSupervisorVersion report,
// because scripts written for Supervisor compare against it.
const Supervisor = "4.2.5"

// API is the XML-RPC API version (getAPIVersion / getVersion).
const API = "3.0"
