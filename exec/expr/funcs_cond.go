package expr

// Conditional functions: COALESCE, IFNULL, NULLIF and IF. They evaluate
// lazily like CASE: an argument is computed only for rows that need it.

import (
	"fmt"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/scalar"

	"github.com/weirsql/weir/sqltypes"
)

func init() {
	register(
		&Func{Name: "COALESCE", Doc: "COALESCE(a, b, ...) → common type: the first argument that is not NULL.",
			Resolve: resolveCommon("COALESCE", 1, -1, 0), New: func(args []Expr, ret arrow.DataType) (Expr, error) { return newCoalesce(args, ret) }},
		&Func{Name: "IFNULL", Doc: "IFNULL(a, b) → common type: a unless it is NULL, then b.",
			Resolve: resolveCommon("IFNULL", 2, 2, 0), New: func(args []Expr, ret arrow.DataType) (Expr, error) { return newCoalesce(args, ret) }},
		&Func{Name: "NULLIF", Doc: "NULLIF(a, b) → common type: NULL if a = b, else a.",
			Resolve: resolveCommon("NULLIF", 2, 2, 0), New: newNullIf},
		&Func{Name: "IF", Doc: "IF(cond, a, b) → common type of a and b: a when cond is TRUE, else b (also when cond is NULL).",
			Resolve: resolveIf, New: func(args []Expr, _ arrow.DataType) (Expr, error) {
				return NewCase([]When{{Cond: args[0], Result: args[1]}}, args[2])
			}},
	)
}

// resolveCommon types functions whose arguments from index `from` on share
// one type, which is also the result.
func resolveCommon(name string, lo, hi, from int) func([]arrow.DataType) (arrow.DataType, []arrow.DataType, error) {
	return func(args []arrow.DataType) (arrow.DataType, []arrow.DataType, error) {
		if err := checkArity(name, args, lo, hi); err != nil {
			return nil, nil, err
		}
		var t arrow.DataType = sqltypes.Null
		for _, a := range args[from:] {
			c, ok := CommonType(t, a)
			if !ok {
				return nil, nil, fmt.Errorf("%s arguments have no common type: %s and %s", name, sqltypes.Name(t), sqltypes.Name(a))
			}
			t = c
		}
		want := make([]arrow.DataType, len(args))
		copy(want, args[:from])
		for i := from; i < len(args); i++ {
			want[i] = t
		}
		return t, want, nil
	}
}

func resolveIf(args []arrow.DataType) (arrow.DataType, []arrow.DataType, error) {
	ret, want, err := resolveCommon("IF", 3, 3, 1)(args)
	if err != nil {
		return nil, nil, err
	}
	w, ok := kBool.accepts(args[0])
	if !ok {
		return nil, nil, fmt.Errorf("IF condition must be BOOLEAN, not %s", sqltypes.Name(args[0]))
	}
	want[0] = w
	return ret, want, nil
}

func newNullIf(args []Expr, ret arrow.DataType) (Expr, error) {
	eq, err := NewBinary(Eq, args[0], args[1])
	if err != nil {
		return nil, err
	}
	return NewCase([]When{{Cond: eq, Result: NewLiteral(scalar.MakeNullScalar(ret))}}, args[0])
}
