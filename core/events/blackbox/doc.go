// Package blackbox holds black-box tests of the event system: the real
// supervisord binary (and Supervisor 4.2 for comparison) runs real
// listener, program and fcgi processes.
package blackbox
