// Package version holds the version numbers super reports.
package version

// Super is the version of super itself (`super --version`).
const Super = "0.1.0"

// Supervisor is the Supervisor release super is compatible with. It is what
// `supervisord -v`, `supervisorctl version` and getSupervisorVersion report,
// because scripts written for Supervisor compare against it.
const Supervisor = "4.2.5"

// API is the XML-RPC API version (getAPIVersion / getVersion).
const API = "3.0"
