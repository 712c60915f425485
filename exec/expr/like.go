package expr

// LIKE with % (any run of characters) and _ (one character). A constant
// pattern is compiled once into the cheapest matcher that serves it: exact
// equality, prefix, suffix, substring, prefix and suffix, or a general
// segment matcher. A pattern that varies per row is compiled per distinct
// pattern through a small cache.

import (
	"fmt"
	"github.com/weirsql/weir/internal/arrowbuf"
	"strings"
	"unicode/utf8"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/weirsql/weir/sqltypes"
)

type likeExpr struct {
	x, pattern Expr
	escape     rune
	not        bool
	m          *likeMatcher // for a constant pattern
}

var _ Expr = (*likeExpr)(nil)

// NewLike returns x LIKE pattern [ESCAPE escape], or NOT LIKE when not is
// set. % matches any run of characters (runes), _ exactly one; escape
// (0 for none) before %, _ or itself makes it literal. Matching is case
// sensitive. A constant pattern is checked and compiled here; an invalid
// one is an error.
func NewLike(x, pattern Expr, escape rune, not bool) (Expr, error) {
	var err error
	for _, p := range []*Expr{&x, &pattern} {
		switch (*p).DataType().ID() {
		case arrow.STRING:
		case arrow.NULL:
			if *p, err = coerce(*p, sqltypes.Varchar); err != nil {
				return nil, err
			}
		default:
			return nil, fmt.Errorf("cannot apply LIKE to %s", sqltypes.Name((*p).DataType()))
		}
	}
	e := &likeExpr{x: x, pattern: pattern, escape: escape, not: not}
	if s, ok := IsLiteral(pattern); ok && s.IsValid() {
		if e.m, err = compileLike(litString(s), escape); err != nil {
			return nil, err
		}
	}
	return foldConstant(e), nil
}

func (e *likeExpr) DataType() arrow.DataType { return sqltypes.Boolean }
func (e *likeExpr) children() []Expr         { return []Expr{e.x, e.pattern} }
func (e *likeExpr) fallible() bool           { return e.m == nil } // a row's pattern may be invalid

func (e *likeExpr) String() string {
	op := " LIKE "
	if e.not {
		op = " NOT LIKE "
	}
	s := parenthesize(e.x) + op + parenthesize(e.pattern)
	if e.escape != 0 {
		s += " ESCAPE " + quoteSQL(string(e.escape))
	}
	return s
}

func (e *likeExpr) Eval(ctx *Context, batch arrow.Record) (arrow.Array, error) {
	n := int(batch.NumRows())
	x, err := evalOperand(ctx, e.x, batch)
	if err != nil {
		return nil, err
	}
	defer x.release()
	p, err := evalOperand(ctx, e.pattern, batch)
	if err != nil {
		return nil, err
	}
	defer p.release()
	if x.isNullLit() || p.isNullLit() {
		return nullArray(ctx.Mem, sqltypes.Boolean, n), nil
	}
	if e.m != nil && x.arr != nil {
		return e.likeConst(ctx.Mem, x.arr.(*array.String), n), nil
	}
	xs, ps := newStrArg(x), newStrArg(p)
	out := newBoolOut(ctx.Mem, n)
	cache := map[string]*likeMatcher{}
	for i := 0; i < n; i++ {
		s, ok1 := xs.get(i)
		pat, ok2 := ps.get(i)
		if !ok1 || !ok2 {
			out.setNull(i)
			continue
		}
		m := e.m
		if m == nil {
			if m = cache[pat]; m == nil {
				if m, err = compileLike(pat, e.escape); err != nil {
					out.release()
					return nil, Errorf("%s", err)
				}
				if len(cache) >= 64 {
					clear(cache)
				}
				cache[pat] = m
			}
		}
		out.set(i, m.match(s) != e.not)
	}
	return out.finish(), nil
}

// likeConst matches a column against the compiled constant pattern.
func (e *likeExpr) likeConst(mem memory.Allocator, a *array.String, n int) arrow.Array {
	vals, out := arrowbuf.AllocBits(mem, n)
	m, not := e.m, e.not
	switch m.kind {
	case likeContains:
		for i := 0; i < n; i++ {
			setBit(out, i, strings.Contains(a.Value(i), m.lit) != not)
		}
	case likePrefix:
		for i := 0; i < n; i++ {
			setBit(out, i, strings.HasPrefix(a.Value(i), m.lit) != not)
		}
	case likeSuffix:
		for i := 0; i < n; i++ {
			setBit(out, i, strings.HasSuffix(a.Value(i), m.lit) != not)
		}
	case likeExact:
		for i := 0; i < n; i++ {
			setBit(out, i, (a.Value(i) == m.lit) != not)
		}
	default:
		for i := 0; i < n; i++ {
			setBit(out, i, m.match(a.Value(i)) != not)
		}
	}
	return newArray(sqltypes.Boolean, n, shareValidity(mem, a), vals)
}

type likeKind int

const (
	likeGeneral  likeKind = iota
	likeExact             // 'abc'
	likePrefix            // 'abc%'
	likeSuffix            // '%abc'
	likeContains          // '%abc%'
	likeAll               // '%'
	likePreSuf            // 'ab%yz'
)

// likeMatcher is a compiled LIKE pattern: segments separated by %, each a
// sequence of literal text and _ wildcards.
type likeMatcher struct {
	kind     likeKind
	lit      string // exact, prefix, suffix, contains: the literal
	pre, suf string // likePreSuf
	segs     []likeSeg
	// whether the pattern starts or ends with %
	openStart, openEnd bool
}

// likeSeg is a run of the pattern between % signs.
type likeSeg []likePart

// likePart is literal text (any == 0) or any _ wildcards (lit == "").
type likePart struct {
	lit string
	any int
}

func (s likeSeg) hasAny() bool {
	for _, p := range s {
		if p.any > 0 {
			return true
		}
	}
	return false
}

// compileLike parses a pattern into segments between % signs.
func compileLike(pattern string, escape rune) (*likeMatcher, error) {
	m := &likeMatcher{}
	var cur likeSeg
	var lit strings.Builder
	flushLit := func() {
		if lit.Len() > 0 {
			cur = append(cur, likePart{lit: lit.String()})
			lit.Reset()
		}
	}
	pct := 0 // number of % signs
	first := true
	for i := 0; i < len(pattern); {
		r, w := utf8.DecodeRuneInString(pattern[i:])
		i += w
		m.openEnd = false
		switch {
		case escape != 0 && r == escape:
			if i >= len(pattern) {
				return nil, fmt.Errorf("invalid LIKE pattern %s: escape character at the end", quoteSQL(pattern))
			}
			r2, w2 := utf8.DecodeRuneInString(pattern[i:])
			if r2 != '%' && r2 != '_' && r2 != escape {
				return nil, fmt.Errorf("invalid LIKE pattern %s: escape character must be followed by %%, _ or itself", quoteSQL(pattern))
			}
			i += w2
			lit.WriteRune(r2)
		case r == '%':
			flushLit()
			if first {
				m.openStart = true
			}
			if len(cur) > 0 {
				m.segs = append(m.segs, cur)
			}
			cur = nil
			pct++
			m.openEnd = true
		case r == '_':
			flushLit()
			if n := len(cur); n > 0 && cur[n-1].any > 0 {
				cur[n-1].any++
			} else {
				cur = append(cur, likePart{any: 1})
			}
		default:
			lit.WriteRune(r)
		}
		first = false
	}
	flushLit()
	if len(cur) > 0 || pct == 0 {
		m.segs = append(m.segs, cur)
	}
	m.classify(pct)
	return m, nil
}

// classify picks a fast path for simple patterns.
func (m *likeMatcher) classify(pct int) {
	for _, s := range m.segs {
		if s.hasAny() {
			return
		}
	}
	text := func(s likeSeg) string {
		if len(s) == 0 {
			return ""
		}
		return s[0].lit
	}
	switch {
	case pct == 0:
		m.kind, m.lit = likeExact, text(m.segs[0])
	case len(m.segs) == 0:
		m.kind = likeAll
	case len(m.segs) == 1 && m.openStart && m.openEnd:
		m.kind, m.lit = likeContains, text(m.segs[0])
	case len(m.segs) == 1 && m.openEnd:
		m.kind, m.lit = likePrefix, text(m.segs[0])
	case len(m.segs) == 1 && m.openStart:
		m.kind, m.lit = likeSuffix, text(m.segs[0])
	case len(m.segs) == 2 && !m.openStart && !m.openEnd:
		m.kind, m.pre, m.suf = likePreSuf, text(m.segs[0]), text(m.segs[1])
	}
}

// match reports whether s matches the pattern.
func (m *likeMatcher) match(s string) bool {
	switch m.kind {
	case likeAll:
		return true
	case likeExact:
		return s == m.lit
	case likePrefix:
		return strings.HasPrefix(s, m.lit)
	case likeSuffix:
		return strings.HasSuffix(s, m.lit)
	case likeContains:
		return strings.Contains(s, m.lit)
	case likePreSuf:
		return len(s) >= len(m.pre)+len(m.suf) && strings.HasPrefix(s, m.pre) && strings.HasSuffix(s, m.suf)
	}
	segs := m.segs
	if len(segs) == 0 {
		return true
	}
	if !m.openStart && !m.openEnd && len(segs) == 1 {
		end, ok := segs[0].matchAt(s, 0)
		return ok && end == len(s)
	}
	lo, hi := 0, len(s)
	if !m.openStart {
		end, ok := segs[0].matchAt(s, 0)
		if !ok {
			return false
		}
		lo = end
		segs = segs[1:]
	}
	if !m.openEnd {
		if len(segs) == 0 {
			return lo == len(s)
		}
		start, ok := segs[len(segs)-1].matchEnd(s[lo:])
		if !ok {
			return false
		}
		hi = lo + start
		segs = segs[:len(segs)-1]
	}
	for _, seg := range segs {
		end, ok := seg.find(s[:hi], lo)
		if !ok {
			return false
		}
		lo = end
	}
	return lo <= hi
}

// matchAt matches the segment at byte i of s and returns where it ends.
func (seg likeSeg) matchAt(s string, i int) (int, bool) {
	for _, p := range seg {
		if p.any > 0 {
			for k := 0; k < p.any; k++ {
				if i >= len(s) {
					return 0, false
				}
				_, w := utf8.DecodeRuneInString(s[i:])
				i += w
			}
			continue
		}
		if !strings.HasPrefix(s[i:], p.lit) {
			return 0, false
		}
		i += len(p.lit)
	}
	return i, true
}

// matchEnd matches the segment at the end of s and returns where it starts.
func (seg likeSeg) matchEnd(s string) (int, bool) {
	j := len(s)
	for k := len(seg) - 1; k >= 0; k-- {
		p := seg[k]
		if p.any > 0 {
			for c := 0; c < p.any; c++ {
				if j <= 0 {
					return 0, false
				}
				_, w := utf8.DecodeLastRuneInString(s[:j])
				j -= w
			}
			continue
		}
		if !strings.HasSuffix(s[:j], p.lit) {
			return 0, false
		}
		j -= len(p.lit)
	}
	return j, true
}

// find returns the end of the leftmost match of the segment in s at or
// after byte from. The leftmost match is always safe to take: a segment
// matches a fixed number of runes, so starting earlier never ends later.
func (seg likeSeg) find(s string, from int) (int, bool) {
	if len(seg) > 0 && seg[0].any == 0 {
		lit := seg[0].lit
		for from <= len(s) {
			k := strings.Index(s[from:], lit)
			if k < 0 {
				return 0, false
			}
			if end, ok := seg.matchAt(s, from+k); ok {
				return end, true
			}
			_, w := utf8.DecodeRuneInString(s[from+k:])
			from += k + max(w, 1)
		}
		return 0, false
	}
	for from <= len(s) {
		if end, ok := seg.matchAt(s, from); ok {
			return end, true
		}
		if from == len(s) {
			break
		}
		_, w := utf8.DecodeRuneInString(s[from:])
		from += w
	}
	return 0, false
}
