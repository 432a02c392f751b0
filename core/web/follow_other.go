//go:build !linux

package web

func newWatcher(string) watcher { return newPollWatcher() }
