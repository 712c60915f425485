package planner

import (
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/apache/arrow/go/v17/arrow/scalar"

	"github.com/weirsql/weir/exec/expr"
)

// FoldConstants evaluates every subexpression whose inputs are all literals
// once at planning time (through the same evaluator that runs queries), and
// simplifies filters whose condition folds to TRUE. Subexpressions that fail
// to evaluate (1/0) are left for run time, where the error is reported.
type FoldConstants struct{}

// Name implements Rule.
func (FoldConstants) Name() string { return "FoldConstants" }

// Apply implements Rule.
func (FoldConstants) Apply(n Node) (Node, bool, error) {
	return transformUp(n, func(n Node) (Node, bool, error) {
		switch n := n.(type) {
		case *Filter:
			c, ch := foldExpr(n.Cond)
			if isTrue(c) {
				return n.Input, true, nil
			}
			if ch {
				return &Filter{Input: n.Input, Cond: c}, true, nil
			}
		case *Project:
			var out []Expr
			for i, e := range n.Exprs {
				f, ch := foldExpr(e)
				if ch {
					if out == nil {
						out = append([]Expr(nil), n.Exprs...)
					}
					out[i] = f
				}
			}
			if out != nil {
				return &Project{Input: n.Input, Exprs: out, Names: n.Names}, true, nil
			}
		case *Scan:
			if n.Filter != nil {
				c, ch := foldExpr(n.Filter)
				if isTrue(c) {
					return newScan(n.Pos, n.Source, n.Alias, n.Columns, nil), true, nil
				}
				if ch {
					return newScan(n.Pos, n.Source, n.Alias, n.Columns, c), true, nil
				}
			}
		}
		return n, false, nil
	})
}

func isTrue(e Expr) bool {
	l, ok := e.(*Lit)
	if !ok || !l.Value.IsValid() {
		return false
	}
	b, ok := l.Value.(*scalar.Boolean)
	return ok && b.Value
}

// foldExpr folds constant subtrees of e bottom-up.
func foldExpr(e Expr) (Expr, bool) {
	changed := false
	out := transformExpr(e, func(x Expr) Expr {
		if _, ok := x.(*Lit); ok {
			return x
		}
		if s, ok := simplifyBool(x); ok {
			changed = true
			return s
		}
		kids := x.Children()
		if len(kids) == 0 {
			return x // columns, and niladic calls such as CURRENT_TIMESTAMP
		}
		for _, k := range kids {
			if _, ok := k.(*Lit); !ok {
				return x
			}
		}
		if v, ok := evalConstant(x); ok {
			changed = true
			return &Lit{Value: v}
		}
		return x
	})
	return out, changed
}

// evalConstant evaluates an expression without column references over a
// one-row batch.
func evalConstant(e Expr) (scalar.Scalar, bool) {
	pe, err := compileExpr(e)
	if err != nil {
		return nil, false
	}
	mem := memory.NewGoAllocator()
	rec := array.NewRecord(arrow.NewSchema(nil, nil), nil, 1)
	defer rec.Release()
	arr, err := pe.Eval(&expr.Context{Mem: mem, Now: time.Now()}, rec)
	if err != nil {
		return nil, false
	}
	defer arr.Release()
	s, err := scalar.GetScalar(arr, 0)
	if err != nil {
		return nil, false
	}
	if !arrow.TypeEqual(s.DataType(), e.Type()) {
		return nil, false
	}
	return s, true
}

// simplifyBool applies the identities TRUE AND x = x, FALSE AND x = FALSE,
// FALSE OR x = x and TRUE OR x = TRUE, which hold under three-valued logic.
func simplifyBool(x Expr) (Expr, bool) {
	b, ok := x.(*BinaryExpr)
	if !ok || (b.Op != expr.And && b.Op != expr.Or) {
		return nil, false
	}
	for _, side := range [][2]Expr{{b.L, b.R}, {b.R, b.L}} {
		lit, ok := side[0].(*Lit)
		if !ok || !lit.Value.IsValid() {
			continue
		}
		v, ok := lit.Value.(*scalar.Boolean)
		if !ok {
			continue
		}
		if v.Value == (b.Op == expr.And) {
			return side[1], true // TRUE AND x, FALSE OR x
		}
		return lit, true // FALSE AND x, TRUE OR x
	}
	return nil, false
}
