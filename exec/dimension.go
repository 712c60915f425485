package exec

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/apache/arrow/go/v17/arrow"

	"github.com/weirsql/weir/sqltypes"
)

// sourceTable is a DimensionTable read from a bounded Source.
type sourceTable struct {
	schema  *arrow.Schema
	open    func(ctx context.Context) (Source, error)
	version func() (string, error)

	loaded bool
	last   string // version of the last load
	bad    int64  // malformed records the last load skipped
}

// BadRecords is the number of malformed records the last load of the
// table skipped ('bad_records' = 'skip'), when its source counts them.
func (t *sourceTable) BadRecords() int64 { return t.bad }

var _ DimensionTable = (*sourceTable)(nil)

// sourceTableAttempts is how many times Load reads a table that keeps
// changing under it (a file being rewritten while it is read can look
// malformed) before it reports the failure.
const sourceTableAttempts = 3

// NewSourceTable returns a DimensionTable over a bounded Source. Its Load
// calls version, a cheap fingerprint of the table's contents (for files:
// their names, sizes and modification times); when the fingerprint differs
// from that of the last load (or on the first Load), it opens a fresh
// Source with open, reads it to io.EOF and returns every batch read,
// whose columns must be of schema's types.
//
// A read that fails while the fingerprint changes under it is retried, up
// to three reads in all; a read that succeeds while the table changes is
// kept, and the next Load, seeing the newer fingerprint, reads it again.
func NewSourceTable(schema *arrow.Schema, open func(ctx context.Context) (Source, error), version func() (string, error)) DimensionTable {
	return &sourceTable{schema: schema, open: open, version: version}
}

// Schema implements DimensionTable.
func (t *sourceTable) Schema() *arrow.Schema { return t.schema }

// Load implements DimensionTable.
func (t *sourceTable) Load(ctx context.Context) ([]arrow.Record, bool, error) {
	for attempt := 1; ; attempt++ {
		v, err := t.version()
		if err != nil {
			return nil, false, fmt.Errorf("check lookup table for changes: %w", err)
		}
		if t.loaded && v == t.last {
			return nil, false, nil
		}
		recs, err := t.read(ctx)
		if err != nil {
			if attempt < sourceTableAttempts && ctx.Err() == nil {
				if now, verr := t.version(); verr == nil && now != v {
					continue // it changed while we read it: read it again
				}
			}
			return nil, false, err
		}
		t.last, t.loaded = v, true
		return recs, true, nil
	}
}

// read opens a Source and reads it to the end.
func (t *sourceTable) read(ctx context.Context) (recs []arrow.Record, err error) {
	src, err := t.open(ctx)
	if err != nil {
		return nil, fmt.Errorf("open lookup table: %w", err)
	}
	defer func() {
		if cerr := src.Close(); cerr != nil {
			err = errors.Join(err, fmt.Errorf("close lookup table: %w", cerr))
		}
		if err != nil {
			releaseLookupRecords(recs)
			recs = nil
		}
	}()
	if err := src.Open(ctx); err != nil {
		return nil, fmt.Errorf("open lookup table: %w", err)
	}
	for {
		b, err := src.Next(ctx)
		if errors.Is(err, io.EOF) {
			if st, ok := src.(interface{ BadRecords() int64 }); ok {
				t.bad = st.BadRecords()
			}
			return recs, nil
		}
		if err != nil {
			return recs, fmt.Errorf("read lookup table: %w", err)
		}
		if b.Record == nil {
			continue
		}
		recs = append(recs, b.Record)
		if err := t.checkRecord(b.Record); err != nil {
			return recs, err
		}
	}
}

// checkRecord checks that rec has the table's column types.
func (t *sourceTable) checkRecord(rec arrow.Record) error {
	if int(rec.NumCols()) != t.schema.NumFields() {
		return fmt.Errorf("read lookup table: a batch of %d columns for a table of %d", rec.NumCols(), t.schema.NumFields())
	}
	for i, f := range t.schema.Fields() {
		if got := rec.Column(i).DataType(); !arrow.TypeEqual(got, f.Type) {
			return fmt.Errorf("read lookup table: column %q is %s, not %s", f.Name, sqltypes.Name(got), sqltypes.Name(f.Type))
		}
	}
	return nil
}

// Close implements DimensionTable; a sourceTable holds nothing between
// loads.
func (t *sourceTable) Close() error { return nil }
