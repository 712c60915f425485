package exec

import (
	"fmt"
	"strings"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"

	"github.com/weirsql/weir/exec/agg"
	"github.com/weirsql/weir/exec/expr"
)

// AggregateSpec is what an aggregating operator computes: group keys and
// aggregate calls, each aggregate with its argument (nil for COUNT(*)) and
// optional FILTER (WHERE ...) condition, all evaluated over input batches.
type AggregateSpec struct {
	Keys    []expr.Expr
	Aggs    []agg.Spec
	Args    []expr.Expr
	Filters []expr.Expr
	// Schema is the operator's output schema.
	Schema *arrow.Schema
}

func (s *AggregateSpec) keyTypes() []arrow.DataType {
	out := make([]arrow.DataType, len(s.Keys))
	for i, k := range s.Keys {
		out[i] = k.DataType()
	}
	return out
}

func (s *AggregateSpec) describe() string {
	keys := make([]string, len(s.Keys))
	for i, k := range s.Keys {
		keys[i] = k.String()
	}
	aggs := make([]string, len(s.Aggs))
	for i, a := range s.Aggs {
		arg := "*"
		if s.Args[i] != nil {
			arg = s.Args[i].String()
		}
		if a.Distinct {
			arg = "DISTINCT " + arg
		}
		aggs[i] = fmt.Sprintf("%s(%s)", a.Func, arg)
		if s.Filters[i] != nil {
			aggs[i] += " FILTER (WHERE " + s.Filters[i].String() + ")"
		}
	}
	return fmt.Sprintf("group=[%s] aggs=[%s]", strings.Join(keys, ", "), strings.Join(aggs, ", "))
}

// aggInput holds the key, argument and filter columns of one batch.
type aggInput struct {
	keys    []arrow.Array
	args    []arrow.Array
	filters []*array.Boolean
}

// eval computes the spec's columns over rec; release frees them.
func (s *AggregateSpec) eval(ec *expr.Context, rec arrow.Record) (*aggInput, error) {
	in := &aggInput{
		keys:    make([]arrow.Array, len(s.Keys)),
		args:    make([]arrow.Array, len(s.Aggs)),
		filters: make([]*array.Boolean, len(s.Aggs)),
	}
	for i, k := range s.Keys {
		a, err := k.Eval(ec, rec)
		if err != nil {
			in.release()
			return nil, err
		}
		in.keys[i] = a
	}
	for i := range s.Aggs {
		if s.Args[i] != nil {
			a, err := s.Args[i].Eval(ec, rec)
			if err != nil {
				in.release()
				return nil, err
			}
			in.args[i] = a
		}
		if s.Filters[i] != nil {
			a, err := s.Filters[i].Eval(ec, rec)
			if err != nil {
				in.release()
				return nil, err
			}
			b, ok := a.(*array.Boolean)
			if !ok {
				a.Release()
				in.release()
				return nil, fmt.Errorf("FILTER condition %s is not BOOLEAN", s.Filters[i])
			}
			in.filters[i] = b
		}
	}
	return in, nil
}

func (in *aggInput) release() {
	for _, a := range in.keys {
		if a != nil {
			a.Release()
		}
	}
	for _, a := range in.args {
		if a != nil {
			a.Release()
		}
	}
	for _, a := range in.filters {
		if a != nil {
			a.Release()
		}
	}
}
