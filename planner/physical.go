package planner

import (
	"fmt"
	"time"

	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/weirsql/weir/connectors"
	"github.com/weirsql/weir/diag"
	"github.com/weirsql/weir/exec"
	"github.com/weirsql/weir/exec/agg"
	"github.com/weirsql/weir/exec/expr"
)

// Env is what compiling a plan into operators needs.
type Env struct {
	Mem       memory.Allocator
	BatchSize int
	Now       time.Time
	// IdleTimeout excludes a source split that produced nothing for this
	// long from its source's watermark (0: never).
	IdleTimeout time.Duration
	// Clock is the wall clock of processing time (PROCTIME() and the
	// windows over it); nil means time.Now.
	Clock func() time.Time
	// LookupReload is how often lookup joins check their table for
	// changes (0: DefaultLookupReload).
	LookupReload time.Duration
}

// DefaultLookupReload is how often a lookup join checks its table for
// changes unless set.
const DefaultLookupReload = 10 * time.Second

// Compile turns an optimized logical plan into physical operators. This is
// the one place where logical nodes meet their operators.
func Compile(n Node, env *Env) (exec.Operator, error) {
	ec := &expr.Context{Mem: env.Mem, Now: env.Now, Proc: expr.NewProcClock(env.Clock)}
	return compile(n, env, ec)
}

func compile(n Node, env *Env, ec *expr.Context) (exec.Operator, error) {
	switch n := n.(type) {
	case *Scan:
		l := n.layout()
		src, err := n.Source.Connector.NewSource(connectors.SourceConfig{
			Name:       n.Source.Name,
			Schema:     l.physical,
			Projection: l.projection,
			Metadata:   l.metadata,
			Options:    n.Source.Options,
			BaseDir:    n.Source.BaseDir,
			BatchSize:  env.BatchSize,
			Mem:        env.Mem,
		})
		if err != nil {
			return nil, &diag.Error{Pos: n.Pos, Msg: err.Error(), Kind: ErrConnector}
		}
		var shape *exec.ScanShape
		if l.shaped {
			shape = &exec.ScanShape{Names: l.names, Output: l.output, Schema: n.Schema().Arrow()}
			for _, c := range l.computed {
				e, err := compileExpr(c)
				if err != nil {
					src.Close()
					return nil, err
				}
				shape.Computed = append(shape.Computed, e)
			}
		}
		var filter expr.Expr
		if n.Filter != nil {
			if filter, err = compileExpr(n.Filter); err != nil {
				src.Close()
				return nil, err
			}
		}
		wm := exec.WatermarkSpec{Column: -1}
		if p := n.Props(); p.Watermark >= 0 {
			wm = exec.WatermarkSpec{Column: p.Watermark, DelayMs: n.Source.Watermark.DelayMs, IdleTimeout: env.IdleTimeout}
		}
		scan := exec.NewScan(n.Source.Name, src, wm, filter, ec)
		scan.SetShape(shape)
		return scan, nil
	case *Values:
		return exec.NewValues(n.Rows), nil
	case *Filter:
		in, err := compile(n.Input, env, ec)
		if err != nil {
			return nil, err
		}
		cond, err := compileExpr(n.Cond)
		if err != nil {
			in.Close()
			return nil, err
		}
		return exec.NewFilter(in, cond, ec), nil
	case *Project:
		in, err := compile(n.Input, env, ec)
		if err != nil {
			return nil, err
		}
		exprs := make([]expr.Expr, len(n.Exprs))
		for i, e := range n.Exprs {
			if exprs[i], err = compileExpr(e); err != nil {
				in.Close()
				return nil, err
			}
		}
		return exec.NewProject(in, exprs, n.Schema().Arrow(), ec), nil
	case *Limit:
		in, err := compile(n.Input, env, ec)
		if err != nil {
			return nil, err
		}
		return exec.NewLimit(in, n.N), nil
	case *Sort:
		in, err := compile(n.Input, env, ec)
		if err != nil {
			return nil, err
		}
		keys := make([]exec.SortKey, len(n.Keys))
		for i, k := range n.Keys {
			keys[i] = exec.SortKey{Column: k.Column, Desc: k.Desc, NullsFirst: k.NullsFirst}
		}
		return exec.NewSort(in, keys, env.Mem), nil
	case *Aggregate:
		in, err := compile(n.Input, env, ec)
		if err != nil {
			return nil, err
		}
		spec, err := aggregateSpec(n)
		if err != nil {
			in.Close()
			return nil, err
		}
		switch {
		case n.Window == nil && n.Input.Props().Updating:
			return exec.NewRetractingGroupAggregate(in, spec, ec), nil
		case n.Window == nil:
			return exec.NewGroupAggregate(in, spec, ec), nil
		case n.Window.Kind == Session:
			return exec.NewSessionAggregate(in, spec, windowSpec(n.Window), ec), nil
		default:
			return exec.NewWindowAggregate(in, spec, windowSpec(n.Window), ec), nil
		}
	case *WindowTVF:
		in, err := compile(n.Input, env, ec)
		if err != nil {
			return nil, err
		}
		if n.Window.Kind == Session {
			in.Close()
			return nil, fmt.Errorf("compile: the SESSION table function needs GROUP BY window_start, window_end")
		}
		return exec.NewWindowTVF(in, windowSpec(n.Window), n.Schema().Arrow(), ec), nil
	case *Join:
		return compileJoin(n, env, ec)
	case *LookupJoin:
		return compileLookupJoin(n, env, ec)
	case *TopN:
		return compileTopN(n, env, ec)
	case *OverAgg:
		in, err := compile(n.Input, env, ec)
		if err != nil {
			return nil, err
		}
		return exec.NewOverAggregate(in, n.spec(), env.Mem), nil
	}
	return nil, fmt.Errorf("compile: no operator for %T", n)
}

func windowSpec(w *Window) exec.WindowSpec {
	kinds := map[WindowKind]exec.WindowKind{Tumble: exec.Tumble, Hop: exec.Hop, Cumulate: exec.Cumulate, Session: exec.Session, Given: exec.Given}
	return exec.WindowSpec{Kind: kinds[w.Kind], TimeCol: w.TimeCol, StartCol: w.StartCol, Size: w.Size, Slide: w.Slide, Step: w.Step, Gap: w.Gap, Lateness: w.LatenessMs, ProcTime: w.ProcTime}
}

// aggregateSpec compiles an Aggregate's keys, aggregates and filters.
func aggregateSpec(n *Aggregate) (*exec.AggregateSpec, error) {
	spec := &exec.AggregateSpec{Schema: n.Schema().Arrow()}
	for _, k := range n.Keys {
		e, err := compileExpr(k)
		if err != nil {
			return nil, err
		}
		spec.Keys = append(spec.Keys, e)
	}
	for _, c := range n.Aggs {
		s := agg.Spec{Func: c.Func, Distinct: c.Distinct}
		var arg, filter expr.Expr
		var err error
		if c.Arg != nil {
			if arg, err = compileExpr(c.Arg); err != nil {
				return nil, err
			}
			s.Arg = c.Arg.Type()
		}
		if c.Filter != nil {
			if filter, err = compileExpr(c.Filter); err != nil {
				return nil, err
			}
		}
		spec.Aggs = append(spec.Aggs, s)
		spec.Args = append(spec.Args, arg)
		spec.Filters = append(spec.Filters, filter)
	}
	return spec, nil
}

// compileExpr builds the physical expression of a logical one.
func compileExpr(e Expr) (expr.Expr, error) {
	kids := e.Children()
	args := make([]expr.Expr, len(kids))
	for i, k := range kids {
		a, err := compileExpr(k)
		if err != nil {
			return nil, err
		}
		args[i] = a
	}
	switch e := e.(type) {
	case *ColRef:
		return expr.NewColumn(e.Index, e.Name, e.Typ), nil
	case *Lit:
		return expr.NewLiteral(e.Value), nil
	case *BinaryExpr:
		return expr.NewBinary(e.Op, args[0], args[1])
	case *NotExpr:
		return expr.NewNot(args[0])
	case *NegExpr:
		return expr.NewNegate(args[0])
	case *IsNullExpr:
		return expr.NewIsNull(args[0], e.Not), nil
	case *IsBoolExpr:
		return expr.NewIsBool(args[0], e.Value, e.Not)
	case *InExpr:
		return expr.NewIn(args[0], args[1:], e.Not)
	case *LikeExpr:
		return expr.NewLike(args[0], args[1], e.Escape, e.Not)
	case *CaseExpr:
		whens := make([]expr.When, len(e.Pairs)/2)
		for i := range whens {
			whens[i] = expr.When{Cond: args[2*i], Result: args[2*i+1]}
		}
		var els expr.Expr
		if e.Else != nil {
			els = args[len(args)-1]
		}
		return expr.NewCase(whens, els)
	case *CastExpr:
		return expr.NewCast(args[0], e.To, e.Try)
	case *ExtractExpr:
		return expr.NewExtract(e.Unit, args[0])
	case *CallExpr:
		return e.Func.New(args, e.Typ)
	}
	return nil, fmt.Errorf("compile: no evaluator for %T", e)
}
