package planner

import (
	"strings"
)

// FormatPlan prints a logical plan as an indented tree, one node a line,
// each with its streaming properties:
//
//	Project: auction, price [append-only, bounded]
//	  Scan: bids [auction, price] connector=file filter=price > 100 [append-only, bounded]
//
// It serves EXPLAIN, plan goldens and error reports alike.
func FormatPlan(n Node) string {
	var b strings.Builder
	formatNode(&b, n, 0)
	return b.String()
}

func formatNode(b *strings.Builder, n Node, depth int) {
	b.WriteString(strings.Repeat("  ", depth))
	b.WriteString(n.Describe())
	b.WriteString(" [")
	b.WriteString(formatProps(n))
	b.WriteString("]\n")
	for _, c := range n.Children() {
		formatNode(b, c, depth+1)
	}
}

func formatProps(n Node) string {
	p := n.Props()
	var parts []string
	if p.Updating {
		parts = append(parts, "updating")
	} else {
		parts = append(parts, "append-only")
	}
	if p.Bounded {
		parts = append(parts, "bounded")
	} else {
		parts = append(parts, "unbounded")
	}
	if p.Watermark >= 0 {
		parts = append(parts, "watermark="+n.Schema().Columns[p.Watermark].Name)
	}
	return strings.Join(parts, ", ")
}

// Explain renders the EXPLAIN output of a plan: the plan as bound, the
// optimized plan with the rules that fired, and the physical operators.
func Explain(p *Plan, physical string) string {
	var b strings.Builder
	b.WriteString("== Logical Plan ==\n")
	b.WriteString(FormatPlan(p.Bound))
	b.WriteString("== Optimized Logical Plan ==\n")
	b.WriteString(FormatPlan(p.Optimized))
	if len(p.Fired) > 0 {
		b.WriteString("rules: " + strings.Join(p.Fired, ", ") + "\n")
	}
	if physical != "" {
		b.WriteString("== Physical Plan ==\n")
		b.WriteString(physical)
	}
	return b.String()
}
