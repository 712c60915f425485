package planner

import (
	"fmt"

	"github.com/weirsql/weir/exec"
	"github.com/weirsql/weir/exec/expr"
)

// spec is the TopN's operator spec.
func (n *TopN) spec() exec.TopNSpec {
	s := exec.TopNSpec{N: n.N, Mode: n.Mode, ByArrival: n.ByArrival, RankOutput: n.RankOutput, Schema: n.Schema().Arrow()}
	s.Partition = append(s.Partition, n.Partition...)
	for _, k := range n.Order {
		s.Order = append(s.Order, exec.SortKey{Column: k.Column, Desc: k.Desc, NullsFirst: k.NullsFirst})
	}
	return s
}

// compileTopN builds the TopN operator over its compiled input.
func compileTopN(n *TopN, env *Env, ec *expr.Context) (exec.Operator, error) {
	in, err := compile(n.Input, env, ec)
	if err != nil {
		return nil, err
	}
	spec := n.spec()
	if err := spec.Validate(in.Schema()); err != nil {
		in.Close()
		return nil, fmt.Errorf("compile: %w", err)
	}
	return exec.NewTopN(in, spec, env.Mem), nil
}
