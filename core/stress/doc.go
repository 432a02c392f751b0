// Package stress holds black-box fault-injection, load and security tests
// of the real supervisord. The quick variants run in `make test`; longer,
// bounded variants run when SUPER_STRESS=1 (`make stress`).
package stress
