package config

import (
	"bytes"
	"fmt"
	"strings"
	"unicode/utf8"

	"gopkg.in/ini.v1"

	"super/core/pyrepr"
)

// This file reads ini text the way Supervisor 4.2 does: Python's
// configparser.RawConfigParser with inline_comment_prefixes=(';', '#') and
// strict=False (options.py UnhosedConfigParser).
//
// The line classification is ours (a pre-pass): go-ini cannot be configured
// into configparser's rules for comments, indentation, blank lines inside
// values and error reporting. The pre-pass turns every file into a
// normalized text in which each option is one line with its value already
// final, and go-ini parses that text and holds the merged result (sections
// in first-appearance order, duplicate sections merged, last key wins). The
// pre-pass also records where every section and key came from, so errors can
// name a file and line.

// defaultSection is configparser's default_section.
const defaultSection = "DEFAULT"

// Pos is where a section header or a key was read.
type Pos struct {
	File string
	Line int
}

// iniDoc is one parser's state: the main file plus whatever files were read
// into it later ([include]).
type iniDoc struct {
	f        *ini.File
	sections []string // non-DEFAULT sections in first-appearance order
	secPos   map[string]Pos
	keyPos   map[string]map[string]Pos // section -> key -> last assignment
	secFile  map[string]string         // section -> file that introduced it (section_to_file)

	// only, when set, keeps the values of the sections it accepts and
	// drops the others' (their headers and the syntax check of every line
	// stay): supervisorctl reads only [supervisorctl] and [ctlplugin:x],
	// and parsing hundreds of program sections was most of its start.
	only func(section string) bool

	read1 bool // a file has been read into f

	// last is the section Get looked at last, and dflt DEFAULT: the
	// loader asks for a program's keys one after another, most of them
	// absent (so DEFAULT is looked at too), and finding the section again
	// in maps of thousands of sections for every key was a fifth of
	// reading 5,000 programs. Whatever adds sections or keys (read, Set)
	// forgets them.
	last, dflt cachedSection
}

// cachedSection is one section's key positions and go-ini section.
type cachedSection struct {
	name  string
	valid bool
	keys  map[string]Pos
	sec   *ini.Section // nil when go-ini has no such section
}

// section returns the cached lookup of name (DEFAULT or the last one).
func (d *iniDoc) section(name string) *cachedSection {
	c := &d.last
	if name == defaultSection {
		c = &d.dflt
	}
	if !c.valid || c.name != name {
		*c = cachedSection{name: name, valid: true, keys: d.keyPos[name]}
		if s, err := d.f.GetSection(name); err == nil {
			c.sec = s
		}
	}
	return c
}

// forget drops the cached sections (the document changed).
func (d *iniDoc) forget() { d.last, d.dflt = cachedSection{}, cachedSection{} }

func newIniDoc() *iniDoc {
	f := ini.Empty(iniLoadOptions)
	return &iniDoc{
		f:       f,
		secPos:  map[string]Pos{},
		keyPos:  map[string]map[string]Pos{},
		secFile: map[string]string{},
	}
}

// iniLoadOptions make go-ini read the normalized text verbatim: every key is
// `quoted` and every value is """wrapped""" and escaped, so no go-ini rule
// (inline comments, quote stripping, continuation) can alter it.
var iniLoadOptions = ini.LoadOptions{
	IgnoreContinuation:      true,
	IgnoreInlineComment:     true,
	PreserveSurroundedQuote: true,
	KeyValueDelimiters:      "=",
	ChildSectionDelimiter:   "\x00", // "." would make [program:a.b] inherit [program:a]
	AllowShadows:            false,
	SkipUnrecognizableLines: false,
	// Each section is named once in a normalized text (read), and the
	// document gets a new section only where GetSection found none
	// (merge, Set): without this, go-ini looks for an earlier header of
	// each section's name in the list of all sections so far, which made
	// reading 5,000 programs cost 10 times reading 1,000 (now 4 times).
	AllowNonUniqueSections: true,
}

// ParseError is configparser's ParsingError / MissingSectionHeaderError:
// the file's bad lines, reported together the way Python prints them.
type ParseError struct {
	File      string
	Lines     []int    // line numbers of the bad lines
	Texts     []string // the bad lines, with their newline as read
	NoSection bool     // MissingSectionHeaderError
}

func (e *ParseError) Error() string {
	var b strings.Builder
	if e.NoSection {
		fmt.Fprintf(&b, "File contains no section headers.\nfile: %s, line: %d\n%s",
			pyrepr.Str(e.File), e.Lines[0], pyrepr.Str(e.Texts[0]))
		return b.String()
	}
	fmt.Fprintf(&b, "Source contains parsing errors: %s", pyrepr.Str(e.File))
	for i, n := range e.Lines {
		fmt.Fprintf(&b, "\n\t[line %2d]: %s", n, pyrepr.Str(e.Texts[i]))
	}
	return b.String()
}

// rawEntry is one option assignment seen by the pre-pass.
type rawEntry struct {
	section string
	key     string
	value   []string // lines, joined with "\n" at the end
	line    int
}

// splitLines yields the lines of data with Python's universal newlines
// (\r\n, \r and \n all end a line); each line keeps a "\n" terminator except
// possibly the last, as Python's file iteration does.
func splitLines(data string) []string {
	lines := make([]string, 0, strings.Count(data, "\n")+1)
	for len(data) > 0 {
		i := strings.IndexAny(data, "\r\n")
		if i < 0 {
			lines = append(lines, data)
			break
		}
		if data[i] == '\n' {
			lines = append(lines, data[:i+1]) // already as wanted: no copy
		} else {
			lines = append(lines, data[:i]+"\n")
		}
		if data[i] == '\r' && i+1 < len(data) && data[i+1] == '\n' {
			i++
		}
		data = data[i+1:]
	}
	return lines
}

// inlineCommentStart finds where an inline comment begins, with
// configparser's exact search: in rounds, each prefix advances to its next
// occurrence; the first round in which some occurrence sits at the start of
// the line or after whitespace decides, taking the smallest such index of
// that round (which is not always the smallest overall).
func inlineCommentStart(line string) int {
	idx := [2]int{-1, -1}
	active := [2]bool{true, true}
	prefixes := [2]byte{';', '#'}
	for active[0] || active[1] {
		best := -1
		for p := 0; p < 2; p++ {
			if !active[p] {
				continue
			}
			j := strings.IndexByte(line[idx[p]+1:], prefixes[p])
			if j < 0 {
				active[p] = false
				continue
			}
			j += idx[p] + 1
			idx[p] = j
			if j == 0 || prevIsSpace(line, j) {
				if best < 0 || j < best {
					best = j
				}
			}
		}
		if best >= 0 {
			return best
		}
	}
	return -1
}

func prevIsSpace(line string, i int) bool {
	r, _ := utf8.DecodeLastRuneInString(line[:i])
	return pyIsSpace(r)
}

// indentOf counts leading whitespace in characters (configparser compares
// character offsets of the first non-space character).
func indentOf(line string) int {
	n := 0
	for _, r := range line {
		if !pyIsSpace(r) {
			return n
		}
		n++
	}
	return 0 // whitespace-only lines never reach the comparison
}

// matchOption is OPTCRE: `(.*?)\s*(=|:)\s*(.*)$` on the stripped line.
func matchOption(v string) (name, value string, ok bool) {
	i := strings.IndexAny(v, "=:")
	if i < 0 {
		return "", "", false
	}
	return strings.TrimRightFunc(v[:i], pyIsSpace), strings.TrimLeftFunc(v[i+1:], pyIsSpace), true
}

// matchSection is SECTCRE: `\[(.+)\]` anchored at the start only.
func matchSection(v string) (string, bool) {
	if len(v) < 3 || v[0] != '[' {
		return "", false
	}
	j := strings.LastIndexByte(v, ']')
	if j < 2 {
		return "", false
	}
	return v[1:j], true
}

// classify runs configparser's _read over one file's text. It returns the
// section headers (in order, repeats included) and option assignments.
func classify(name, data string) (heads []rawEntry, entries []*rawEntry, err error) {
	var perr *ParseError
	bad := func(n int, line string) {
		if perr == nil {
			perr = &ParseError{File: name}
		}
		perr.Lines = append(perr.Lines, n)
		perr.Texts = append(perr.Texts, line)
	}
	var (
		inSection bool
		sect      string
		cur       *rawEntry // current option, nil when none (optname falsy)
		indent    int
	)
	for i, line := range splitLines(data) {
		n := i + 1
		cut := inlineCommentStart(line)
		if t := pyStrip(line); strings.HasPrefix(t, "#") || strings.HasPrefix(t, ";") {
			cut = 0
		}
		v := line
		if cut >= 0 {
			v = line[:cut]
		}
		v = pyStrip(v)
		if v == "" {
			if cut < 0 && cur != nil {
				cur.value = append(cur.value, "")
			}
			continue
		}
		ind := indentOf(line)
		if cur != nil && ind > indent {
			cur.value = append(cur.value, v)
			continue
		}
		indent = ind
		if h, ok := matchSection(v); ok {
			sect, inSection, cur = h, true, nil
			heads = append(heads, rawEntry{section: h, line: n})
			continue
		}
		if !inSection {
			return nil, nil, &ParseError{File: name, Lines: []int{n}, Texts: []string{line}, NoSection: true}
		}
		key, val, ok := matchOption(v)
		if !ok {
			bad(n, line)
			// optname keeps its previous value: a later indented line still
			// continues the previous option, as in configparser.
			continue
		}
		if key == "" {
			bad(n, line)
		}
		e := &rawEntry{section: sect, key: strings.ToLower(key), value: []string{pyStrip(val)}, line: n}
		entries = append(entries, e)
		if key == "" {
			cur = nil
		} else {
			cur = e
		}
	}
	if perr != nil {
		return nil, nil, perr
	}
	return heads, entries, nil
}

// joinValue is _join_multiline_values for one option.
func joinValue(lines []string) string {
	return strings.TrimRightFunc(strings.Join(lines, "\n"), pyIsSpace)
}

// read parses one file's text into the document, like RawConfigParser.read
// (a later file adds sections and overrides keys).
func (d *iniDoc) read(name, data string) error {
	heads, entries, err := classify(name, data)
	if err != nil {
		return err
	}
	d.forget()
	if len(d.secPos) == 0 {
		// Sized once for the first file: growing them a section at a
		// time was a fifth of reading a config of 500 programs.
		d.secPos = make(map[string]Pos, len(heads))
		d.secFile = make(map[string]string, len(heads))
		d.keyPos = make(map[string]map[string]Pos, len(heads))
	}
	// The normalized text names each section once, with all of its
	// assignments in the order read: go-ini would merge a reopened section
	// and its repeated keys the same way (first appearance places a key,
	// the last assignment gives its value), but it finds an earlier header
	// of the same name by scanning every section so far — the square of
	// the number of programs (see iniLoadOptions). DEFAULT's assignments
	// come first with no header: go-ini holds them in the default section
	// it makes before reading the first line.
	var (
		order    []string // this file's sections, first appearance, DEFAULT excluded
		bySect   = make(map[string][]*rawEntry, len(heads))
		defaults []*rawEntry
	)
	for _, h := range heads {
		if h.section == defaultSection {
			continue
		}
		if _, listed := bySect[h.section]; listed {
			continue
		}
		bySect[h.section] = nil
		if _, seen := d.secPos[h.section]; !seen {
			d.secPos[h.section] = Pos{name, h.line}
			d.secFile[h.section] = name
			d.sections = append(d.sections, h.section)
		}
		if d.only == nil || d.only(h.section) {
			order = append(order, h.section)
		}
	}
	for _, e := range entries {
		switch {
		case e.section == defaultSection:
			defaults = append(defaults, e)
		case d.only != nil && !d.only(e.section):
			continue
		default:
			bySect[e.section] = append(bySect[e.section], e)
		}
		if d.keyPos[e.section] == nil {
			d.keyPos[e.section] = map[string]Pos{}
		}
		d.keyPos[e.section][e.key] = Pos{name, e.line}
	}
	var norm bytes.Buffer
	writeEntries(&norm, defaults)
	for _, sect := range order {
		writeHeader(&norm, sect)
		writeEntries(&norm, bySect[sect])
	}
	part, err := ini.LoadSources(iniLoadOptions, norm.Bytes())
	if err != nil {
		return fmt.Errorf("internal ini error for %s: %v", name, err)
	}
	if !d.read1 {
		// The first file read is the whole document so far: go-ini has
		// already merged its repeated sections and keys as the merge
		// below would, so it becomes the document. Merging it key by key
		// cost a tenth of loading a config of 500 programs.
		d.f, d.read1 = part, true
		return nil
	}
	// Merge into the document: go-ini keeps first-appearance order of
	// sections and keys and lets a later assignment win.
	for _, ps := range part.Sections() {
		ds, err := d.f.GetSection(ps.Name())
		if err != nil {
			if ds, err = d.f.NewSection(ps.Name()); err != nil {
				return fmt.Errorf("internal ini error for %s: %v", name, err)
			}
		}
		for _, k := range ps.Keys() {
			ds.Key(k.Name()).SetValue(k.Value())
		}
	}
	return nil
}

// writeEntries writes assignments as `key` = """value""" lines.
func writeEntries(b *bytes.Buffer, entries []*rawEntry) {
	for _, e := range entries {
		b.WriteByte('`')
		b.WriteString(escapeINI(e.key))
		b.WriteString("` = \"\"\"")
		b.WriteString(escapeINI(joinValue(e.value)))
		b.WriteString("\"\"\"\n")
	}
}

func writeHeader(b *bytes.Buffer, name string) {
	b.WriteByte('[')
	b.WriteString(name)
	b.WriteString("]\n")
}

// escapeINI makes s safe inside `key` or """value""" for go-ini; unescapeINI
// reverses it. Plain text (the common case) is returned as is.
func escapeINI(s string) string {
	if s == "-" {
		return `\-` // go-ini numbers keys named "-"
	}
	if !strings.ContainsAny(s, "\\\n\"`") {
		return s
	}
	r := strings.NewReplacer(`\`, `\\`, "\n", `\n`, `"`, `\q`, "`", `\b`)
	return r.Replace(s)
}

func unescapeINI(s string) string {
	if strings.IndexByte(s, '\\') < 0 {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' || i+1 == len(s) {
			b.WriteByte(c)
			continue
		}
		i++
		switch s[i] {
		case 'n':
			b.WriteByte('\n')
		case 'q':
			b.WriteByte('"')
		case 'b':
			b.WriteByte('`')
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

// Sections lists the non-DEFAULT sections in first-appearance order.
func (d *iniDoc) Sections() []string { return d.sections }

// HasSection is configparser's has_section (DEFAULT is not a section).
func (d *iniDoc) HasSection(name string) bool {
	_, ok := d.secPos[name]
	return ok
}

// Get is configparser's get: the section's own key, else DEFAULT's.
func (d *iniDoc) Get(section, key string) (string, bool) {
	// keyPos knows every key read or set; asking go-ini for a key it does
	// not have builds an error value, and most of the keys a program
	// section is asked for are absent (defaults).
	own := d.section(section)
	if _, ok := own.keys[key]; !ok {
		if _, ok := d.section(defaultSection).keys[key]; !ok {
			return "", false
		}
	}
	if own.sec != nil {
		if k, err := own.sec.GetKey(escapeINI(key)); err == nil {
			return unescapeINI(k.Value()), true
		}
	}
	if s := d.section(defaultSection).sec; s != nil {
		if k, err := s.GetKey(escapeINI(key)); err == nil {
			return unescapeINI(k.Value()), true
		}
	}
	return "", false
}

// Options is configparser's options(section): own keys, then DEFAULT's.
func (d *iniDoc) Options(section string) []string {
	var out []string
	seen := map[string]bool{}
	for _, name := range []string{section, defaultSection} {
		s, err := d.f.GetSection(name)
		if err != nil {
			continue
		}
		for _, k := range s.KeyStrings() {
			k = unescapeINI(k)
			if !seen[k] {
				seen[k] = true
				out = append(out, k)
			}
		}
	}
	return out
}

// Set stores a value in a section (used by %(here)s substitution).
func (d *iniDoc) Set(section, key, value string) {
	d.forget()
	s, err := d.f.GetSection(section)
	if err != nil {
		s, _ = d.f.NewSection(section)
	}
	s.Key(escapeINI(key)).SetValue(escapeINI(value))
	if d.keyPos[section] == nil {
		d.keyPos[section] = map[string]Pos{}
	}
	if _, ok := d.keyPos[section][key]; !ok {
		d.keyPos[section][key] = d.keyPos[defaultSection][key]
	}
}

// KeyPos says where a key's value was last assigned (DEFAULT's position when
// the section inherits it); ok is false for keys not in the file.
func (d *iniDoc) KeyPos(section, key string) (Pos, bool) {
	if p, ok := d.keyPos[section][key]; ok {
		return p, true
	}
	p, ok := d.keyPos[defaultSection][key]
	return p, ok
}

// SectionPos says where a section header was first read.
func (d *iniDoc) SectionPos(section string) Pos { return d.secPos[section] }

// expandHere is UnhosedConfigParser.expand_here: a textual substitution of
// %(here)s in every value visible in every section (DEFAULT's values are
// copied into the sections that see them).
func (d *iniDoc) expandHere(here string) {
	const hereFormat = "%(here)s"
	for _, sec := range d.sections {
		for _, k := range d.Options(sec) {
			v, _ := d.Get(sec, k)
			if strings.Contains(v, hereFormat) {
				d.Set(sec, k, strings.ReplaceAll(v, hereFormat, here))
			}
		}
	}
}
