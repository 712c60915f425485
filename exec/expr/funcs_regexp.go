package expr

// Regular-expression functions, with Go's RE2 syntax (no backreferences or
// lookaround; otherwise close to Java's). A constant pattern is compiled
// once, and an invalid one is a planning error; a pattern that varies per
// row is compiled through a small cache.

import (
	"fmt"
	"regexp"
	"regexp/syntax"
	"strings"

	"github.com/apache/arrow/go/v17/arrow"

	"github.com/weirsql/weir/sqltypes"
)

func init() {
	vc := sqltypes.Varchar
	register(
		&Func{Name: "REGEXP_EXTRACT", Doc: "REGEXP_EXTRACT(s, regex[, group]) → VARCHAR: the text of capture group `group` (default 0, the whole match) of the first match of regex in s; NULL if there is no match or no such group.",
			Resolve: sig("REGEXP_EXTRACT", vc, 2, false, kStr, kStr, kInt), New: newRegexpExtract},
		&Func{Name: "REGEXP_REPLACE", Doc: "REGEXP_REPLACE(s, regex, replacement) → VARCHAR: s with every match of regex replaced; $1 in replacement is capture group 1.",
			Resolve: sig("REGEXP_REPLACE", vc, 3, false, kStr, kStr, kStr), New: newRegexpReplace},
		&Func{Name: "REGEXP", Doc: "REGEXP(s, regex) → BOOLEAN: whether some part of s matches regex.",
			Resolve: sig("REGEXP", sqltypes.Boolean, 2, false, kStr, kStr), New: newRegexp},
	)
}

// regexCache compiles patterns: a constant one once, others on demand into a
// map that lives for one evaluation (see get).
type regexCache struct {
	fixed *regexp.Regexp
	// fast matches fixed without the regexp engine when the pattern is
	// simple enough (see regexp_fast.go); nil otherwise.
	fast *fastRegex
	// required is a literal every match of fixed contains ("" if none is
	// known): text without it cannot match, which skips the regexp engine.
	required string
}

// mark flags a regular-expression function node as costly (see isCostly)
// unless its pattern takes the fast matcher, which costs less than
// selecting the rows that need it.
func (c *regexCache) mark(e Expr) Expr {
	if c.fast != nil {
		return e
	}
	return markCostly(e)
}

// newRegexCache compiles a literal pattern argument now.
func newRegexCache(name string, pattern Expr) (*regexCache, error) {
	c := &regexCache{}
	if s, ok := IsLiteral(pattern); ok && s.IsValid() {
		re, err := compileRegex(litString(s))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		c.fixed = re
		c.fast = compileFast(re.String())
		c.required = requiredLiteral(re.String())
	}
	return c, nil
}

func compileRegex(p string) (*regexp.Regexp, error) {
	re, err := regexp.Compile(p)
	if err != nil {
		return nil, fmt.Errorf("invalid regular expression %s: %v", quoteSQL(p), strings.TrimPrefix(err.Error(), "error parsing regexp: "))
	}
	return re, nil
}

// get returns the compiled pattern; the map is per evaluation, so no
// locking is needed.
func (c *regexCache) get(local map[string]*regexp.Regexp, p string) (*regexp.Regexp, error) {
	if c.fixed != nil {
		return c.fixed, nil
	}
	if re, ok := local[p]; ok {
		return re, nil
	}
	re, err := compileRegex(p)
	if err != nil {
		return nil, Errorf("%s", err)
	}
	if len(local) >= 64 {
		clear(local)
	}
	local[p] = re
	return re, nil
}

func newRegexpExtract(args []Expr, ret arrow.DataType) (Expr, error) {
	rc, err := newRegexCache("REGEXP_EXTRACT", args[1])
	if err != nil {
		return nil, err
	}
	if len(args) == 3 && rc.fixed != nil {
		if g, ok := IsLiteral(args[2]); ok && g.IsValid() {
			if k := litValue[int64](g); k < 0 || k > int64(rc.fixed.NumSubexp()) {
				return nil, fmt.Errorf("REGEXP_EXTRACT: group %d does not exist in %s", k, quoteSQL(rc.fixed.String()))
			}
		}
	}
	e := rc.mark(newFunc("REGEXP_EXTRACT", args, ret, rc.fixed == nil, func(ctx *Context, ops []operand, n int) (arrow.Array, error) {
		s, p := newStrArg(ops[0]), newStrArg(ops[1])
		group := numArg[int64]{isConst: true}
		if len(ops) == 3 {
			group = newNumArg[int64](ops[2])
		}
		local := map[string]*regexp.Regexp{}
		var caps []int
		if rc.fast != nil {
			caps = make([]int, 2*(rc.fast.ncap+1))
		}
		return buildStr(ctx.Mem, n, func(i int, dst []byte) ([]byte, bool, error) {
			v, ok1 := s.get(i)
			pat, ok2 := p.get(i)
			g, ok3 := group.get(i)
			if !ok1 || !ok2 || !ok3 {
				return dst, false, nil
			}
			if rc.fast != nil {
				if g < 0 || g > int64(rc.fast.ncap) || !rc.fast.find(v, caps) || caps[2*g] < 0 {
					return dst, false, nil
				}
				return append(dst, v[caps[2*g]:caps[2*g+1]]...), true, nil
			}
			re, err := rc.get(local, pat)
			if err != nil {
				return dst, false, err
			}
			if g < 0 || g > int64(re.NumSubexp()) {
				return dst, false, nil
			}
			if re == rc.fixed && rc.required != "" && !strings.Contains(v, rc.required) {
				return dst, false, nil
			}
			m := re.FindStringSubmatchIndex(v)
			if m == nil || m[2*g] < 0 {
				return dst, false, nil
			}
			return append(dst, v[m[2*g]:m[2*g+1]]...), true, nil
		})
	}))
	if f, ok := e.(*funcExpr); ok && rc.fast != nil {
		// IS [NOT] NULL: whether the group matched, without copying it.
		f.nullness = func(ctx *Context, ops []operand, n int, notNull bool) (arrow.Array, error) {
			s := newStrArg(ops[0])
			group := numArg[int64]{isConst: true}
			if len(ops) == 3 {
				group = newNumArg[int64](ops[2])
			}
			caps := make([]int, 2*(rc.fast.ncap+1))
			return buildBool(ctx.Mem, n, func(i int) (bool, bool, error) {
				v, ok1 := s.get(i)
				g, ok2 := group.get(i)
				found := ok1 && ok2 && g >= 0 && g <= int64(rc.fast.ncap) && rc.fast.find(v, caps) && caps[2*g] >= 0
				return found == notNull, true, nil
			})
		}
	}
	return e, nil
}

// javaReplacement converts a Java replacement string ($1, \$) to Go's
// template syntax (${1}, $$).
func javaReplacement(r string) string {
	if !strings.ContainsAny(r, `$\`) {
		return r
	}
	var b strings.Builder
	for i := 0; i < len(r); i++ {
		c := r[i]
		switch {
		case c == '\\' && i+1 < len(r):
			i++
			if r[i] == '$' {
				b.WriteString("$$")
			} else {
				b.WriteByte(r[i])
			}
		case c == '$' && i+1 < len(r) && r[i+1] >= '0' && r[i+1] <= '9':
			j := i + 1
			for j < len(r) && r[j] >= '0' && r[j] <= '9' {
				j++
			}
			b.WriteString("${" + r[i+1:j] + "}")
			i = j - 1
		case c == '$' && i+1 < len(r) && r[i+1] == '{':
			b.WriteByte('$') // ${name}: same in both
		case c == '$':
			b.WriteString("$$")
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func newRegexpReplace(args []Expr, ret arrow.DataType) (Expr, error) {
	rc, err := newRegexCache("REGEXP_REPLACE", args[1])
	if err != nil {
		return nil, err
	}
	// Replacing always runs the regexp engine (the fast matcher finds one
	// match, not all), so it is costly whatever the pattern.
	return markCostly(newFunc("REGEXP_REPLACE", args, ret, rc.fixed == nil, func(ctx *Context, ops []operand, n int) (arrow.Array, error) {
		ss := strArgs(ops)
		local := map[string]*regexp.Regexp{}
		var lastRepl, lastTmpl string
		return buildStr(ctx.Mem, n, func(i int, dst []byte) ([]byte, bool, error) {
			v, ok1 := ss[0].get(i)
			pat, ok2 := ss[1].get(i)
			repl, ok3 := ss[2].get(i)
			if !ok1 || !ok2 || !ok3 {
				return dst, false, nil
			}
			re, err := rc.get(local, pat)
			if err != nil {
				return dst, false, err
			}
			if repl != lastRepl || lastTmpl == "" {
				lastRepl, lastTmpl = repl, javaReplacement(repl)
			}
			// Expand matches into dst without building intermediate strings.
			last := 0
			for _, m := range re.FindAllStringSubmatchIndex(v, -1) {
				dst = append(dst, v[last:m[0]]...)
				dst = re.ExpandString(dst, lastTmpl, v, m)
				last = m[1]
			}
			return append(dst, v[last:]...), true, nil
		})
	})), nil
}

func newRegexp(args []Expr, ret arrow.DataType) (Expr, error) {
	rc, err := newRegexCache("REGEXP", args[1])
	if err != nil {
		return nil, err
	}
	return rc.mark(newFunc("REGEXP", args, ret, rc.fixed == nil, func(ctx *Context, ops []operand, n int) (arrow.Array, error) {
		ss := strArgs(ops)
		local := map[string]*regexp.Regexp{}
		var caps []int
		if rc.fast != nil {
			caps = make([]int, 2*(rc.fast.ncap+1))
		}
		return buildBool(ctx.Mem, n, func(i int) (bool, bool, error) {
			v, ok1 := ss[0].get(i)
			pat, ok2 := ss[1].get(i)
			if !ok1 || !ok2 {
				return false, false, nil
			}
			if rc.fast != nil {
				return rc.fast.find(v, caps), true, nil
			}
			re, err := rc.get(local, pat)
			if err != nil {
				return false, false, err
			}
			return re.MatchString(v), true, nil
		})
	})), nil
}

// requiredLiteral returns the longest case-sensitive literal that every
// match of pattern must contain: a literal of the pattern's top-level
// concatenation (or the whole pattern when it is a literal). It returns ""
// when there is none, or the pattern does not parse.
func requiredLiteral(pattern string) string {
	re, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		return ""
	}
	re = re.Simplify()
	lit := func(r *syntax.Regexp) string {
		if r.Op == syntax.OpLiteral && r.Flags&syntax.FoldCase == 0 {
			return string(r.Rune)
		}
		return ""
	}
	switch re.Op {
	case syntax.OpLiteral:
		return lit(re)
	case syntax.OpConcat:
		best := ""
		for _, sub := range re.Sub {
			if l := lit(sub); len(l) > len(best) {
				best = l
			}
		}
		return best
	}
	return ""
}
