package format

import (
	"github.com/apache/arrow/go/v17/arrow"

	"github.com/weirsql/weir/sqltypes"
)

// TableCells returns the text of every value of arr as the table format
// prints it: NULL as NULL, control characters escaped so that a cell stays
// on one line. The REPL uses it to keep the rows of a table it redraws.
func TableCells(arr arrow.Array) []string {
	var t textCol
	t.render(arr, styleTable, ',')
	cells := make([]string, len(t.end))
	start := 0
	for i, end := range t.end {
		cells[i] = string(t.buf[start:end])
		start = end
	}
	return cells
}

// RightAligned reports whether the table format right-aligns values of
// type t: numbers are, other values are left-aligned.
func RightAligned(t arrow.DataType) bool {
	switch t.ID() {
	case arrow.UINT8, arrow.UINT16, arrow.UINT32, arrow.UINT64:
		return true
	}
	return sqltypes.IsNumeric(t)
}

// DisplayWidth is the number of terminal columns s takes: two for East
// Asian wide characters and most emoji, one for others.
func DisplayWidth(s string) int { return displayWidth(s) }

// TableText is s as the table format prints a string (a column name, say):
// control characters escaped, invalid UTF-8 replaced.
func TableText(s string) string { return string(appendTableText(nil, s)) }
