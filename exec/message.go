package exec

import (
	"fmt"
	"math"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
)

// MessageKind tells what a Message carries.
type MessageKind uint8

// Message kinds, in the order they may interleave on one edge.
const (
	// MsgBatch carries a batch of rows (and, for updating streams, their ops).
	MsgBatch MessageKind = iota
	// MsgWatermark says no later row on this edge has event time < Watermark.
	MsgWatermark
	// MsgBarrier marks a checkpoint: state up to here belongs to Barrier.
	MsgBarrier
	// MsgEnd closes the stream. It is the last message; Next keeps returning it.
	MsgEnd
)

func (k MessageKind) String() string {
	switch k {
	case MsgBatch:
		return "batch"
	case MsgWatermark:
		return "watermark"
	case MsgBarrier:
		return "barrier"
	case MsgEnd:
		return "end"
	}
	return fmt.Sprintf("MessageKind(%d)", k)
}

// WatermarkMax is the watermark sent when a bounded input is exhausted: every
// window is complete.
const WatermarkMax = int64(math.MaxInt64)

// WatermarkMin is the watermark before any event has been seen.
const WatermarkMin = int64(math.MinInt64)

// Op is a changelog operation on one row, with Flink's names.
type Op int8

// Changelog operations.
const (
	OpInsert       Op = iota // +I
	OpUpdateBefore           // -U
	OpUpdateAfter            // +U
	OpDelete                 // -D
)

func (o Op) String() string {
	switch o {
	case OpInsert:
		return "+I"
	case OpUpdateBefore:
		return "-U"
	case OpUpdateAfter:
		return "+U"
	case OpDelete:
		return "-D"
	}
	return fmt.Sprintf("Op(%d)", int8(o))
}

// Message is one item of the ordered stream on a plan edge: data, watermarks
// and checkpoint barriers travel together, so an operator sees them in the
// order they were produced.
//
// Ownership: whoever receives a Message owns Batch and Ops and must Release
// them (Release does both). An operator that keeps a batch past its Next call
// calls Retain.
type Message struct {
	Kind MessageKind
	// Batch holds the rows of a MsgBatch.
	Batch arrow.Record
	// Ops, when non-nil, holds one Op per row of Batch (an updating stream).
	// Nil means every row is an insert (an append-only stream).
	Ops *array.Int8
	// Watermark is the event time in epoch milliseconds of a MsgWatermark.
	Watermark int64
	// Barrier is the checkpoint id of a MsgBarrier.
	Barrier uint64
}

// BatchMessage wraps rec as an append-only MsgBatch; the message takes over
// the caller's reference.
func BatchMessage(rec arrow.Record) Message { return Message{Kind: MsgBatch, Batch: rec} }

// WatermarkMessage builds a MsgWatermark.
func WatermarkMessage(ts int64) Message { return Message{Kind: MsgWatermark, Watermark: ts} }

// EndMessage builds the MsgEnd message.
func EndMessage() Message { return Message{Kind: MsgEnd} }

// Release releases the batch and ops a message holds; it is safe on any kind.
func (m *Message) Release() {
	if m.Batch != nil {
		m.Batch.Release()
		m.Batch = nil
	}
	if m.Ops != nil {
		m.Ops.Release()
		m.Ops = nil
	}
}

// NumRows is the number of rows of a MsgBatch, 0 otherwise.
func (m *Message) NumRows() int {
	if m.Batch == nil {
		return 0
	}
	return int(m.Batch.NumRows())
}
