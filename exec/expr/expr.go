package expr

import (
	"fmt"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/memory"
)

// Context is what evaluation may need besides the batch.
type Context struct {
	// Mem allocates result arrays.
	Mem memory.Allocator
	// Now is the query's start time, the value of CURRENT_TIMESTAMP.
	Now time.Time
}

// Expr is a compiled scalar expression. Eval computes it for every row of a
// batch and returns an array of length batch.NumRows(); the caller releases
// the result. Eval never retains the batch.
type Expr interface {
	DataType() arrow.DataType
	Eval(ctx *Context, batch arrow.Record) (arrow.Array, error)
	// String renders the expression as SQL-like text for EXPLAIN.
	String() string
}

// EvalError is a failure of evaluation on some row (division by zero, a
// failed cast). The runtime reports it with the query's position.
type EvalError struct {
	Msg string
}

func (e *EvalError) Error() string { return e.Msg }

// Errorf builds an *EvalError.
func Errorf(format string, args ...any) error {
	return &EvalError{Msg: fmt.Sprintf(format, args...)}
}
