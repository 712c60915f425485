package planner

import (
	"fmt"
)

// Rule rewrites a logical plan. Apply returns the new plan and whether it
// changed anything; a rule never changes the plan's output schema.
type Rule interface {
	Name() string
	Apply(n Node) (Node, bool, error)
}

// DefaultRules is the rule set every query goes through, in order.
func DefaultRules() []Rule {
	return []Rule{
		FoldConstants{},
		MergeFilters{},
		PushFilterThroughProject{},
		PushFilterIntoJoin{},
		PushFilterIntoScan{},
		MergeProjects{},
		RemoveIdentityProject{},
		PruneColumns{},
	}
}

// maxPasses bounds the fixpoint loop; a rule set that still changes the plan
// after this many passes has rules that undo each other.
const maxPasses = 16

// Optimize runs rules to a fixpoint and returns the plan and the names of
// the rules that fired (each once, in first-fired order).
func Optimize(n Node, rules []Rule) (Node, []string, error) {
	want := n.Schema()
	var fired []string
	seen := map[string]bool{}
	for pass := 0; ; pass++ {
		if pass == maxPasses {
			return nil, nil, fmt.Errorf("optimizer: no fixpoint after %d passes (rules fired: %v)", maxPasses, fired)
		}
		any := false
		for _, r := range rules {
			m, changed, err := r.Apply(n)
			if err != nil {
				return nil, nil, fmt.Errorf("optimizer rule %s: %w", r.Name(), err)
			}
			if !changed {
				continue
			}
			if !m.Schema().Equal(want) {
				return nil, nil, fmt.Errorf("optimizer rule %s changed the output schema", r.Name())
			}
			n, any = m, true
			if !seen[r.Name()] {
				seen[r.Name()] = true
				fired = append(fired, r.Name())
			}
		}
		if !any {
			return n, fired, nil
		}
	}
}

// MergeFilters turns Filter(Filter(x, a), b) into Filter(x, a AND b).
type MergeFilters struct{}

// Name implements Rule.
func (MergeFilters) Name() string { return "MergeFilters" }

// Apply implements Rule.
func (MergeFilters) Apply(n Node) (Node, bool, error) {
	return transformUp(n, func(n Node) (Node, bool, error) {
		f, ok := n.(*Filter)
		if !ok {
			return n, false, nil
		}
		inner, ok := f.Input.(*Filter)
		if !ok {
			return n, false, nil
		}
		return &Filter{Input: inner.Input, Cond: conjoin([]Expr{inner.Cond, f.Cond})}, true, nil
	})
}

// PushFilterThroughProject moves a filter below a projection by inlining
// the projected expressions into the condition.
type PushFilterThroughProject struct{}

// Name implements Rule.
func (PushFilterThroughProject) Name() string { return "PushFilterThroughProject" }

// Apply implements Rule.
func (PushFilterThroughProject) Apply(n Node) (Node, bool, error) {
	return transformUp(n, func(n Node) (Node, bool, error) {
		f, ok := n.(*Filter)
		if !ok {
			return n, false, nil
		}
		p, ok := f.Input.(*Project)
		if !ok {
			return n, false, nil
		}
		cond := substitute(f.Cond, p.Exprs)
		return &Project{Input: &Filter{Input: p.Input, Cond: cond}, Exprs: p.Exprs, Names: p.Names}, true, nil
	})
}

// PushFilterIntoScan makes a scan apply the filter right after decoding, so
// rejected rows never reach the rest of the pipeline.
type PushFilterIntoScan struct{}

// Name implements Rule.
func (PushFilterIntoScan) Name() string { return "PushFilterIntoScan" }

// Apply implements Rule.
func (PushFilterIntoScan) Apply(n Node) (Node, bool, error) {
	return transformUp(n, func(n Node) (Node, bool, error) {
		f, ok := n.(*Filter)
		if !ok {
			return n, false, nil
		}
		s, ok := f.Input.(*Scan)
		if !ok {
			return n, false, nil
		}
		cond := f.Cond
		if s.Filter != nil {
			cond = conjoin([]Expr{s.Filter, cond})
		}
		return newScan(s.Pos, s.Source, s.Alias, s.Columns, cond), true, nil
	})
}

// RemoveIdentityProject drops projections that pass their input through
// unchanged, except at the root, where the names matter.
type RemoveIdentityProject struct{}

// Name implements Rule.
func (RemoveIdentityProject) Name() string { return "RemoveIdentityProject" }

// Apply implements Rule.
func (RemoveIdentityProject) Apply(n Node) (Node, bool, error) {
	changed := false
	var walk func(n Node) Node
	walk = func(n Node) Node {
		kids := n.Children()
		if len(kids) == 0 {
			return n
		}
		nk := make([]Node, len(kids))
		ch := false
		for i, k := range kids {
			if p, ok := k.(*Project); ok && p.isIdentity() {
				k, ch, changed = p.Input, true, true
			}
			nk[i] = walk(k)
			if nk[i] != kids[i] {
				ch = true
			}
		}
		if ch {
			return n.WithChildren(nk)
		}
		return n
	}
	out := walk(n)
	return out, changed, nil
}

// MergeProjects folds Project(Project(x)) into one projection by inlining
// the inner expressions, when that computes nothing twice: every inner
// expression that is not a plain column is used at most once.
type MergeProjects struct{}

// Name implements Rule.
func (MergeProjects) Name() string { return "MergeProjects" }

// Apply implements Rule.
func (MergeProjects) Apply(n Node) (Node, bool, error) {
	return transformUp(n, func(n Node) (Node, bool, error) {
		outer, ok := n.(*Project)
		if !ok {
			return n, false, nil
		}
		inner, ok := outer.Input.(*Project)
		if !ok {
			return n, false, nil
		}
		uses := map[int]int{}
		for _, e := range outer.Exprs {
			walkExpr(e, func(x Expr) {
				if c, ok := x.(*ColRef); ok {
					uses[c.Index]++
				}
			})
		}
		for i, e := range inner.Exprs {
			if _, isCol := e.(*ColRef); !isCol && uses[i] > 1 {
				return n, false, nil
			}
		}
		exprs := make([]Expr, len(outer.Exprs))
		for i, e := range outer.Exprs {
			exprs[i] = substitute(e, inner.Exprs)
		}
		return &Project{Input: inner.Input, Exprs: exprs, Names: outer.Names}, true, nil
	})
}
