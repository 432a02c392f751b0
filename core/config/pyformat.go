package config

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"super/core/pyrepr"
)

// Supervisor 4.2 expands values with Python's `s % expansions` (options.py
// expand). This file reimplements the part of printf-style formatting a
// mapping argument can reach: %(name)[flags][width][.precision]conv and %%.
// Expansion values are strings or ints (process_num, numprocs).

// maxPad bounds widths and precisions.
const maxPad = 1 << 20

// expandError is the ValueError text expand() raises.
type expandError struct{ msg string }

func (e *expandError) Error() string { return e.msg }

// expand is options.expand: s % expansions, with 4.2's error texts. name is
// what the message calls the value, e.g. "program:cat.command".
func expand(s string, exp map[string]any, name string) (string, error) {
	return expandIn(s, vars{top: exp}, name)
}

// vars is an expansion mapping in two layers, top over base, read in
// place: a program's few own names over the hundred-odd ENV_x ones, which
// were copied into a fresh map for every value expanded.
type vars struct{ top, base map[string]any }

func (v vars) get(k string) (any, bool) {
	if x, ok := v.top[k]; ok {
		return x, true
	}
	x, ok := v.base[k]
	return x, ok
}

// names lists every name the mapping has, sorted.
func (v vars) names() []string {
	names := make([]string, 0, len(v.top)+len(v.base))
	for k := range v.top {
		names = append(names, k)
	}
	for k := range v.base {
		if _, ok := v.top[k]; !ok {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	return names
}

// expandIn is expand with the mapping v.
func expandIn(s string, v vars, name string) (string, error) {
	if strings.IndexByte(s, '%') < 0 {
		return s, nil
	}
	out, missing, err := pyFormatIn(s, v)
	if missing != "" {
		return "", &expandError{fmt.Sprintf(
			"Format string %s for %s contains names (%s) which cannot be expanded. Available names: %s",
			pyrepr.Str(s), pyrepr.Str(name), pyrepr.Str(missing), strings.Join(v.names(), ", "))}
	}
	if err != nil {
		return "", &expandError{fmt.Sprintf("Format string %s for %s is badly formatted: %s",
			pyrepr.Str(s), pyrepr.Str(name), err)}
	}
	return out, nil
}

// pyFormat formats s with the mapping m. A name not in m is returned as
// missing (Python's KeyError); other problems are errors with Python's text.
func pyFormat(s string, m map[string]any) (out string, missing string, err error) {
	return pyFormatIn(s, vars{top: m})
}

func pyFormatIn(s string, m vars) (out string, missing string, err error) {
	var b strings.Builder
	b.Grow(len(s) + 16)
	usedWhole := false // an unnamed conversion consumed the mapping itself
	i := 0
	for i < len(s) {
		j := strings.IndexByte(s[i:], '%')
		if j < 0 {
			b.WriteString(s[i:])
			break
		}
		b.WriteString(s[i : i+j])
		i += j + 1
		if i >= len(s) {
			return "", "", fmt.Errorf("incomplete format")
		}
		if s[i] == '%' { // only a bare %% is a literal percent
			b.WriteByte('%')
			i++
			continue
		}
		var (
			key    string
			hasKey bool
			v      any
		)
		if s[i] == '(' {
			depth := 1
			k := i + 1
			for k < len(s) && depth > 0 {
				switch s[k] {
				case '(':
					depth++
				case ')':
					depth--
				}
				k++
			}
			if depth > 0 {
				return "", "", fmt.Errorf("incomplete format key")
			}
			key, hasKey = s[i+1:k-1], true
			i = k
			val, ok := m.get(key)
			if !ok {
				return "", key, nil
			}
			v = val
		}
		var flags string
		for i < len(s) && strings.IndexByte("-+ #0", s[i]) >= 0 {
			flags += s[i : i+1]
			i++
		}
		width, prec := -1, -1
		if i < len(s) && s[i] == '*' {
			return "", "", fmt.Errorf("* wants int")
		}
		start := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i > start {
			width, err = strconv.Atoi(s[start:i])
			// Python would build the string; a padded value beyond a
			// megabyte is never a working config, so it is refused.
			if err != nil || width > maxPad {
				return "", "", fmt.Errorf("width too big")
			}
		}
		if i < len(s) && s[i] == '.' {
			i++
			if i < len(s) && s[i] == '*' {
				return "", "", fmt.Errorf("* wants int")
			}
			start = i
			for i < len(s) && s[i] >= '0' && s[i] <= '9' {
				i++
			}
			prec = 0
			if i > start {
				prec, err = strconv.Atoi(s[start:i])
				if err != nil || prec > maxPad {
					return "", "", fmt.Errorf("precision too big")
				}
			}
		}
		for i < len(s) && strings.IndexByte("hlL", s[i]) >= 0 {
			i++
		}
		if i >= len(s) {
			return "", "", fmt.Errorf("incomplete format")
		}
		conv, size := utf8.DecodeRuneInString(s[i:])
		convAt := utf8.RuneCountInString(s[:i])
		i += size
		if !hasKey && strings.ContainsRune("sraduixXoeEfFgGc", conv) {
			if usedWhole {
				return "", "", fmt.Errorf("not enough arguments for format string")
			}
			usedWhole = true
			// Python would format the whole mapping (its repr); no
			// configuration means that, so it is rejected.
			return "", "", fmt.Errorf("format requires a mapping")
		}
		if !hasKey {
			v = "" // only reached for an unsupported conversion character
		}
		piece, err := pyConvert(conv, convAt, flags, width, prec, v)
		if err != nil {
			return "", "", err
		}
		b.WriteString(piece)
	}
	return b.String(), "", nil
}

func pyTypeName(v any) string {
	switch v.(type) {
	case int:
		return "int"
	default:
		return "str"
	}
}

// pyConvert formats one value for one conversion.
func pyConvert(conv rune, at int, flags string, width, prec int, v any) (string, error) {
	left := strings.Contains(flags, "-")
	zero := strings.Contains(flags, "0") && !left
	var body string
	switch conv {
	case 's', 'r', 'a':
		switch x := v.(type) {
		case int:
			body = strconv.Itoa(x)
		case string:
			body = x
			if conv != 's' {
				body = pyrepr.Str(x)
				if conv == 'a' {
					body = asciiOnly(body)
				}
			}
		}
		if prec >= 0 && utf8.RuneCountInString(body) > prec {
			body = string([]rune(body)[:prec])
		}
		zero = false
	case 'd', 'i', 'u', 'x', 'X', 'o':
		n, ok := v.(int)
		if !ok {
			if conv == 'd' || conv == 'i' || conv == 'u' {
				return "", fmt.Errorf("%%%c format: a real number is required, not %s", conv, pyTypeName(v))
			}
			return "", fmt.Errorf("%%%c format: an integer is required, not %s", conv, pyTypeName(v))
		}
		neg := n < 0
		u := uint64(n)
		if neg {
			u = uint64(-n)
		}
		var digits, prefix string
		switch conv {
		case 'x':
			digits, prefix = strconv.FormatUint(u, 16), "0x"
		case 'X':
			digits, prefix = strings.ToUpper(strconv.FormatUint(u, 16)), "0X"
		case 'o':
			digits, prefix = strconv.FormatUint(u, 8), "0o"
		default:
			digits = strconv.FormatUint(u, 10)
		}
		if prec > len(digits) {
			// One copy: prepending a zero at a time was quadratic, and a
			// precision near maxPad took half a minute.
			digits = strings.Repeat("0", prec-len(digits)) + digits
		}
		if !strings.Contains(flags, "#") {
			prefix = ""
		}
		sign := ""
		switch {
		case neg:
			sign = "-"
		case strings.Contains(flags, "+"):
			sign = "+"
		case strings.Contains(flags, " "):
			sign = " "
		}
		sign += prefix
		if zero && width > len(sign)+len(digits) {
			digits = strings.Repeat("0", width-len(sign)-len(digits)) + digits
		}
		body = sign + digits
	case 'e', 'E', 'f', 'F', 'g', 'G':
		n, ok := v.(int)
		if !ok {
			return "", fmt.Errorf("must be real number, not %s", pyTypeName(v))
		}
		if prec < 0 {
			prec = 6
		}
		f := "%"
		for _, c := range "+ #" {
			if strings.ContainsRune(flags, c) {
				f += string(c)
			}
		}
		if zero && width > 0 {
			f += "0" + strconv.Itoa(width)
		}
		body = fmt.Sprintf(f+"."+strconv.Itoa(prec)+string(conv), float64(n))
	case 'c':
		switch x := v.(type) {
		case int:
			if x < 0 || x > 0x10ffff {
				return "", fmt.Errorf("%%c arg not in range(0x110000)")
			}
			body = string(rune(x))
		case string:
			if utf8.RuneCountInString(x) != 1 {
				return "", fmt.Errorf("%%c requires int or char")
			}
			body = x
		}
		zero = false
	default:
		if conv < 0x80 && conv >= 0x20 && conv != 0x7f {
			return "", fmt.Errorf("unsupported format character '%c' (0x%x) at index %d", conv, conv, at)
		}
		return "", fmt.Errorf("unsupported format character %s (0x%x) at index %d", pyrepr.Str(string(conv)), conv, at)
	}
	if pad := width - utf8.RuneCountInString(body); pad > 0 {
		if left {
			body += strings.Repeat(" ", pad)
		} else {
			body = strings.Repeat(" ", pad) + body
		}
	}
	return body, nil
}

// asciiOnly turns a repr into ascii(): non-ASCII runes become escapes.
func asciiOnly(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r < 0x80:
			b.WriteRune(r)
		case r <= 0xff:
			fmt.Fprintf(&b, `\x%02x`, r)
		case r <= 0xffff:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			fmt.Fprintf(&b, `\U%08x`, r)
		}
	}
	return b.String()
}
