package logging

// ansiStripper removes ANSI escape sequences the way 4.2's
// dispatchers.stripEscapes does: from ESC '[' up to and including the
// first of H f A B C D R s u J K h l p m. Unlike 4.2 it remembers an
// unfinished sequence across writes, so a sequence split between two pipe
// reads after its ESC '[' is removed too instead of leaking its tail into
// the log. An ESC ending a write is held back until the next write shows
// whether '[' follows (a flood cuts its reads anywhere, so this happens
// about once per read); flush hands it out when no write follows.
type ansiStripper struct {
	inEscape   bool // after ESC '[' and before its terminator
	pendingESC bool // the last write ended with an ESC not yet written
}

func isANSITerminator(c byte) bool {
	switch c {
	case 'H', 'f', 'A', 'B', 'C', 'D', 'R', 's', 'u', 'J', 'K', 'h', 'l', 'p', 'm':
		return true
	}
	return false
}

// appendStripped appends p without escape sequences to dst.
func (a *ansiStripper) appendStripped(dst, p []byte) []byte {
	i := 0
	if a.pendingESC && len(p) > 0 {
		a.pendingESC = false
		if p[0] == '[' {
			a.inEscape = true
			i = 1
		} else {
			dst = append(dst, 0x1b)
		}
	}
	for i < len(p) {
		if a.inEscape {
			if isANSITerminator(p[i]) {
				a.inEscape = false
			}
			i++
			continue
		}
		j := i
		for j < len(p) && p[j] != 0x1b {
			j++
		}
		dst = append(dst, p[i:j]...)
		if j == len(p) {
			break
		}
		if j+1 == len(p) {
			a.pendingESC = true
			break
		}
		if p[j+1] == '[' {
			a.inEscape = true
			i = j + 2
		} else {
			dst = append(dst, 0x1b)
			i = j + 1
		}
	}
	return dst
}

// flush appends an ESC held back from the last write, as 4.2 keeps a lone
// ESC, and forgets it.
func (a *ansiStripper) flush(dst []byte) []byte {
	if a.pendingESC {
		a.pendingESC = false
		dst = append(dst, 0x1b)
	}
	return dst
}
