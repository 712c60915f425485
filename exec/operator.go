package exec

import (
	"context"

	"github.com/apache/arrow/go/v17/arrow"
)

// Operator is a node of a physical plan. Operators are pulled: the consumer
// calls Next, which pulls from the operator's inputs as needed.
//
// Lifecycle:
//   - Open is called once, before the first Next; it opens the inputs.
//   - Next returns the next message. Data batches, watermarks and barriers
//     come in stream order; an operator that does not act on watermarks or
//     barriers forwards them unchanged. After the last data the stream ends
//     with MsgEnd, and every later call returns MsgEnd again. A non-nil error
//     ends the stream; the caller must not call Next again.
//   - Close releases everything the operator holds and closes its inputs. It
//     is safe to call twice, and without Open.
//
// The receiver of a message owns its batch (see Message).
type Operator interface {
	// Schema is the schema of every batch the operator emits.
	Schema() *arrow.Schema
	Open(ctx context.Context) error
	Next(ctx context.Context) (Message, error)
	Close() error
	// Children returns the operator's inputs, for plan printing and for the
	// runtime's walks (metrics, checkpoints).
	Children() []Operator
}

// Describer is implemented by operators that print themselves in EXPLAIN
// output with more than their type name.
type Describer interface {
	// Describe returns a one-line description such as "Filter: price > 100".
	Describe() string
}
