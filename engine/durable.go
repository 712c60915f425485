package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/zeebo/xxh3"

	"github.com/weirsql/weir/diag"
	"github.com/weirsql/weir/exec"
	"github.com/weirsql/weir/state"
)

// DefaultCheckpointInterval is the time between checkpoints unless set
// otherwise.
const DefaultCheckpointInterval = 10 * time.Second

// Delivery guarantees of the stdout sink under checkpoints.
const (
	// ExactlyOnce prints a checkpoint's rows when it commits.
	ExactlyOnce = "exactly-once"
	// AtLeastOnce prints rows at once; after a restart the rows since the
	// last checkpoint print again.
	AtLeastOnce = "at-least-once"
)

// StateOptions make a session's queries durable: checkpointed into a state
// directory and resumed from it after a restart.
type StateOptions struct {
	// Store is the open state directory.
	Store *state.Store
	// Interval between checkpoints (default DefaultCheckpointInterval).
	Interval time.Duration
	// Stdout is the delivery guarantee of rows printed to standard output:
	// ExactlyOnce (the default) or AtLeastOnce.
	Stdout string
	// Stop, when closed, makes the running query take a checkpoint and
	// stop; the script then ends with ErrStopped.
	Stop <-chan struct{}
	// Optional says the user did not ask for state: a query that cannot be
	// checkpointed then runs without, with a note, instead of failing.
	Optional bool
}

// ErrStopped is returned when a query stopped on request after its
// checkpoint: running the same command again resumes it.
var ErrStopped = errors.New("stopped")

// ErrStateMismatch is the kind of the error for a state directory holding
// a checkpoint of a different query.
var ErrStateMismatch = state.ErrMismatch

// durableQuery is one query of a script in the state directory.
type durableQuery struct {
	ns          string // namespace: "q1", "q2", ... in script order
	fingerprint string
	text        string
}

// fingerprint identifies a query's physical plan and sink: a restart may
// only resume a checkpoint of the same plan.
func fingerprint(op exec.Operator, sink string) string {
	h := xxh3.HashString128(exec.FormatPlan(op) + "\n→ " + sink)
	b := h.Bytes()
	return fmt.Sprintf("%x", b[:])
}

// runDurable runs a query with checkpoints in the state directory.
func (s *Session) runDurable(ctx context.Context, op exec.Operator, sink exec.Sink, updating bool, target sinkInfo, pos diag.Pos) error {
	so := s.opts.State
	s.queries++
	q := durableQuery{ns: fmt.Sprintf("q%d", s.queries), fingerprint: fingerprint(op, target.describe), text: pos.String()}
	if err := exec.CanCheckpoint(op); err != nil {
		if so.Optional {
			fmt.Fprintf(s.opts.Stderr, "weir: %s: running without checkpoints: %v\n", pos, err)
			_, err := exec.Run(ctx, op, sink, updating)
			return err
		}
		op.Close()
		sink.Close()
		return &diag.Error{Pos: pos, Msg: err.Error(), Kind: exec.ErrNotCheckpointable}
	}
	m, data, err := so.Store.Load(q.ns)
	if err != nil {
		op.Close()
		sink.Close()
		return err
	}
	var resume *exec.Snapshot
	if m != nil {
		if m.Fingerprint != q.fingerprint {
			op.Close()
			sink.Close()
			return &diag.Error{Pos: pos, Kind: ErrStateMismatch,
				Msg: fmt.Sprintf("the state directory %s holds a checkpoint of a different query %d of this script (checkpointed %s, from %s); the query or its input changed since",
					so.Store.Dir(), s.queries, m.Time.Format(time.DateTime), m.Query),
				Hint: fmt.Sprintf("delete %s to start afresh, or give --state-dir another directory", so.Store.Dir())}
		}
		resume = &exec.Snapshot{ID: m.ID, Final: m.Final, Data: data}
		if m.Final {
			fmt.Fprintf(s.opts.Stderr, "weir: %s: this query finished in an earlier run (checkpoint %d); skipping it\n", pos, m.ID)
		} else {
			fmt.Fprintf(s.opts.Stderr, "weir: %s: resuming from checkpoint %d of %s\n", pos, m.ID, m.Time.Format(time.DateTime))
		}
	}
	s.durable = append(s.durable, q.ns)
	if target.stdout && s.opts.State.Stdout == AtLeastOnce {
		sink = writeThrough{sink}
	}
	cfg := exec.CheckpointConfig{
		Interval: so.Interval,
		Resume:   resume,
		Stop:     so.Stop,
		Store: func(ctx context.Context, snap *exec.Snapshot) error {
			return so.Store.Save(q.ns, state.Manifest{ID: snap.ID, Final: snap.Final, Fingerprint: q.fingerprint, Query: q.text}, snap.Data)
		},
		Committed: func(cs exec.CheckpointStats) {
			s.lastCheckpoint = cs
		},
	}
	if cfg.Interval <= 0 {
		cfg.Interval = DefaultCheckpointInterval
	}
	spill, cleanup := s.spillConfig(q.ns)
	defer cleanup()
	exec.ConfigureSpill(op, spill)
	_, err = exec.RunWith(ctx, op, sink, updating, cfg)
	s.reportSpill(op, pos.String())
	if errors.Is(err, exec.ErrStopped) {
		fmt.Fprintf(s.opts.Stderr, "weir: %s: stopped after checkpoint %d in %s; run the same command to resume\n", pos, s.lastCheckpoint.ID, so.Store.Dir())
		return ErrStopped
	}
	return err
}

// finishScript forgets the checkpoints of a script that ran to its end, so
// that running it again starts afresh.
func (s *Session) finishScript() error {
	if s.opts.State == nil {
		return nil
	}
	for _, ns := range s.durable {
		if err := s.opts.State.Store.Drop(ns); err != nil {
			return err
		}
	}
	s.durable, s.queries = nil, 0
	return nil
}

// sinkInfo describes where a query's rows go.
type sinkInfo struct {
	describe string // connector, name and options, for the fingerprint
	stdout   bool   // printed to standard output
}

// writeThrough hides a sink's CommittingSink methods, so that it prints
// rows at once (at-least-once).
type writeThrough struct{ exec.Sink }

// committingStatusSink is statusSink for a CommittingSink.
type committingStatusSink struct {
	*statusSink
	cs exec.CommittingSink
}

func (c committingStatusSink) PreCommit(ctx context.Context, id uint64) ([]byte, error) {
	return c.cs.PreCommit(ctx, id)
}

func (c committingStatusSink) Commit(ctx context.Context, id uint64) error {
	return c.cs.Commit(ctx, id)
}

func (c committingStatusSink) Recover(ctx context.Context, id uint64, data []byte) error {
	return c.cs.Recover(ctx, id, data)
}

// withStatus wraps sink to show the status line, keeping its commit
// protocol.
func withStatus(sink exec.Sink, st *status) exec.Sink {
	ss := &statusSink{Sink: sink, st: st}
	if cs, ok := sink.(exec.CommittingSink); ok {
		return committingStatusSink{statusSink: ss, cs: cs}
	}
	return ss
}

// describeSink describes a sink for the plan fingerprint.
func describeSink(connector, name string, opts map[string]string) string {
	var b strings.Builder
	b.WriteString(connector + " " + name)
	keys := make([]string, 0, len(opts))
	for k := range opts {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		fmt.Fprintf(&b, " %s=%s", k, opts[k])
	}
	return b.String()
}
