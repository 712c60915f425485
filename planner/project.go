package planner

import "strings"

// Project computes one output column per expression.
type Project struct {
	Input Node
	Exprs []Expr
	Names []string
}

// Schema implements Node. A processing-time attribute survives as a plain
// column reference, and PROCTIME() makes one.
func (p *Project) Schema() *Schema {
	s := &Schema{Columns: make([]Column, len(p.Exprs))}
	var in *Schema
	for i, e := range p.Exprs {
		s.Columns[i] = Column{Name: p.Names[i], Type: e.Type()}
		switch e := e.(type) {
		case *ColRef:
			if in == nil {
				in = p.Input.Schema()
			}
			s.Columns[i].ProcTime = e.Index < in.Len() && in.Columns[e.Index].ProcTime
		case *CallExpr:
			s.Columns[i].ProcTime = isProcTimeCall(e)
		}
	}
	return s
}

// Children implements Node.
func (p *Project) Children() []Node { return []Node{p.Input} }

// WithChildren implements Node.
func (p *Project) WithChildren(c []Node) Node {
	return &Project{Input: c[0], Exprs: p.Exprs, Names: p.Names}
}

// Props implements Node. The watermark survives when its column is passed
// through unchanged.
func (p *Project) Props() Props {
	in := p.Input.Props()
	out := in
	out.Watermark = -1
	if in.Watermark >= 0 {
		for i, e := range p.Exprs {
			if c, ok := e.(*ColRef); ok && c.Index == in.Watermark {
				out.Watermark = i
				break
			}
		}
	}
	return out
}

// Describe implements Node.
func (p *Project) Describe() string {
	items := make([]string, len(p.Exprs))
	for i, e := range p.Exprs {
		s := e.String()
		if c, ok := e.(*ColRef); !ok || !strings.EqualFold(c.Name, p.Names[i]) {
			s += " AS " + p.Names[i]
		}
		items[i] = s
	}
	return "Project: " + strings.Join(items, ", ")
}

// isIdentity reports whether p passes its input through unchanged.
func (p *Project) isIdentity() bool {
	in := p.Input.Schema()
	if len(p.Exprs) != in.Len() {
		return false
	}
	for i, e := range p.Exprs {
		c, ok := e.(*ColRef)
		if !ok || c.Index != i || p.Names[i] != in.Columns[i].Name {
			return false
		}
	}
	return true
}
