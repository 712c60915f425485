package expr

// String functions and the || operator. Lengths and positions count
// characters (runes), not bytes.

import (
	"math"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/weirsql/weir/internal/arrowbuf"
	"github.com/weirsql/weir/sqltypes"
)

func init() {
	vc, in := sqltypes.Varchar, sqltypes.Int
	register(
		&Func{Name: "LOWER", Doc: "LOWER(s) → VARCHAR: s in lower case.",
			Resolve: sig("LOWER", vc, 1, false, kStr), New: caseMap("LOWER", appendLower, 'A', 'Z')},
		&Func{Name: "UPPER", Doc: "UPPER(s) → VARCHAR: s in upper case.",
			Resolve: sig("UPPER", vc, 1, false, kStr), New: caseMap("UPPER", appendUpper, 'a', 'z')},
		&Func{Name: "INITCAP", Doc: "INITCAP(s) → VARCHAR: s with the first letter of each word (run of letters and digits) in upper case and the rest in lower case.",
			Resolve: sig("INITCAP", vc, 1, false, kStr), New: strMap("INITCAP", appendInitcap)},
		&Func{Name: "REVERSE", Doc: "REVERSE(s) → VARCHAR: the characters of s in reverse order.",
			Resolve: sig("REVERSE", vc, 1, false, kStr), New: strMap("REVERSE", appendReverse)},
		&Func{Name: "CHAR_LENGTH", Doc: "CHAR_LENGTH(s) → INT: the number of characters in s.",
			Resolve: sig("CHAR_LENGTH", in, 1, false, kStr), New: newCharLength},
		&Func{Name: "SUBSTRING", Doc: "SUBSTRING(s, start[, len]) → VARCHAR: len characters of s from position start (1-based); positions before 1 count toward len, as in standard SQL; a negative len is an error. Also SUBSTRING(s FROM start FOR len).",
			Resolve: sig("SUBSTRING", vc, 2, false, kStr, kInt, kInt), New: newSubstring},
		&Func{Name: "TRIM", Doc: "TRIM(s[, chars]) → VARCHAR: s without leading and trailing characters in chars (default a space). Also TRIM([BOTH|LEADING|TRAILING] [chars] FROM s).",
			Resolve: sig("TRIM", vc, 1, false, kStr, kStr), New: newTrim("TRIM", strings.Trim)},
		&Func{Name: "LTRIM", Doc: "LTRIM(s[, chars]) → VARCHAR: s without leading characters in chars (default a space).",
			Resolve: sig("LTRIM", vc, 1, false, kStr, kStr), New: newTrim("LTRIM", strings.TrimLeft)},
		&Func{Name: "RTRIM", Doc: "RTRIM(s[, chars]) → VARCHAR: s without trailing characters in chars (default a space).",
			Resolve: sig("RTRIM", vc, 1, false, kStr, kStr), New: newTrim("RTRIM", strings.TrimRight)},
		&Func{Name: "CONCAT", Doc: "CONCAT(s, ...) → VARCHAR: the arguments (cast to VARCHAR) joined; NULL if any is NULL.",
			Resolve: sig("CONCAT", vc, 1, true, kAnyStr), New: newConcatFunc},
		&Func{Name: "CONCAT_WS", Doc: "CONCAT_WS(sep, s, ...) → VARCHAR: the non-NULL arguments (cast to VARCHAR) joined with sep; NULL if sep is NULL.",
			Resolve: sig("CONCAT_WS", vc, 2, true, kStr, kAnyStr), New: newConcatWS},
		&Func{Name: "REPLACE", Doc: "REPLACE(s, from, to) → VARCHAR: s with every occurrence of from replaced by to (s itself when from is empty).",
			Resolve: sig("REPLACE", vc, 3, false, kStr, kStr, kStr), New: newReplace},
		&Func{Name: "POSITION", Doc: "POSITION(needle, haystack) → INT: the 1-based character position of the first needle in haystack, 0 if absent. Also POSITION(needle IN haystack).",
			Resolve: sig("POSITION", in, 2, false, kStr, kStr), New: newPosition},
		&Func{Name: "LEFT", Doc: "LEFT(s, n) → VARCHAR: the first n characters of s ('' when n ≤ 0).",
			Resolve: sig("LEFT", vc, 2, false, kStr, kInt), New: newLeftRight("LEFT", true)},
		&Func{Name: "RIGHT", Doc: "RIGHT(s, n) → VARCHAR: the last n characters of s ('' when n ≤ 0).",
			Resolve: sig("RIGHT", vc, 2, false, kStr, kInt), New: newLeftRight("RIGHT", false)},
		&Func{Name: "LPAD", Doc: "LPAD(s, len, pad) → VARCHAR: s left-padded with pad to len characters, or cut to len; NULL when len < 0 or pad is empty.",
			Resolve: sig("LPAD", vc, 3, false, kStr, kInt, kStr), New: newPad("LPAD", true)},
		&Func{Name: "RPAD", Doc: "RPAD(s, len, pad) → VARCHAR: s right-padded with pad to len characters, or cut to len; NULL when len < 0 or pad is empty.",
			Resolve: sig("RPAD", vc, 3, false, kStr, kInt, kStr), New: newPad("RPAD", false)},
		&Func{Name: "REPEAT", Doc: "REPEAT(s, n) → VARCHAR: s repeated n times ('' when n ≤ 0).",
			Resolve: sig("REPEAT", vc, 2, false, kStr, kInt), New: newRepeat},
		&Func{Name: "SPLIT_INDEX", Doc: "SPLIT_INDEX(s, delim, index) → VARCHAR: the index-th (0-based) piece of s split at delim; NULL when index is out of range.",
			Resolve: sig("SPLIT_INDEX", vc, 3, false, kStr, kStr, kInt), New: newSplitIndex},
		&Func{Name: "STARTS_WITH", Doc: "STARTS_WITH(s, prefix) → BOOLEAN: whether s begins with prefix.",
			Resolve: sig("STARTS_WITH", sqltypes.Boolean, 2, false, kStr, kStr), New: newAffix("STARTS_WITH", strings.HasPrefix)},
		&Func{Name: "ENDS_WITH", Doc: "ENDS_WITH(s, suffix) → BOOLEAN: whether s ends with suffix.",
			Resolve: sig("ENDS_WITH", sqltypes.Boolean, 2, false, kStr, kStr), New: newAffix("ENDS_WITH", strings.HasSuffix)},
	)
	alias("CHARACTER_LENGTH", "CHAR_LENGTH")
	alias("LENGTH", "CHAR_LENGTH")
}

type newFn = func(args []Expr, ret arrow.DataType) (Expr, error)

// strMap makes a VARCHAR → VARCHAR function from an appending transform.
func strMap(name string, f func(dst []byte, s string) []byte) newFn {
	return func(args []Expr, ret arrow.DataType) (Expr, error) {
		return newFunc(name, args, ret, false, func(ctx *Context, ops []operand, n int) (arrow.Array, error) {
			s := newStrArg(ops[0])
			return buildStr(ctx.Mem, n, func(i int, dst []byte) ([]byte, bool, error) {
				v, ok := s.get(i)
				if !ok {
					return dst, false, nil
				}
				return f(dst, v), true, nil
			})
		}), nil
	}
}

// caseMap is LOWER or UPPER: f per value, or, when the batch's text is all
// ASCII, one pass over its bytes that flips the case of lo..hi and keeps
// the offsets and validity (shared with the input, not copied).
func caseMap(name string, f func(dst []byte, s string) []byte, lo, hi byte) newFn {
	perValue := strMap(name, f)
	return func(args []Expr, ret arrow.DataType) (Expr, error) {
		e, err := perValue(args, ret)
		if err != nil {
			return nil, err
		}
		fe, ok := e.(*funcExpr)
		if !ok {
			return e, nil // folded
		}
		slow := fe.k
		fe.k = func(ctx *Context, ops []operand, n int) (arrow.Array, error) {
			if a, ok := ops[0].arr.(*array.String); ok {
				if out, ok := asciiCaseMap(ctx.Mem, a, lo, hi); ok {
					return out, nil
				}
			}
			return slow(ctx, ops, n)
		}
		return fe, nil
	}
}

// asciiCaseMap flips the case of the bytes lo..hi of a, if its text is all
// ASCII (false otherwise).
func asciiCaseMap(mem memory.Allocator, a *array.String, lo, hi byte) (arrow.Array, bool) {
	d := a.Data()
	offs := a.ValueOffsets()
	if len(offs) == 0 {
		return nil, false
	}
	first, last := int(offs[0]), int(offs[len(offs)-1])
	src := a.ValueBytes() // bytes first..last of the data buffer
	if len(src) != last-first || d.Buffers()[1] == nil {
		return nil, false
	}
	for _, c := range src {
		if c >= utf8.RuneSelf {
			return nil, false
		}
	}
	buf, dst := arrowbuf.AllocValues[byte](mem, last)
	out := dst[first:last]
	for i, c := range src {
		if lo <= c && c <= hi {
			c ^= 0x20
		}
		out[i] = c
	}
	// The validity and offsets buffers are shared (NewData retains them);
	// the data buffer holds the mapped bytes at the same positions.
	bufs := d.Buffers()
	nd := array.NewData(d.DataType(), d.Len(), []*memory.Buffer{bufs[0], bufs[1], buf}, nil, d.NullN(), d.Offset())
	buf.Release()
	res := array.MakeFromData(nd)
	nd.Release()
	return res, true
}

func appendLower(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf {
			for _, r := range s[i:] {
				dst = utf8.AppendRune(dst, unicode.ToLower(r))
			}
			return dst
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst = append(dst, c)
	}
	return dst
}

func appendUpper(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf {
			for _, r := range s[i:] {
				dst = utf8.AppendRune(dst, unicode.ToUpper(r))
			}
			return dst
		}
		if 'a' <= c && c <= 'z' {
			c -= 'a' - 'A'
		}
		dst = append(dst, c)
	}
	return dst
}

func appendInitcap(dst []byte, s string) []byte {
	inWord := false
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			if inWord {
				r = unicode.ToLower(r)
			} else {
				r = unicode.ToUpper(r)
			}
			inWord = true
		} else {
			inWord = false
		}
		dst = utf8.AppendRune(dst, r)
	}
	return dst
}

func appendReverse(dst []byte, s string) []byte {
	for j := len(s); j > 0; {
		_, w := utf8.DecodeLastRuneInString(s[:j])
		dst = append(dst, s[j-w:j]...)
		j -= w
	}
	return dst
}

func newCharLength(args []Expr, ret arrow.DataType) (Expr, error) {
	return newFunc("CHAR_LENGTH", args, ret, false, func(ctx *Context, ops []operand, n int) (arrow.Array, error) {
		s := newStrArg(ops[0])
		return buildFixed(ctx.Mem, ret, n, func(i int) (int32, bool, error) {
			v, ok := s.get(i)
			return int32(utf8.RuneCountInString(v)), ok, nil
		})
	}), nil
}

// runeRange returns the characters of s at 1-based positions [from, to).
func runeRange(s string, from, to int64) string {
	if from < 1 {
		from = 1
	}
	if to <= from || from > int64(len(s)) {
		return ""
	}
	start, end := -1, len(s)
	k := int64(1)
	for i := range s {
		if k == from {
			start = i
		}
		if k == to {
			end = i
			break
		}
		k++
	}
	if start < 0 {
		return ""
	}
	return s[start:end]
}

func newSubstring(args []Expr, ret arrow.DataType) (Expr, error) {
	return newFunc("SUBSTRING", args, ret, len(args) == 3, func(ctx *Context, ops []operand, n int) (arrow.Array, error) {
		s := newStrArg(ops[0])
		start := newNumArg[int64](ops[1])
		var length numArg[int64]
		hasLen := len(ops) == 3
		if hasLen {
			length = newNumArg[int64](ops[2])
		}
		return buildStr(ctx.Mem, n, func(i int, dst []byte) ([]byte, bool, error) {
			v, ok1 := s.get(i)
			from, ok2 := start.get(i)
			if !ok1 || !ok2 {
				return dst, false, nil
			}
			to := int64(math.MaxInt64)
			if hasLen {
				l, ok := length.get(i)
				if !ok {
					return dst, false, nil
				}
				if l < 0 {
					return dst, false, Errorf("negative substring length %d", l)
				}
				if from <= math.MaxInt64-l {
					to = from + l
				}
			}
			return append(dst, runeRange(v, from, to)...), true, nil
		})
	}), nil
}

func newTrim(name string, trim func(s, cutset string) string) newFn {
	return func(args []Expr, ret arrow.DataType) (Expr, error) {
		return newFunc(name, args, ret, false, func(ctx *Context, ops []operand, n int) (arrow.Array, error) {
			s := newStrArg(ops[0])
			chars := strArg{isConst: true, c: " "}
			if len(ops) == 2 {
				chars = newStrArg(ops[1])
			}
			return buildStr(ctx.Mem, n, func(i int, dst []byte) ([]byte, bool, error) {
				v, ok1 := s.get(i)
				c, ok2 := chars.get(i)
				if !ok1 || !ok2 {
					return dst, false, nil
				}
				return append(dst, trim(v, c)...), true, nil
			})
		}), nil
	}
}

// ---------------------------------------------------------------------------
// || and CONCAT

type concatExpr struct{ l, r Expr }

var _ Expr = (*concatExpr)(nil)

func (e *concatExpr) DataType() arrow.DataType { return sqltypes.Varchar }
func (e *concatExpr) String() string           { return binaryString(Concat, e.l, e.r) }
func (e *concatExpr) children() []Expr         { return []Expr{e.l, e.r} }
func (e *concatExpr) fallible() bool           { return false }

func (e *concatExpr) Eval(ctx *Context, batch arrow.Record) (arrow.Array, error) {
	ops, err := evalOperands(ctx, []Expr{e.l, e.r}, batch)
	if err != nil {
		return nil, err
	}
	defer releaseOperands(ops)
	return concatKernel(ctx, ops, int(batch.NumRows()))
}

// concatKernel joins its VARCHAR operands; NULL if any is NULL.
func concatKernel(ctx *Context, ops []operand, n int) (arrow.Array, error) {
	for _, o := range ops {
		if o.isNullLit() {
			return nullArray(ctx.Mem, sqltypes.Varchar, n), nil
		}
	}
	ss := strArgs(ops)
	return buildStr(ctx.Mem, n, func(i int, dst []byte) ([]byte, bool, error) {
		for k := range ss {
			v, ok := ss[k].get(i)
			if !ok {
				return dst, false, nil
			}
			dst = append(dst, v...)
		}
		return dst, true, nil
	})
}

func newConcatFunc(args []Expr, ret arrow.DataType) (Expr, error) {
	return newFunc("CONCAT", args, ret, false, concatKernel), nil
}

func newConcatWS(args []Expr, ret arrow.DataType) (Expr, error) {
	e := &funcExpr{name: "CONCAT_WS", args: args, typ: ret, k: func(ctx *Context, ops []operand, n int) (arrow.Array, error) {
		if ops[0].isNullLit() {
			return nullArray(ctx.Mem, sqltypes.Varchar, n), nil
		}
		ss := strArgs(ops)
		return buildStr(ctx.Mem, n, func(i int, dst []byte) ([]byte, bool, error) {
			sep, ok := ss[0].get(i)
			if !ok {
				return dst, false, nil
			}
			first := true
			for k := 1; k < len(ss); k++ {
				v, ok := ss[k].get(i)
				if !ok {
					continue
				}
				if !first {
					dst = append(dst, sep...)
				}
				dst = append(dst, v...)
				first = false
			}
			return dst, true, nil
		})
	}}
	return foldConstant(e), nil
}

func newReplace(args []Expr, ret arrow.DataType) (Expr, error) {
	return newFunc("REPLACE", args, ret, false, func(ctx *Context, ops []operand, n int) (arrow.Array, error) {
		ss := strArgs(ops)
		return buildStr(ctx.Mem, n, func(i int, dst []byte) ([]byte, bool, error) {
			s, ok1 := ss[0].get(i)
			from, ok2 := ss[1].get(i)
			to, ok3 := ss[2].get(i)
			if !ok1 || !ok2 || !ok3 {
				return dst, false, nil
			}
			if from == "" {
				return append(dst, s...), true, nil
			}
			for {
				k := strings.Index(s, from)
				if k < 0 {
					break
				}
				dst = append(dst, s[:k]...)
				dst = append(dst, to...)
				s = s[k+len(from):]
			}
			return append(dst, s...), true, nil
		})
	}), nil
}

func newPosition(args []Expr, ret arrow.DataType) (Expr, error) {
	return newFunc("POSITION", args, ret, false, func(ctx *Context, ops []operand, n int) (arrow.Array, error) {
		ss := strArgs(ops)
		return buildFixed(ctx.Mem, ret, n, func(i int) (int32, bool, error) {
			needle, ok1 := ss[0].get(i)
			hay, ok2 := ss[1].get(i)
			if !ok1 || !ok2 {
				return 0, false, nil
			}
			k := strings.Index(hay, needle)
			if k < 0 {
				return 0, true, nil
			}
			return int32(utf8.RuneCountInString(hay[:k]) + 1), true, nil
		})
	}), nil
}

// firstRunes returns the first n characters of s.
func firstRunes(s string, n int64) string {
	if n <= 0 {
		return ""
	}
	k := int64(0)
	for i := range s {
		if k == n {
			return s[:i]
		}
		k++
	}
	return s
}

// lastRunes returns the last n characters of s.
func lastRunes(s string, n int64) string {
	if n <= 0 {
		return ""
	}
	j := len(s)
	for k := int64(0); k < n && j > 0; k++ {
		_, w := utf8.DecodeLastRuneInString(s[:j])
		j -= w
	}
	return s[j:]
}

func newLeftRight(name string, left bool) newFn {
	return func(args []Expr, ret arrow.DataType) (Expr, error) {
		return newFunc(name, args, ret, false, func(ctx *Context, ops []operand, n int) (arrow.Array, error) {
			s, cnt := newStrArg(ops[0]), newNumArg[int64](ops[1])
			return buildStr(ctx.Mem, n, func(i int, dst []byte) ([]byte, bool, error) {
				v, ok1 := s.get(i)
				c, ok2 := cnt.get(i)
				if !ok1 || !ok2 {
					return dst, false, nil
				}
				if left {
					return append(dst, firstRunes(v, c)...), true, nil
				}
				return append(dst, lastRunes(v, c)...), true, nil
			})
		}), nil
	}
}

// maxStringResult bounds results that grow from a count (REPEAT, LPAD).
const maxStringResult = 1 << 28

func newPad(name string, left bool) newFn {
	return func(args []Expr, ret arrow.DataType) (Expr, error) {
		return newFunc(name, args, ret, true, func(ctx *Context, ops []operand, n int) (arrow.Array, error) {
			s, ln, pad := newStrArg(ops[0]), newNumArg[int64](ops[1]), newStrArg(ops[2])
			return buildStr(ctx.Mem, n, func(i int, dst []byte) ([]byte, bool, error) {
				v, ok1 := s.get(i)
				l, ok2 := ln.get(i)
				p, ok3 := pad.get(i)
				if !ok1 || !ok2 || !ok3 || l < 0 || p == "" {
					return dst, false, nil
				}
				if l > maxStringResult {
					return dst, false, Errorf("%s length %d is too large", name, l)
				}
				have := int64(utf8.RuneCountInString(v))
				if have >= l {
					return append(dst, firstRunes(v, l)...), true, nil
				}
				if !left {
					dst = append(dst, v...)
				}
				need := l - have
				for need > 0 {
					for _, r := range p {
						if need == 0 {
							break
						}
						dst = utf8.AppendRune(dst, r)
						need--
					}
				}
				if left {
					dst = append(dst, v...)
				}
				return dst, true, nil
			})
		}), nil
	}
}

func newRepeat(args []Expr, ret arrow.DataType) (Expr, error) {
	return newFunc("REPEAT", args, ret, true, func(ctx *Context, ops []operand, n int) (arrow.Array, error) {
		s, cnt := newStrArg(ops[0]), newNumArg[int64](ops[1])
		return buildStr(ctx.Mem, n, func(i int, dst []byte) ([]byte, bool, error) {
			v, ok1 := s.get(i)
			c, ok2 := cnt.get(i)
			if !ok1 || !ok2 {
				return dst, false, nil
			}
			if c > 0 && int64(len(v))*c > maxStringResult {
				return dst, false, Errorf("REPEAT result of %d bytes is too large", int64(len(v))*c)
			}
			for k := int64(0); k < c; k++ {
				dst = append(dst, v...)
			}
			return dst, true, nil
		})
	}), nil
}

func newSplitIndex(args []Expr, ret arrow.DataType) (Expr, error) {
	return newFunc("SPLIT_INDEX", args, ret, false, func(ctx *Context, ops []operand, n int) (arrow.Array, error) {
		s, d, idx := newStrArg(ops[0]), newStrArg(ops[1]), newNumArg[int64](ops[2])
		return buildStr(ctx.Mem, n, func(i int, dst []byte) ([]byte, bool, error) {
			v, ok1 := s.get(i)
			delim, ok2 := d.get(i)
			k, ok3 := idx.get(i)
			if !ok1 || !ok2 || !ok3 || k < 0 {
				return dst, false, nil
			}
			if delim == "" {
				return append(dst, v...), k == 0, nil
			}
			for ; k > 0; k-- {
				j := strings.Index(v, delim)
				if j < 0 {
					return dst, false, nil
				}
				v = v[j+len(delim):]
			}
			if j := strings.Index(v, delim); j >= 0 {
				v = v[:j]
			}
			return append(dst, v...), true, nil
		})
	}), nil
}

func newAffix(name string, f func(s, affix string) bool) newFn {
	return func(args []Expr, ret arrow.DataType) (Expr, error) {
		return newFunc(name, args, ret, false, func(ctx *Context, ops []operand, n int) (arrow.Array, error) {
			ss := strArgs(ops)
			return buildBool(ctx.Mem, n, func(i int) (bool, bool, error) {
				s, ok1 := ss[0].get(i)
				a, ok2 := ss[1].get(i)
				return ok1 && ok2 && f(s, a), ok1 && ok2, nil
			})
		}), nil
	}
}
