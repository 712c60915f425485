package exec

import (
	"fmt"
	"strings"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"

	"github.com/weirsql/weir/exec/expr"
)

// ScanShape turns a connector's batch into a scan's output. It evaluates
// the source's computed columns (`col AS expr` in its DDL, such as
// `p_time AS PROCTIME()`) over the batch, and arranges the batch's columns
// and the computed ones in the order of the plan. The scan applies it
// before anything else, so that the watermark and a pushed-down filter see
// computed columns like any other.
type ScanShape struct {
	// Computed are evaluated over the connector's batch.
	Computed []expr.Expr
	// Names are the names of the Computed columns, for EXPLAIN.
	Names []string
	// Output lists, per output column, the index of a column of the
	// connector's batch, or the batch's width plus k for Computed[k].
	Output []int
	// Schema is the schema of the output.
	Schema *arrow.Schema
}

// SetShape makes the scan shape each batch of its source with sh (nil: no
// shaping); it is called before Open.
func (s *Scan) SetShape(sh *ScanShape) { s.shape = sh }

// apply builds the output of one batch; the caller keeps ownership of rec.
func (sh *ScanShape) apply(ec *expr.Context, rec arrow.Record) (arrow.Record, error) {
	width := int(rec.NumCols())
	computed := make([]arrow.Array, len(sh.Computed))
	defer func() {
		for _, a := range computed {
			if a != nil {
				a.Release()
			}
		}
	}()
	for k, e := range sh.Computed {
		a, err := e.Eval(ec, rec)
		if err != nil {
			return nil, fmt.Errorf("computed column %s: %w", sh.Names[k], err)
		}
		computed[k] = a
	}
	cols := make([]arrow.Array, len(sh.Output))
	for i, o := range sh.Output {
		switch {
		case o < width:
			cols[i] = rec.Column(o)
		case o-width < len(computed):
			cols[i] = computed[o-width]
		default:
			return nil, fmt.Errorf("scan shape: output column %d reads column %d of %d", i, o, width+len(computed))
		}
	}
	return array.NewRecord(sh.Schema, cols, rec.NumRows()), nil
}

// describe lists the computed columns for EXPLAIN ("" for none or nil).
func (sh *ScanShape) describe() string {
	if sh == nil || len(sh.Computed) == 0 {
		return ""
	}
	items := make([]string, len(sh.Computed))
	for k, e := range sh.Computed {
		items[k] = sh.Names[k] + " AS " + e.String()
	}
	return " computed=[" + strings.Join(items, ", ") + "]"
}
