package planner

import "sort"

// PruneColumns narrows every scan to the columns the query uses, so sources
// decode nothing else, and drops projected columns nobody reads.
type PruneColumns struct{}

// Name implements Rule.
func (PruneColumns) Name() string { return "PruneColumns" }

// Apply implements Rule.
func (PruneColumns) Apply(n Node) (Node, bool, error) {
	need := map[int]bool{}
	for i := range n.Schema().Columns {
		need[i] = true
	}
	changed := false
	out, _ := prune(n, need, &changed)
	return out, changed, nil
}

// prune returns a node that produces only the needed columns of n (in their
// original order) and the mapping from n's column indexes to the new ones.
func prune(n Node, need map[int]bool, changed *bool) (Node, map[int]int) {
	switch n := n.(type) {
	case *Scan:
		want := map[int]bool{}
		for i := range need {
			want[i] = true
		}
		if n.Filter != nil {
			columnsUsed(n.Filter, want)
		}
		if len(want) == len(n.Columns) {
			return n, identity(len(n.Columns))
		}
		keep := sortedKeys(want)
		m := map[int]int{}
		cols := make([]int, len(keep))
		for j, i := range keep {
			cols[j] = n.Columns[i]
			m[i] = j
		}
		var filter Expr
		if n.Filter != nil {
			filter = remap(n.Filter, m)
		}
		*changed = true
		return newScan(n.Pos, n.Source, n.Alias, cols, filter), m
	case *Filter:
		want := copySet(need)
		columnsUsed(n.Cond, want)
		in, m := prune(n.Input, want, changed)
		if in == n.Input {
			return n, m
		}
		return &Filter{Input: in, Cond: remap(n.Cond, m)}, m
	case *Project:
		keep := sortedKeys(need)
		want := map[int]bool{}
		for _, i := range keep {
			columnsUsed(n.Exprs[i], want)
		}
		in, m := prune(n.Input, want, changed)
		if len(keep) == len(n.Exprs) && in == n.Input {
			return n, identity(len(n.Exprs))
		}
		out := &Project{Input: in}
		pm := map[int]int{}
		for j, i := range keep {
			out.Exprs = append(out.Exprs, remap(n.Exprs[i], m))
			out.Names = append(out.Names, n.Names[i])
			pm[i] = j
		}
		if len(keep) != len(n.Exprs) {
			*changed = true
		}
		return out, pm
	case *Sort:
		want := copySet(need)
		for _, k := range n.Keys {
			want[k.Column] = true
		}
		in, m := prune(n.Input, want, changed)
		if in == n.Input {
			return n, m
		}
		keys := make([]SortKey, len(n.Keys))
		for i, k := range n.Keys {
			k.Column = m[k.Column]
			keys[i] = k
		}
		return &Sort{Input: in, Keys: keys}, m
	case *Limit:
		in, m := prune(n.Input, need, changed)
		if in == n.Input {
			return n, m
		}
		return &Limit{Input: in, N: n.N}, m
	case *Aggregate:
		// The aggregate keeps every output column; its input keeps what the
		// keys, the aggregates and the window read.
		want := map[int]bool{}
		for _, k := range n.Keys {
			columnsUsed(k, want)
		}
		for _, c := range n.Aggs {
			for _, e := range c.exprs() {
				columnsUsed(e, want)
			}
		}
		if n.Window != nil {
			want[n.Window.TimeCol] = true
			if n.Window.Kind == Given {
				want[n.Window.StartCol] = true
			}
		}
		in, m := prune(n.Input, want, changed)
		if in == n.Input {
			return n, identity(n.Schema().Len())
		}
		out := &Aggregate{Input: in, KeyNames: n.KeyNames}
		for _, k := range n.Keys {
			out.Keys = append(out.Keys, remap(k, m))
		}
		for _, c := range n.Aggs {
			es := c.exprs()
			for i, e := range es {
				es[i] = remap(e, m)
			}
			out.Aggs = append(out.Aggs, c.withExprs(es))
		}
		if n.Window != nil {
			w := *n.Window
			w.TimeCol = m[w.TimeCol]
			if w.Kind == Given {
				w.StartCol = m[w.StartCol]
			}
			out.Window = &w
		}
		return out, identity(n.Schema().Len())
	case *WindowTVF:
		width := n.Input.Schema().Len()
		want := map[int]bool{n.Window.TimeCol: true}
		for i := range need {
			if i < width {
				want[i] = true
			}
		}
		in, m := prune(n.Input, want, changed)
		if in == n.Input {
			return n, identity(n.Schema().Len())
		}
		w := *n.Window
		w.TimeCol = m[w.TimeCol]
		out := &WindowTVF{Input: in, Window: &w}
		inWidth := in.Schema().Len()
		om := map[int]int{}
		for old, nw := range m {
			om[old] = nw
		}
		for j := range windowColumns {
			om[width+j] = inWidth + j
		}
		return out, om
	case *Join:
		width := n.Left.Schema().Len()
		want := copySet(need)
		if n.Cond != nil {
			columnsUsed(n.Cond, want)
		}
		lw, rw := map[int]bool{}, map[int]bool{}
		for i := range want {
			if i < width {
				lw[i] = true
			} else {
				rw[i-width] = true
			}
		}
		// A window join needs its window bounds, an interval join its times.
		jc := n.classify()
		if w := jc.window; w != nil {
			lw[w.LeftStart], lw[w.LeftEnd], rw[w.RightStart], rw[w.RightEnd] = true, true, true, true
		}
		for _, k := range jc.leftKeys {
			columnsUsed(k, lw)
		}
		for _, k := range jc.rightKeys {
			columnsUsed(k, rw)
		}
		left, ml := prune(n.Left, lw, changed)
		right, mr := prune(n.Right, rw, changed)
		if left == n.Left && right == n.Right {
			return n, identity(n.Schema().Len())
		}
		nw := left.Schema().Len()
		m := map[int]int{}
		for o, nn := range ml {
			m[o] = nn
		}
		for o, nn := range mr {
			m[width+o] = nw + nn
		}
		out := *n
		out.Left, out.Right = left, right
		if n.Cond != nil {
			out.Cond = remap(n.Cond, m)
		}
		return &out, m
	case *LookupJoin:
		width := n.Input.Schema().Len()
		want := map[int]bool{}
		for i := range need {
			if i < width {
				want[i] = true
			}
		}
		for _, k := range n.StreamKeys {
			columnsUsed(k, want)
		}
		if n.Residual != nil {
			rs := map[int]bool{}
			columnsUsed(n.Residual, rs)
			for i := range rs {
				if i < width {
					want[i] = true
				}
			}
		}
		in, mi := prune(n.Input, want, changed)
		if in == n.Input {
			return n, identity(n.Schema().Len())
		}
		nw := in.Schema().Len()
		m := map[int]int{}
		for o, nn := range mi {
			m[o] = nn
		}
		for j := range n.Table.Schema.Columns {
			m[width+j] = nw + j
		}
		out := *n
		out.Input = in
		out.StreamKeys = make([]Expr, len(n.StreamKeys))
		for i, k := range n.StreamKeys {
			out.StreamKeys[i] = remap(k, mi)
		}
		if n.Residual != nil {
			out.Residual = remap(n.Residual, m)
		}
		return &out, m
	case *TopN:
		return n.prune(need, changed)
	}
	// Nodes that do not know how to prune keep every column.
	return n, identity(n.Schema().Len())
}

func identity(n int) map[int]int {
	m := make(map[int]int, n)
	for i := 0; i < n; i++ {
		m[i] = i
	}
	return m
}

func copySet(s map[int]bool) map[int]bool {
	out := make(map[int]bool, len(s))
	for k := range s {
		out[k] = true
	}
	return out
}

func sortedKeys(s map[int]bool) []int {
	out := make([]int, 0, len(s))
	for k := range s {
		out = append(out, k)
	}
	sort.Ints(out)
	return out
}
