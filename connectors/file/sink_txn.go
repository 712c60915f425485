package file

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/weirsql/weir/connectors/format"
	"github.com/weirsql/weir/exec"
	"github.com/weirsql/weir/state"
)

// Exactly-once output. Under checkpoints (exec.RunWith calls Recover before
// Open) the sink writes rows to an in-progress file beside its target,
// <path>.inprogress. At a checkpoint's barrier PreCommit flushes and syncs
// it and records two lengths in the checkpoint: the committed length of the
// target and the in-progress bytes. Once the checkpoint is durable, Commit
// appends those bytes to the target at its committed length, syncs it and
// empties the in-progress file. The target thus only ever holds committed
// rows. After a crash, Recover redoes the append of the resumed checkpoint
// if it had not completed (the in-progress file is emptied only after the
// target is synced), cuts the target back to the checkpoint's length, and
// drops the in-progress rows written after it: the replay writes them again.

var _ exec.CommittingSink = (*Sink)(nil)

// txnState is the file sink's part of a checkpoint.
type txnState struct {
	committed int64 // the target's length before this checkpoint's append
	staged    int64 // the in-progress bytes this checkpoint commits
}

func (t txnState) encode() []byte {
	e := state.NewEncoder(nil)
	e.Uvarint(1)
	e.Varint(t.committed)
	e.Varint(t.staged)
	return e.Bytes()
}

func decodeTxnState(b []byte) (txnState, error) {
	d := state.NewDecoder(b)
	if v := d.Uvarint(); v != 1 && d.Err() == nil {
		return txnState{}, fmt.Errorf("%w: file sink state version %d", state.ErrCorrupt, v)
	}
	t := txnState{committed: d.Varint(), staged: d.Varint()}
	if err := d.Err(); err != nil {
		return t, err
	}
	if t.committed < 0 || t.staged < 0 {
		return t, fmt.Errorf("%w: file sink state %+v", state.ErrCorrupt, t)
	}
	return t, nil
}

func (s *Sink) stagingPath() string { return s.path + ".inprogress" }

// Recover implements exec.CommittingSink. Id 0 (no checkpoint yet) starts
// the output afresh: an empty target.
func (s *Sink) Recover(ctx context.Context, id uint64, data []byte) error {
	s.txn = true
	if id == 0 || data == nil {
		s.committed = 0
		return nil
	}
	t, err := decodeTxnState(data)
	if err != nil {
		return fmt.Errorf("file sink %q: %w", s.name, err)
	}
	if err := s.finishCommit(t); err != nil {
		return fmt.Errorf("file sink %q: recover %s: %w", s.name, s.path, err)
	}
	s.committed = t.committed + t.staged
	s.resumed = true
	return nil
}

// finishCommit makes the target hold exactly t.committed bytes plus the
// first t.staged bytes of the in-progress file, whatever state a crash
// left them in, then empties the in-progress file.
func (s *Sink) finishCommit(t txnState) error {
	want := t.committed + t.staged
	target, err := os.OpenFile(s.path, os.O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("the output written so far is missing (%w); delete the state directory to start afresh", err)
	}
	defer target.Close()
	info, err := target.Stat()
	if err != nil {
		return err
	}
	if info.Size() < t.committed {
		return fmt.Errorf("the output has %d bytes but %d were committed: it was changed outside weir; delete the state directory to start afresh", info.Size(), t.committed)
	}
	if info.Size() < want {
		staging, err := os.Open(s.stagingPath())
		if err != nil {
			return fmt.Errorf("the rows of the last checkpoint are missing (%w)", err)
		}
		defer staging.Close()
		if _, err := target.Seek(t.committed, io.SeekStart); err != nil {
			return err
		}
		n, err := io.Copy(target, io.LimitReader(staging, t.staged))
		if err != nil {
			return err
		}
		if n != t.staged {
			return fmt.Errorf("the in-progress file holds %d of the %d bytes of the last checkpoint", n, t.staged)
		}
	}
	if err := target.Truncate(want); err != nil {
		return err
	}
	if err := target.Sync(); err != nil {
		return err
	}
	if err := os.Truncate(s.stagingPath(), 0); err != nil && !os.IsNotExist(err) {
		return err
	}
	return nil
}

// openTxn opens the target and the in-progress file for transactional
// writing; Open calls it under checkpoints.
func (s *Sink) openTxn(schema *arrow.Schema) (io.Writer, error) {
	flags := os.O_RDWR | os.O_CREATE
	if !s.resumed {
		flags |= os.O_TRUNC
	}
	target, err := os.OpenFile(s.path, flags, 0o644)
	if err != nil {
		return nil, err
	}
	if err := target.Truncate(s.committed); err != nil {
		target.Close()
		return nil, err
	}
	staging, err := os.OpenFile(s.stagingPath(), os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		target.Close()
		return nil, err
	}
	s.target, s.f = target, staging
	return staging, nil
}

// startHeader writes the CSV header of a fresh output now, so that it is
// committed with the first checkpoint even when no row comes.
func (s *Sink) startHeader(schema *arrow.Schema) error {
	if s.resumed || s.opts.format != "csv" || !s.opts.header {
		return nil
	}
	return format.WriteHeader(s.enc, schema, memory.DefaultAllocator)
}

// PreCommit implements exec.CommittingSink: the rows so far are synced to
// the in-progress file.
func (s *Sink) PreCommit(ctx context.Context, id uint64) ([]byte, error) {
	if !s.txn || s.enc == nil {
		return nil, fmt.Errorf("file sink %q: pre-commit outside a transaction", s.name)
	}
	if err := s.enc.Flush(); err != nil {
		return nil, fmt.Errorf("file sink %q: write %s: %w", s.name, s.stagingPath(), err)
	}
	if err := s.f.Sync(); err != nil {
		return nil, fmt.Errorf("file sink %q: sync %s: %w", s.name, s.stagingPath(), err)
	}
	off, err := s.f.Seek(0, io.SeekCurrent)
	if err != nil {
		return nil, fmt.Errorf("file sink %q: %w", s.name, err)
	}
	s.pending = txnState{committed: s.committed, staged: off}
	return s.pending.encode(), nil
}

// Commit implements exec.CommittingSink: the pre-committed rows move to the
// target.
func (s *Sink) Commit(ctx context.Context, id uint64) error {
	t := s.pending
	if t.staged > 0 {
		if _, err := s.f.Seek(0, io.SeekStart); err != nil {
			return fmt.Errorf("file sink %q: %w", s.name, err)
		}
		if _, err := s.target.Seek(t.committed, io.SeekStart); err != nil {
			return fmt.Errorf("file sink %q: %w", s.name, err)
		}
		if _, err := io.Copy(s.target, io.LimitReader(s.f, t.staged)); err != nil {
			return fmt.Errorf("file sink %q: write %s: %w", s.name, s.path, err)
		}
	}
	if err := s.target.Sync(); err != nil {
		return fmt.Errorf("file sink %q: sync %s: %w", s.name, s.path, err)
	}
	if err := s.f.Truncate(0); err != nil {
		return fmt.Errorf("file sink %q: %w", s.name, err)
	}
	if _, err := s.f.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("file sink %q: %w", s.name, err)
	}
	s.committed = t.committed + t.staged
	s.pending = txnState{committed: s.committed}
	return nil
}
