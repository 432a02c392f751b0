// Package clidoc describes command lines — options, commands — once, for
// everything generated from them: manual pages (roff, man.go) and shell
// completion (complete.go, scripts.go). The applets hand it the tables
// their parsers use, so the documentation cannot drift from what the
// binary accepts. Leaf package: the standard library only.
package clidoc

import (
	"fmt"
	"strings"
)

// Option is one command-line option.
type Option struct {
	Short string // without the dash ("c"); "" when there is no short form
	Long  string // without the dashes ("configuration"); "" when there is none
	Arg   string // the argument's name ("FILENAME"); "" when it takes none
	Help  string // what it does, one paragraph
	// Complete says what the argument is, for completion; Values are its
	// possible words when Complete is Words.
	Complete Kind
	Values   []string
}

// Spellings are the option's forms with dashes: "-c", "--configuration".
func (o Option) Spellings() []string {
	var s []string
	if o.Short != "" {
		s = append(s, "-"+o.Short)
	}
	if o.Long != "" {
		s = append(s, "--"+o.Long)
	}
	return s
}

// Command is one action of an interactive program (supervisorctl's).
type Command struct {
	Name string
	// Help is the command's help as the program prints it: lines of
	// "form<TAB>description" (forms of use and what each does), or plain
	// text continuing the line before.
	Help string
}

// UsageHelp reads the option lines of a usage text written as Supervisor
// writes them,
//
//	-c/--configuration FILENAME -- configuration file path (searches if not given)
//	-k/--nocleanup --  prevent the process from performing cleanup (removal of
//	                   old automatic child log files) at startup.
//
// and returns each option's help (continuation lines joined) under each of
// its spellings ("-c" and "--configuration"). Lines not of that shape are
// ignored.
func UsageHelp(usage string) map[string]string {
	help := map[string]string{}
	var current []string // spellings of the option being read
	for _, line := range strings.Split(usage, "\n") {
		switch {
		case strings.HasPrefix(line, "-"):
			flags, text, ok := strings.Cut(line, " -- ")
			if !ok {
				current = nil
				continue
			}
			first, _, _ := strings.Cut(strings.TrimSpace(flags), " ")
			current = strings.Split(first, "/")
			for _, f := range current {
				help[f] = strings.TrimSpace(text)
			}
		case current != nil && strings.HasPrefix(line, " ") && strings.TrimSpace(line) != "":
			for _, f := range current {
				help[f] += " " + strings.TrimSpace(line)
			}
		default:
			current = nil
		}
	}
	return help
}

// WithHelp returns opts with each Help taken from usage (UsageHelp), by
// the option's short or long spelling; it fails when an option has none,
// so a table and its usage text cannot drift apart unnoticed.
func WithHelp(opts []Option, usage string) ([]Option, error) {
	help := UsageHelp(usage)
	out := make([]Option, len(opts))
	for i, o := range opts {
		out[i] = o
		if o.Help != "" {
			continue
		}
		for _, s := range o.Spellings() {
			if h, ok := help[s]; ok {
				out[i].Help = h
				break
			}
		}
		if out[i].Help == "" {
			return nil, fmt.Errorf("option %s has no help in the usage text", strings.Join(o.Spellings(), "/"))
		}
	}
	return out, nil
}
