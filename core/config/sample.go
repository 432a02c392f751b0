package config

import _ "embed"

// Sample is the commented sample configuration echo_supervisord_conf
// prints: every section and key Supervisor 4.2 knows, each with its default.
// Uncommented it is a working setup (UNIX socket control, activity log and
// pid file in /tmp) that both super and Supervisor 4.2 accept.
//
//go:embed sample.conf
var Sample string
