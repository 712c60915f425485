package planner

import "fmt"

// Limit passes the first N rows and then ends the stream.
type Limit struct {
	Input Node
	N     int64
}

// Schema implements Node.
func (l *Limit) Schema() *Schema { return l.Input.Schema() }

// Children implements Node.
func (l *Limit) Children() []Node { return []Node{l.Input} }

// WithChildren implements Node.
func (l *Limit) WithChildren(c []Node) Node { return &Limit{Input: c[0], N: l.N} }

// Props implements Node: a limited stream is bounded.
func (l *Limit) Props() Props {
	p := l.Input.Props()
	p.Bounded = true
	return p
}

// Describe implements Node.
func (l *Limit) Describe() string { return fmt.Sprintf("Limit: %d", l.N) }
