package clidoc

import (
	"fmt"
	"strings"
)

// Roff is text in roff's inline syntax, safe to put in a manual page:
// made by Text, B, I, Cat, never by converting a plain string.
type Roff string

// Text is plain text as roff: backslashes written as \e, tabs as spaces.
// (A leading period or apostrophe is taken care of where lines begin.)
func Text(s string) Roff {
	s = strings.ReplaceAll(s, `\`, `\e`)
	return Roff(strings.ReplaceAll(s, "\t", " "))
}

// code is literal text typed by the user: hyphens are minus signs (\-),
// so "--help" is not printed with typographic dashes and can be searched
// for.
func code(s string) Roff {
	return Roff(strings.ReplaceAll(string(Text(s)), "-", `\-`))
}

// B is literal text to type, in bold: a command, an option.
func B(s string) Roff { return `\fB` + code(s) + `\fR` }

// I is a placeholder, in italics: an argument's name.
func I(s string) Roff { return `\fI` + code(s) + `\fR` }

// Cat joins pieces of roff.
func Cat(parts ...Roff) Roff {
	var b strings.Builder
	for _, p := range parts {
		b.WriteString(string(p))
	}
	return Roff(b.String())
}

// Man builds one manual page for man(7)'s macros.
type Man struct {
	b strings.Builder
}

// NewMan starts the page name(section). date (YYYY-MM-DD) and source
// ("super 1.2.3") go in the page's footer, manual ("User Commands") in its
// header; summary is the NAME line's description.
func NewMan(name, section, date, source, manual, summary string) *Man {
	m := &Man{}
	fmt.Fprintf(&m.b, ".TH %s %s %s %s %s\n", quote(strings.ToUpper(name)), section, quote(date), quote(source), quote(manual))
	m.Section("NAME")
	m.line(Cat(code(name), ` \- `, Text(summary)))
	return m
}

func quote(s string) string { return `"` + strings.ReplaceAll(string(Text(s)), `"`, `\(dq`) + `"` }

// line writes one line of text, guarding a leading control character.
func (m *Man) line(r Roff) {
	s := strings.ReplaceAll(string(r), "\n", " ")
	if strings.HasPrefix(s, ".") || strings.HasPrefix(s, "'") {
		s = `\&` + s
	}
	m.b.WriteString(s)
	m.b.WriteByte('\n')
}

// Section starts a section (NAME, SYNOPSIS, OPTIONS, ...).
func (m *Man) Section(title string) {
	fmt.Fprintf(&m.b, ".SH %s\n", quote(title))
}

// Para writes a filled paragraph.
func (m *Man) Para(r Roff) {
	m.b.WriteString(".PP\n")
	m.line(r)
}

// Synopsis writes one form of use: the command in bold, then its
// arguments.
func (m *Man) Synopsis(r Roff) {
	m.b.WriteString(".PP\n")
	m.line(r)
}

// Item writes a tagged paragraph: tag on its own line, then the lines of
// text indented, each filled, each starting on a line of its own.
func (m *Man) Item(tag Roff, text ...Roff) {
	m.b.WriteString(".TP\n")
	m.line(tag)
	for i, t := range text {
		if i > 0 {
			m.b.WriteString(".br\n")
		}
		m.line(t)
	}
}

// Verbatim writes lines as they are (not filled), indented.
func (m *Man) Verbatim(text string) {
	m.b.WriteString(".PP\n.RS 4\n.nf\n")
	for _, l := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		if l == "" {
			m.b.WriteString(".sp\n")
			continue
		}
		m.line(code(l))
	}
	m.b.WriteString(".fi\n.RE\n")
}

// Options writes one tagged paragraph per option: "-c, --configuration
// FILENAME" and its help.
func (m *Man) Options(opts []Option) {
	for _, o := range opts {
		var tag []Roff
		for _, s := range o.Spellings() {
			tag = append(tag, B(s))
		}
		t := Roff(strings.Join(stringsOf(tag), ", "))
		if o.Arg != "" {
			t = Cat(t, " ", I(o.Arg))
		}
		m.Item(t, Text(o.Help))
	}
}

// Commands writes each command's forms of use as tagged paragraphs, from
// its help text: a line "form<TAB>description" becomes an item with the
// form in bold, a line without a tab continues the item before.
func (m *Man) Commands(cmds []Command) {
	for _, c := range cmds {
		type item struct {
			form string
			text []string
		}
		var items []item
		for _, l := range strings.Split(strings.TrimRight(c.Help, "\n"), "\n") {
			form, text, hasTab := strings.Cut(l, "\t")
			form, text = strings.TrimSpace(form), strings.TrimSpace(text)
			switch {
			case hasTab && form != "":
				items = append(items, item{form: form, text: []string{text}})
			case !hasTab && (form == c.Name || strings.HasPrefix(form, c.Name+" ")):
				items = append(items, item{form: form})
			case len(items) > 0:
				items[len(items)-1].text = append(items[len(items)-1].text, strings.TrimSpace(l))
			default:
				items = append(items, item{form: c.Name, text: []string{strings.TrimSpace(l)}})
			}
		}
		for _, it := range items {
			var lines []Roff
			for _, t := range nonEmpty(it.text) {
				lines = append(lines, Text(t))
			}
			m.Item(formRoff(it.form), lines...)
		}
	}
}

// String is the page's roff source.
func (m *Man) String() string { return m.b.String() }

// formRoff is a form of use: what is typed as is in bold, placeholders
// ("<name>", "[-f]") in italics.
func formRoff(form string) Roff {
	var parts []string
	for _, w := range strings.Fields(form) {
		if strings.HasPrefix(w, "<") || strings.HasPrefix(w, "[") || strings.HasPrefix(w, "(") {
			parts = append(parts, string(I(w)))
		} else {
			parts = append(parts, string(B(w)))
		}
	}
	return Roff(strings.Join(parts, " "))
}

func stringsOf(rs []Roff) []string {
	s := make([]string, len(rs))
	for i, r := range rs {
		s[i] = string(r)
	}
	return s
}

func nonEmpty(ss []string) []string {
	var out []string
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}
