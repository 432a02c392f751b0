// Package e2e holds black-box tests of the process engine: they run the
// real supervisord binary (core/testbin) on configs in temp
// directories and watch the children through /proc, marker files the
// children write and the activity log, comparing with Supervisor 4.2 where
// it is installed. It has no code of its own.
package e2e
