package stdout

import (
	"bytes"
	"context"
	"fmt"

	"github.com/apache/arrow/go/v17/arrow"

	"github.com/weirsql/weir/connectors/format"
	"github.com/weirsql/weir/exec"
	"github.com/weirsql/weir/state"
)

// Committed output. Under checkpoints (exec.RunWith calls Recover before
// Open) the sink holds the rows of each checkpoint interval in memory and
// prints them when the checkpoint commits, so what is printed is never
// taken back: after a crash the resumed query prints from the last
// checkpoint on, without a second header. The price is latency: rows show
// up to one checkpoint interval late (the CLI's --delivery-guarantee
// at-least-once prints them at once instead). In table format over an
// updating result, the materialized table is part of the checkpoint.

var _ exec.CommittingSink = (*Sink)(nil)

// Recover implements exec.CommittingSink.
func (s *Sink) Recover(ctx context.Context, id uint64, data []byte) error {
	s.txn = true
	if id == 0 || data == nil {
		return nil
	}
	d := state.NewDecoder(data)
	if v := d.Uvarint(); v != 1 && d.Err() == nil {
		return fmt.Errorf("stdout sink %q: %w: state version %d", s.name, state.ErrCorrupt, v)
	}
	s.headerDone = d.Bool()
	if d.Bool() {
		s.restoredView = d.Record(s.mem)
	}
	if err := d.Err(); err != nil {
		return fmt.Errorf("stdout sink %q: %w", s.name, err)
	}
	return nil
}

// PreCommit implements exec.CommittingSink: it marks the output so far.
func (s *Sink) PreCommit(ctx context.Context, id uint64) ([]byte, error) {
	if !s.txn || s.enc == nil {
		return nil, fmt.Errorf("stdout sink %q: pre-commit outside a transaction", s.name)
	}
	if err := s.enc.Flush(); err != nil {
		return nil, fmt.Errorf("stdout sink %q: %w", s.name, err)
	}
	s.mark = s.pending.Len()
	e := state.NewEncoder(nil)
	e.Uvarint(1)
	e.Bool(s.headerDone || s.wrote)
	e.Bool(s.view != nil)
	if s.view != nil {
		rec, err := s.view.Result()
		if err != nil {
			return nil, fmt.Errorf("stdout sink %q: %w", s.name, err)
		}
		err = e.Record(rec)
		rec.Release()
		if err != nil {
			return nil, fmt.Errorf("stdout sink %q: %w", s.name, err)
		}
	}
	return e.Bytes(), nil
}

// Commit implements exec.CommittingSink: it prints the marked output.
func (s *Sink) Commit(ctx context.Context, id uint64) error {
	out := s.pending.Next(s.mark)
	s.mark = 0
	if _, err := s.w.Write(out); err != nil {
		return fmt.Errorf("stdout sink %q: %w", s.name, err)
	}
	if s.pending.Len() == 0 {
		s.pending.Reset()
	}
	return nil
}

// writeHeader prints the CSV header by writing no rows.
func (s *Sink) writeHeader(schema *arrow.Schema) error {
	s.wrote = true
	return format.WriteHeader(s.enc, schema, s.mem)
}

// closeTxn ends committed output: rows after the last commit are dropped
// (a restart prints them), what closes the output (a table's rows and
// count) is printed.
func (s *Sink) closeTxn() error {
	s.pending.Reset()
	var err error
	if s.view != nil {
		err = s.printView()
	}
	if cerr := s.enc.Close(); err == nil {
		err = cerr
	}
	if _, werr := s.w.Write(s.pending.Bytes()); err == nil {
		err = werr
	}
	s.pending = bytes.Buffer{}
	return err
}
