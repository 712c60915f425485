package expr

// Functions the Nexmark queries need beyond the SQL standard library:
// COUNT_CHAR is the user function of Nexmark's q14
// (com.github.nexmark.flink.udf.CountChar), built in here.

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/apache/arrow/go/v17/arrow"

	"github.com/weirsql/weir/sqltypes"
)

func init() {
	register(
		&Func{Name: "COUNT_CHAR", Doc: "COUNT_CHAR(s, c) → BIGINT: the number of occurrences of the one-character string c in s; " +
			"a c that is not one character is an error. Nexmark q14's user function, built in " +
			"(NULL in gives NULL out, where the Flink UDF counts 0 in a NULL s).",
			Resolve: sig("COUNT_CHAR", sqltypes.BigInt, 2, false, kStr, kStr), New: newCountChar},
	)
}

// oneChar checks that c is one character.
func oneChar(c string) error {
	if utf8.RuneCountInString(c) != 1 {
		return fmt.Errorf("COUNT_CHAR: the character to count must be one character, got %s", quoteSQL(c))
	}
	return nil
}

func newCountChar(args []Expr, ret arrow.DataType) (Expr, error) {
	// A literal c (the usual case) is checked while planning.
	fixed := false
	if l, ok := IsLiteral(args[1]); ok && l.IsValid() {
		if err := oneChar(litString(l)); err != nil {
			return nil, err
		}
		fixed = true
	}
	return newFunc("COUNT_CHAR", args, ret, !fixed, func(ctx *Context, ops []operand, n int) (arrow.Array, error) {
		s, c := newStrArg(ops[0]), newStrArg(ops[1])
		var (
			last    string
			checked bool
		)
		return buildFixed(ctx.Mem, ret, n, func(i int) (int64, bool, error) {
			v, ok1 := s.get(i)
			ch, ok2 := c.get(i)
			if !ok1 || !ok2 {
				return 0, false, nil
			}
			if !checked || ch != last {
				if err := oneChar(ch); err != nil {
					return 0, false, Errorf("%s", err)
				}
				last, checked = ch, true
			}
			// One character, so occurrences never overlap; Count on one
			// byte is vectorized.
			return int64(strings.Count(v, ch)), true, nil
		})
	}), nil
}
