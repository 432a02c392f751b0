package clidoc

import (
	"io"
	"strings"
)

// Kind is what a word being completed is.
type Kind int

const (
	Nothing  Kind = iota // nothing to offer (a password, a number)
	Words                // one of Reply.Words
	Files                // a file name: the shell completes it
	Dirs                 // a directory name: the shell completes it
	Users                // a user name: the shell completes it
	Commands             // a command name: the shell completes it
)

var kindNames = map[Kind]string{Nothing: "none", Words: "words", Files: "files", Dirs: "dirs", Users: "users", Commands: "commands"}

// Reply is the answer to one completion request.
type Reply struct {
	Kind  Kind
	Words []string // Words: the candidates, whole words
	// Prefix is, for Files, Dirs, Users and Commands, the part of the word before
	// the name to complete: "--configuration=" in "--configuration=/et".
	Prefix string
}

// Write sends the reply to a completion script (scripts.go): the kind on
// the first line, then for Words each candidate on its own line, for the
// others the prefix.
func (r Reply) Write(w io.Writer) error {
	var b strings.Builder
	b.WriteString(kindNames[r.Kind])
	b.WriteByte('\n')
	switch r.Kind {
	case Words:
		for _, c := range r.Words {
			b.WriteString(c)
			b.WriteByte('\n')
		}
	case Files, Dirs, Users, Commands:
		b.WriteString(r.Prefix)
		b.WriteByte('\n')
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// Matching returns the words of candidates that start with prefix, as a
// Words reply.
func Matching(prefix string, candidates []string) Reply {
	r := Reply{Kind: Words}
	for _, c := range candidates {
		if strings.HasPrefix(c, prefix) {
			r.Words = append(r.Words, c)
		}
	}
	return r
}

// valueReply is what to offer for option o's argument.
func (o Option) valueReply(prefix, partial string) Reply {
	if o.Complete == Words {
		r := Matching(partial, o.Values)
		for i := range r.Words {
			r.Words[i] = prefix + r.Words[i]
		}
		return r
	}
	return Reply{Kind: o.Complete, Prefix: prefix}
}

// WithValues returns o with its argument completed as one of values.
func (o Option) WithValues(values ...string) Option {
	o.Complete, o.Values = Words, values
	return o
}

// CompleteOptions completes cur, the word under the cursor, after args
// (the words between the command and cur) for a command whose options are
// opts and are parsed as getopt does: options come first, an option's
// argument is the rest of its word or the next word, "--" or the first
// word that is not an option ends them.
//
// When cur is an option or an option's argument it returns the reply and
// done=true. Otherwise it returns done=false and the positional words
// before cur, for the caller to complete cur as one of its arguments.
func CompleteOptions(opts []Option, args []string, cur string) (r Reply, positional []string, done bool) {
	find := func(spelling string) (Option, bool) {
		for _, o := range opts {
			for _, s := range o.Spellings() {
				if s == spelling {
					return o, true
				}
			}
		}
		return Option{}, false
	}
	var pending *Option // the last word is an option whose argument is cur
	for i := 0; i < len(args); i++ {
		a := args[i]
		var takes *Option // an option in a that takes the next word
		switch {
		case a == "--":
			return Reply{}, args[i+1:], false
		case strings.HasPrefix(a, "--"):
			name, _, hasValue := strings.Cut(a, "=")
			if o, ok := find(name); ok && o.Arg != "" && !hasValue {
				takes = &o
			}
		case strings.HasPrefix(a, "-") && len(a) > 1:
			// A cluster of short options: the first that takes an
			// argument takes the rest of the word, or the next word.
			for j := 1; j < len(a); j++ {
				if o, ok := find("-" + a[j:j+1]); ok && o.Arg != "" {
					if j == len(a)-1 {
						takes = &o
					}
					break
				}
			}
		default:
			return Reply{}, args[i:], false
		}
		if takes != nil {
			if i == len(args)-1 {
				pending = takes
			}
			i++ // the next word is its argument
		}
	}
	if pending != nil {
		return pending.valueReply("", cur), nil, true
	}
	switch {
	case strings.HasPrefix(cur, "--") && strings.Contains(cur, "="):
		name, value, _ := strings.Cut(cur, "=")
		if o, ok := find(name); ok && o.Arg != "" {
			return o.valueReply(name+"=", value), nil, true
		}
		return Reply{}, nil, true
	case strings.HasPrefix(cur, "-") && len(cur) > 2 && !strings.HasPrefix(cur, "--"):
		if o, ok := find(cur[:2]); ok && o.Arg != "" {
			return o.valueReply(cur[:2], cur[2:]), nil, true
		}
		return Reply{}, nil, true
	case strings.HasPrefix(cur, "-"):
		var all []string
		for _, o := range opts {
			all = append(all, o.Spellings()...)
		}
		return Matching(cur, all), nil, true
	}
	return Reply{}, nil, false
}
