package planner

import "strings"

// SortKey is one ORDER BY key over an input column.
type SortKey struct {
	Column     int
	Name       string
	Desc       bool
	NullsFirst bool
}

// Sort buffers a bounded input and emits it ordered by Keys.
type Sort struct {
	Input Node
	Keys  []SortKey
}

// Schema implements Node.
func (s *Sort) Schema() *Schema { return s.Input.Schema() }

// Children implements Node.
func (s *Sort) Children() []Node { return []Node{s.Input} }

// WithChildren implements Node.
func (s *Sort) WithChildren(c []Node) Node { return &Sort{Input: c[0], Keys: s.Keys} }

// Props implements Node: the output has no watermark (rows leave at the
// end), and over an updating input it is the final, append-only result.
func (s *Sort) Props() Props {
	p := s.Input.Props()
	p.Watermark = -1
	p.Updating = false
	return p
}

// Describe implements Node.
func (s *Sort) Describe() string {
	keys := make([]string, len(s.Keys))
	for i, k := range s.Keys {
		keys[i] = k.Name
		if k.Desc {
			keys[i] += " DESC"
		}
		if k.NullsFirst != k.Desc {
			if k.NullsFirst {
				keys[i] += " NULLS FIRST"
			} else {
				keys[i] += " NULLS LAST"
			}
		}
	}
	return "Sort: " + strings.Join(keys, ", ")
}
