package planner

// Node is a logical plan node. Nodes are immutable values: rules build new
// trees with WithChildren rather than editing nodes in place.
type Node interface {
	// Schema is the node's output columns.
	Schema() *Schema
	Children() []Node
	// WithChildren returns a copy of the node over new inputs.
	WithChildren(children []Node) Node
	// Props are the streaming properties of the node's output.
	Props() Props
	// Describe is the node's one-line text in EXPLAIN ("Filter: price > 100").
	Describe() string
}

// Props are the streaming properties of a plan node's output, shown by
// EXPLAIN and checked by the planner.
type Props struct {
	// Bounded says the stream ends by itself (files, counted generators).
	Bounded bool
	// Updating says the output is a changelog (inserts, updates, deletes)
	// rather than append-only.
	Updating bool
	// Watermark is the index of the output column that carries event time
	// with a watermark, or -1.
	Watermark int
}

// transformUp rewrites a plan bottom-up with f.
func transformUp(n Node, f func(Node) (Node, bool, error)) (Node, bool, error) {
	changed := false
	kids := n.Children()
	if len(kids) > 0 {
		nk := make([]Node, len(kids))
		for i, k := range kids {
			c, ch, err := transformUp(k, f)
			if err != nil {
				return nil, false, err
			}
			nk[i] = c
			changed = changed || ch
		}
		if changed {
			n = n.WithChildren(nk)
		}
	}
	m, ch, err := f(n)
	if err != nil {
		return nil, false, err
	}
	return m, changed || ch, nil
}
