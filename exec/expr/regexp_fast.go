package expr

// A fast matcher for a family of simple regular expressions, such as
// Nexmark q21's `(&|^)channel_id=([^&]*)`: a sequence of literals,
// alternations of literals and anchors, character classes repeated
// greedily, anchors and capture groups. Such a pattern is matched with
// strings.Index on a literal it must contain and a few byte comparisons,
// instead of Go's backtracking or NFA engines, which spend most of their
// time stepping rune by rune through text that cannot match.
//
// The matcher gives exactly the results of regexp.Regexp (leftmost-first
// matches, Perl's submatch rules) for the patterns compileFast accepts,
// and compileFast refuses every pattern where that would take more than
// the simple rules below (the tests compare both engines on random
// inputs):
//
//   - A repeated character class takes the longest run it can, and never
//     gives any back: compileFast accepts it only where giving back cannot
//     help, because what follows cannot start with a byte of the class
//     (or nothing follows).
//   - Alternations hold only literals and anchors (^, $), tried in order.
//   - Byte-wise classes: a class either holds every non-ASCII rune or
//     none, so a run over bytes is a run over runes (invalid UTF-8
//     included, which regexp reads as U+FFFD).
//   - A literal the pattern must contain, at a bounded distance from the
//     start of a match, finds the candidate starts (or a leading ^ makes
//     0 the only one).

import (
	"regexp/syntax"
	"strings"
	"unicode/utf8"
)

type fastKind uint8

const (
	fLit      fastKind = iota // the literal lit
	fClass                    // min to max bytes of class (max < 0: no limit)
	fAlt                      // one of alts, tried in order
	fBegin                    // ^: the start of the text
	fEnd                      // $: the end of the text
	fCapOpen                  // group cap starts here
	fCapClose                 // group cap ends here
)

// byteClass is a set of bytes; non-ASCII bytes are all in or all out.
type byteClass [256]bool

type fastItem struct {
	kind     fastKind
	lit      string
	class    *byteClass
	min, max int
	alts     []fastItem // fLit, fBegin or fEnd items
	cap      int
}

// fastRegex is a compiled simple pattern.
type fastRegex struct {
	items []fastItem
	ncap  int // capture groups, as regexp's NumSubexp
	// begin: the pattern starts with ^, so a match can only start at 0.
	begin bool
	// anchor is a literal every match holds, starting between minOff and
	// maxOff bytes after the match's start.
	anchor         string
	minOff, maxOff int
}

// compileFast returns the fast matcher of pattern, or nil when the pattern
// is not one it handles exactly (the caller then uses regexp).
func compileFast(pattern string) *fastRegex {
	re, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		return nil
	}
	ncap := re.MaxCap()
	re = re.Simplify()
	f := &fastRegex{ncap: ncap}
	if !f.flatten(re) || !f.deterministic() || !f.findAnchor() || f.choices() > maxChoices {
		return nil
	}
	return f
}

// maxChoices bounds the paths one match attempt can try: the product of
// the alternations' sizes. (Alternatives whose first bytes differ cost
// nothing, but a pattern need not be that kind.)
const maxChoices = 1 << 10

func (f *fastRegex) choices() int {
	n := 1
	for _, it := range f.items {
		if it.kind == fAlt {
			n *= len(it.alts)
			if n > maxChoices {
				return n
			}
		}
	}
	return n
}

// flatten appends re's items; false when re has a part the matcher lacks.
func (f *fastRegex) flatten(re *syntax.Regexp) bool {
	if re.Flags&(syntax.FoldCase|syntax.NonGreedy) != 0 && re.Op != syntax.OpConcat && re.Op != syntax.OpCapture {
		return false
	}
	switch re.Op {
	case syntax.OpConcat:
		for _, s := range re.Sub {
			if !f.flatten(s) {
				return false
			}
		}
		return true
	case syntax.OpCapture:
		f.items = append(f.items, fastItem{kind: fCapOpen, cap: re.Cap})
		if !f.flatten(re.Sub[0]) {
			return false
		}
		f.items = append(f.items, fastItem{kind: fCapClose, cap: re.Cap})
		return true
	case syntax.OpEmptyMatch:
		return true
	case syntax.OpLiteral, syntax.OpBeginText, syntax.OpEndText:
		it, ok := atom(re)
		if ok {
			f.items = append(f.items, it)
		}
		return ok
	case syntax.OpAlternate:
		alt := fastItem{kind: fAlt}
		for _, s := range re.Sub {
			it, ok := atom(s)
			if !ok {
				return false
			}
			alt.alts = append(alt.alts, it)
		}
		f.items = append(f.items, alt)
		return true
	case syntax.OpStar, syntax.OpPlus, syntax.OpQuest:
		c, ascii, ok := classOf(re.Sub[0])
		if !ok {
			return false
		}
		it := fastItem{kind: fClass, class: c, min: 0, max: -1}
		switch re.Op {
		case syntax.OpPlus:
			it.min = 1
		case syntax.OpQuest:
			if !ascii {
				return false // one byte is not one rune
			}
			it.max = 1
		}
		f.items = append(f.items, it)
		return true
	case syntax.OpCharClass, syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		c, ascii, ok := classOf(re)
		if !ok || !ascii {
			return false
		}
		f.items = append(f.items, fastItem{kind: fClass, class: c, min: 1, max: 1})
		return true
	}
	return false
}

// atom is a literal or an anchor.
func atom(re *syntax.Regexp) (fastItem, bool) {
	switch re.Op {
	case syntax.OpLiteral:
		if re.Flags&syntax.FoldCase != 0 || len(re.Rune) == 0 {
			return fastItem{}, false
		}
		var b strings.Builder
		for _, r := range re.Rune {
			if !utf8.ValidRune(r) {
				return fastItem{}, false
			}
			b.WriteRune(r)
		}
		return fastItem{kind: fLit, lit: b.String()}, true
	case syntax.OpBeginText:
		return fastItem{kind: fBegin}, true
	case syntax.OpEndText:
		return fastItem{kind: fEnd}, true
	}
	return fastItem{}, false
}

// classOf turns a one-rune pattern into a byte class; ascii says it holds
// ASCII bytes only. It fails when the class holds some non-ASCII runes but
// not all.
func classOf(re *syntax.Regexp) (*byteClass, bool, bool) {
	var ranges []rune
	switch re.Op {
	case syntax.OpCharClass:
		ranges = re.Rune
	case syntax.OpAnyChar:
		ranges = []rune{0, utf8.MaxRune}
	case syntax.OpAnyCharNotNL:
		ranges = []rune{0, '\n' - 1, '\n' + 1, utf8.MaxRune}
	case syntax.OpLiteral:
		if re.Flags&syntax.FoldCase != 0 || len(re.Rune) != 1 {
			return nil, false, false
		}
		ranges = []rune{re.Rune[0], re.Rune[0]}
	default:
		return nil, false, false
	}
	c := &byteClass{}
	high := false // holds [0x80, MaxRune]
	for i := 0; i+1 < len(ranges); i += 2 {
		lo, hi := ranges[i], ranges[i+1]
		for r := lo; r <= hi && r < utf8.RuneSelf; r++ {
			c[r] = true
		}
		if hi >= utf8.RuneSelf {
			if lo > utf8.RuneSelf || hi != utf8.MaxRune {
				return nil, false, false // some non-ASCII runes, not all
			}
			high = true
		}
	}
	if high {
		for b := utf8.RuneSelf; b < 256; b++ {
			c[b] = true
		}
	}
	return c, !high, true
}

// deterministic checks that no variable-length class run could need to
// give bytes back: what follows it cannot start with a byte it holds.
func (f *fastRegex) deterministic() bool {
	for i, it := range f.items {
		if it.kind != fClass || it.min == it.max {
			continue
		}
		first, ok := f.firstBytes(i + 1)
		if !ok {
			return false
		}
		for b := range 256 {
			if first[b] && it.class[b] {
				return false
			}
		}
	}
	return true
}

// firstBytes is the set of bytes the items from i on can start with; false
// when it is not simply known (a ^ or a class that may be empty follows).
func (f *fastRegex) firstBytes(i int) (byteClass, bool) {
	var set byteClass
	for ; i < len(f.items); i++ {
		it := f.items[i]
		switch it.kind {
		case fCapOpen, fCapClose:
			continue
		case fEnd:
			return set, true // matches only at the end: no byte follows
		case fBegin:
			return set, false
		case fLit:
			set[it.lit[0]] = true
			return set, true
		case fClass:
			if it.min == 0 {
				return set, false
			}
			return *it.class, true
		case fAlt:
			for _, a := range it.alts {
				switch a.kind {
				case fLit:
					set[a.lit[0]] = true
				case fBegin:
					return set, false
				}
				// fEnd adds no byte.
			}
			return set, true
		}
	}
	return set, true
}

// findAnchor picks the literal that finds candidate starts: the first one
// at a bounded offset from the start of a match.
func (f *fastRegex) findAnchor() bool {
	lo, hi := 0, 0
	for i, it := range f.items {
		switch it.kind {
		case fBegin:
			if i == 0 || (lo == 0 && hi == 0) {
				f.begin = true
				return true
			}
		case fLit:
			f.anchor, f.minOff, f.maxOff = it.lit, lo, hi
			return true
		case fClass:
			if it.max < 0 {
				return false
			}
			lo, hi = lo+it.min, hi+it.max
		case fAlt:
			amin, amax := -1, 0
			for _, a := range it.alts {
				w := len(a.lit)
				if amin < 0 || w < amin {
					amin = w
				}
				amax = max(amax, w)
			}
			lo, hi = lo+amin, hi+amax
		}
	}
	return false // no literal: every position would be a candidate
}

// find looks for the leftmost-first match of f in v and fills caps (2 ×
// (ncap+1) ints) as regexp's FindStringSubmatchIndex does; false when
// there is none.
func (f *fastRegex) find(v string, caps []int) bool {
	if f.begin {
		return f.matchAt(v, 0, caps)
	}
	tried := -1 // the largest start tried
	for from := 0; from <= len(v); {
		i := strings.Index(v[from:], f.anchor)
		if i < 0 {
			return false
		}
		p := from + i
		for s := max(tried+1, p-f.maxOff, 0); s <= p-f.minOff; s++ {
			if f.matchAt(v, s, caps) {
				return true
			}
		}
		tried = max(tried, p-f.minOff)
		from = p + 1
	}
	return false
}

// matchAt matches the whole pattern starting at s.
func (f *fastRegex) matchAt(v string, s int, caps []int) bool {
	for i := range caps {
		caps[i] = -1
	}
	caps[0] = s
	return f.match(v, 0, s, caps)
}

// match matches items[i:] at pos, backtracking only over alternations.
func (f *fastRegex) match(v string, i, pos int, caps []int) bool {
	for ; i < len(f.items); i++ {
		it := &f.items[i]
		switch it.kind {
		case fLit:
			if !strings.HasPrefix(v[pos:], it.lit) {
				return false
			}
			pos += len(it.lit)
		case fClass:
			n := 0
			for pos+n < len(v) && (it.max < 0 || n < it.max) && it.class[v[pos+n]] {
				n++
			}
			if n < it.min {
				return false
			}
			pos += n
		case fBegin:
			if pos != 0 {
				return false
			}
		case fEnd:
			if pos != len(v) {
				return false
			}
		case fCapOpen, fCapClose:
			k := 2 * it.cap
			if it.kind == fCapClose {
				k++
			}
			old := caps[k]
			caps[k] = pos
			if f.match(v, i+1, pos, caps) {
				return true
			}
			caps[k] = old
			return false
		case fAlt:
			for _, a := range it.alts {
				next := pos
				switch a.kind {
				case fLit:
					if !strings.HasPrefix(v[pos:], a.lit) {
						continue
					}
					next += len(a.lit)
				case fBegin:
					if pos != 0 {
						continue
					}
				case fEnd:
					if pos != len(v) {
						continue
					}
				}
				if f.match(v, i+1, next, caps) {
					return true
				}
			}
			return false
		}
	}
	caps[1] = pos
	return true
}
