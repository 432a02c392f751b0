//go:build !linux

package logging

func newWatcher(string) watcher { return newPollWatcher() }
