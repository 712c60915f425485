package exec

import (
	"context"
	"fmt"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
)

// Values emits one batch of n rows with no columns (the input of a SELECT
// without FROM), then ends.
type Values struct {
	n    int
	sent bool
}

var _ Operator = (*Values)(nil)
var _ Describer = (*Values)(nil)

var emptySchema = arrow.NewSchema(nil, nil)

// NewValues builds a Values operator of n rows.
func NewValues(n int) *Values { return &Values{n: n} }

// Schema implements Operator.
func (v *Values) Schema() *arrow.Schema { return emptySchema }

// Children implements Operator.
func (v *Values) Children() []Operator { return nil }

// Describe implements Describer.
func (v *Values) Describe() string { return fmt.Sprintf("ValuesExec: %d row(s)", v.n) }

// Open implements Operator.
func (v *Values) Open(context.Context) error { return nil }

// Next implements Operator.
func (v *Values) Next(context.Context) (Message, error) {
	if v.sent {
		return EndMessage(), nil
	}
	v.sent = true
	return BatchMessage(array.NewRecord(emptySchema, nil, int64(v.n))), nil
}

// Close implements Operator.
func (v *Values) Close() error { return nil }
