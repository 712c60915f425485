package planner

import (
	"github.com/weirsql/weir/connectors"
	"github.com/weirsql/weir/diag"
	"github.com/weirsql/weir/exec"
	"github.com/weirsql/weir/exec/expr"
)

// compileJoin builds the join operator of a Join node.
func compileJoin(n *Join, env *Env, ec *expr.Context) (exec.Operator, error) {
	jc := n.classify()
	if err := n.check(jc); err != nil {
		return nil, err
	}
	spec := &exec.JoinSpec{Kind: n.Kind, Interval: jc.interval, Window: jc.window, Schema: n.Schema().Arrow()}
	if jc.interval == nil && jc.window == nil {
		spec.StateTTL = n.StateTTL
	}
	var err error
	if spec.LeftKeys, err = compileExprs(jc.leftKeys); err != nil {
		return nil, err
	}
	if spec.RightKeys, err = compileExprs(jc.rightKeys); err != nil {
		return nil, err
	}
	if jc.residual != nil {
		if spec.Residual, err = compileExpr(jc.residual); err != nil {
			return nil, err
		}
	}
	left, err := compile(n.Left, env, ec)
	if err != nil {
		return nil, err
	}
	right, err := compile(n.Right, env, ec)
	if err != nil {
		left.Close()
		return nil, err
	}
	return exec.NewJoin(left, right, spec, ec), nil
}

// compileLookupJoin builds a lookup join over the table's connector.
func compileLookupJoin(n *LookupJoin, env *Env, ec *expr.Context) (exec.Operator, error) {
	reload := env.LookupReload
	if reload == 0 {
		reload = DefaultLookupReload
	}
	reload, err := n.Table.Options.Duration(connectors.LookupReloadOption, reload)
	if err != nil {
		return nil, &diag.Error{Pos: n.Pos, Msg: err.Error(), Kind: ErrConnector}
	}
	spec := &exec.LookupJoinSpec{Kind: n.Kind, TableKeys: n.TableKeys, Reload: reload, Schema: n.Schema().Arrow(), TableName: n.Table.Name}
	if spec.StreamKeys, err = compileExprs(n.StreamKeys); err != nil {
		return nil, err
	}
	if n.Residual != nil {
		if spec.Residual, err = compileExpr(n.Residual); err != nil {
			return nil, err
		}
	}
	t := n.Table
	table, err := t.Connector.NewDimension(connectors.SourceConfig{
		Name: t.Name, Schema: t.Schema.Arrow(), Options: t.Options, BaseDir: t.BaseDir,
		BatchSize: env.BatchSize, Mem: env.Mem,
	})
	if err != nil {
		return nil, &diag.Error{Pos: n.Pos, Msg: err.Error(), Kind: ErrConnector}
	}
	in, err := compile(n.Input, env, ec)
	if err != nil {
		table.Close()
		return nil, err
	}
	return exec.NewLookupJoin(in, table, spec, ec), nil
}

func compileExprs(es []Expr) ([]expr.Expr, error) {
	out := make([]expr.Expr, len(es))
	for i, e := range es {
		c, err := compileExpr(e)
		if err != nil {
			return nil, err
		}
		out[i] = c
	}
	return out, nil
}
