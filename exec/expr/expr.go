package expr

import (
	"fmt"
	"math"
	"sync/atomic"
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
	// Proc is the query's processing-time clock, read by PROCTIME() and by
	// windows over processing time; nil reads the wall clock directly.
	Proc *ProcClock
}

// ProcTime returns the processing time in epoch milliseconds: a reading of
// ctx.Proc, or of the wall clock when it is nil.
func (ctx *Context) ProcTime() int64 {
	if ctx.Proc == nil {
		return time.Now().UnixMilli()
	}
	return ctx.Proc.Millis()
}

// ProcClock is a query's processing-time clock. Its readings never go
// backwards, even when the wall clock is set back, so that a row's
// PROCTIME() is never behind a window the clock has already closed. It is
// safe for concurrent use.
type ProcClock struct {
	now  func() time.Time
	last atomic.Int64
}

// NewProcClock returns a clock reading now (time.Now when nil).
func NewProcClock(now func() time.Time) *ProcClock {
	if now == nil {
		now = time.Now
	}
	c := &ProcClock{now: now}
	c.last.Store(math.MinInt64)
	return c
}

// Millis returns the processing time in epoch milliseconds: the wall
// clock, or the latest reading if the wall clock went back since.
func (c *ProcClock) Millis() int64 {
	ms := c.now().UnixMilli()
	for {
		last := c.last.Load()
		if ms <= last {
			return last
		}
		if c.last.CompareAndSwap(last, ms) {
			return ms
		}
	}
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
