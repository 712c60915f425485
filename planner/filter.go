package planner

// Filter keeps the rows for which Cond is TRUE.
type Filter struct {
	Input Node
	Cond  Expr
}

// Schema implements Node.
func (f *Filter) Schema() *Schema { return f.Input.Schema() }

// Children implements Node.
func (f *Filter) Children() []Node { return []Node{f.Input} }

// WithChildren implements Node.
func (f *Filter) WithChildren(c []Node) Node { return &Filter{Input: c[0], Cond: f.Cond} }

// Props implements Node.
func (f *Filter) Props() Props { return f.Input.Props() }

// Describe implements Node.
func (f *Filter) Describe() string { return "Filter: " + f.Cond.String() }
