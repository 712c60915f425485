package exec

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/weirsql/weir/state"
)

// Checkpoints are aligned barriers (Flink's asynchronous barrier
// snapshotting, simplified to Weir's single-threaded pull pipelines): the
// runtime asks the scans for a checkpoint; each scan, between two source
// batches, records its sources' read positions and sends a MsgBarrier down
// the plan; every stateful operator saves its state when the barrier reaches
// it, after everything before the barrier and before anything after it; an
// operator with several inputs (a join) aligns the barriers: it reads only
// the inputs that have not sent theirs yet, and sends one barrier on once
// every input still running has; the sink pre-commits its output when the
// barrier arrives; the runtime then writes the whole checkpoint in one
// atomic store write and tells the sink to commit. After a crash, the
// runtime restores every operator and source from the last committed
// checkpoint and asks the sink to recover: output past that checkpoint is
// dropped and is produced again by the replay.

// CheckpointedSource is a Source whose read position can be saved at a
// checkpoint and restored after a restart. A source that is not one replays
// from its beginning, so a query over it cannot resume.
type CheckpointedSource interface {
	Source
	// Position encodes the read position of every split just after the last
	// batch Next returned: rows after it have not been returned yet.
	Position() ([]byte, error)
	// Restore is called once, before Open, with a Position of an earlier run
	// of the same query; Open then starts reading from there.
	Restore(pos []byte) error
}

// CommittingSink is a sink whose output becomes final only when a checkpoint
// commits: a two-phase commit with the checkpoint. A Sink that is not one
// writes through and is at-least-once across a restart.
type CommittingSink interface {
	Sink
	// PreCommit is called when the barrier of checkpoint id reaches the sink:
	// everything written before it must be made durable but not yet final.
	// The returned bytes are stored in the checkpoint and given back to
	// Recover.
	PreCommit(ctx context.Context, id uint64) ([]byte, error)
	// Commit makes the output pre-committed for checkpoint id final. It is
	// called after the checkpoint is durable, and again by Recover's caller
	// if a crash may have come in between, so it must be idempotent.
	Commit(ctx context.Context, id uint64) error
	// Recover is called once, before Open, by a run with checkpoints: with
	// id 0 and no data on a fresh start, else with the checkpoint the query
	// resumes from and what PreCommit returned for it. It puts the sink in
	// transactional mode, finishes that checkpoint's commit if it had not
	// completed, and drops any output written after it. Without a call to
	// Recover (a run without checkpoints) the sink writes through.
	Recover(ctx context.Context, id uint64, data []byte) error
}

// CheckpointTrigger is how the runtime asks the scans for a barrier: it
// raises the requested checkpoint id, and each scan sends a barrier with
// that id before reading its next source batch.
type CheckpointTrigger struct {
	want atomic.Uint64
}

// Request asks for checkpoint id (ids only grow).
func (t *CheckpointTrigger) Request(id uint64) {
	for {
		cur := t.want.Load()
		if id <= cur || t.want.CompareAndSwap(cur, id) {
			return
		}
	}
}

func (t *CheckpointTrigger) requested() uint64 { return t.want.Load() }

// SetCheckpointTrigger makes the scan send barriers on t's requests.
func (s *Scan) SetCheckpointTrigger(t *CheckpointTrigger) { s.trigger = t }

// Snapshot is one checkpoint of a running query, as the runtime hands it to
// the store and gets it back on restart.
type Snapshot struct {
	// ID numbers the checkpoints of a query from 1.
	ID uint64
	// Final says the query ran to its end: Data holds only the sink's
	// state, and a restart starts the query afresh.
	Final bool
	// Data encodes the operators' states, the sources' positions and the
	// sink's pre-commit state.
	Data []byte
}

// CheckpointConfig turns on checkpoints for RunWith.
type CheckpointConfig struct {
	// Interval between checkpoints; 0 takes them only on Stop and at the
	// end.
	Interval time.Duration
	// Resume, when set, is the checkpoint to restart from. A final one
	// only has its sink commit completed: RunWith then returns at once.
	Resume *Snapshot
	// Store writes a snapshot durably in one atomic write; when it returns
	// nil the checkpoint is committed.
	Store func(ctx context.Context, s *Snapshot) error
	// Stop, when closed, makes the run take a checkpoint at once and return
	// ErrStopped after it commits.
	Stop <-chan struct{}
	// Committed, when set, is told about each committed checkpoint.
	Committed func(CheckpointStats)
}

// CheckpointStats describes one committed checkpoint.
type CheckpointStats struct {
	ID       uint64
	Bytes    int
	Duration time.Duration // from the barrier leaving the plan to commit
	Final    bool
}

// ErrStopped is returned by RunWith after the final checkpoint of a run
// that was asked to stop.
var ErrStopped = errors.New("stopped after a checkpoint")

// snapshotVersion is the encoding version of Snapshot.Data.
const snapshotVersion = 1

// checkpointer drives the checkpoints of one run.
type checkpointer struct {
	cfg      CheckpointConfig
	root     Operator
	sink     Sink
	ops      []Operator // pre-order: an operator's index is its id
	trigger  CheckpointTrigger
	last     uint64 // id of the last committed checkpoint
	stopping atomic.Bool
	quit     chan struct{}
	wg       sync.WaitGroup
	// requesters are the sources told of each commit (source_group.go).
	requesters []CheckpointRequester
}

// ErrNotCheckpointable is the kind of CanCheckpoint's errors.
var ErrNotCheckpointable = errors.New("cannot be checkpointed")

// barrierAligner is implemented by operators with several inputs that
// align checkpoint barriers: having received a barrier from one input, the
// operator reads nothing more from it until the barrier has come from every
// other input still running, then sends one barrier on. The state of such
// a plan at a barrier is then the state after exactly the rows each scan
// had read when it sent its barrier.
type barrierAligner interface {
	alignsBarriers()
}

// CanCheckpoint reports why a plan cannot run with checkpoints, or nil.
func CanCheckpoint(root Operator) error {
	var scans []*Scan
	var unaligned Operator
	Walk(root, func(op Operator) {
		if s, ok := op.(*Scan); ok {
			scans = append(scans, s)
		}
		if _, ok := op.(barrierAligner); !ok && len(op.Children()) > 1 && unaligned == nil {
			unaligned = op
		}
	})
	if unaligned != nil {
		name := fmt.Sprintf("%T", unaligned)
		if d, ok := unaligned.(Describer); ok {
			name = d.Describe()
		}
		return fmt.Errorf("%w: operator %s reads %d inputs but does not align checkpoint barriers (run the query with --no-state)", ErrNotCheckpointable, name, len(unaligned.Children()))
	}
	for _, s := range scans {
		if _, ok := s.Source().(CheckpointedSource); !ok {
			return fmt.Errorf("%w: source %s cannot resume from a read position, so its query cannot be checkpointed (run it with --no-state)", ErrNotCheckpointable, s.Name())
		}
	}
	return nil
}

// newCheckpointer checks that the plan can be checkpointed and wires the
// trigger into its scans.
func newCheckpointer(cfg CheckpointConfig, root Operator, sink Sink) (*checkpointer, error) {
	if err := CanCheckpoint(root); err != nil {
		return nil, err
	}
	c := &checkpointer{cfg: cfg, root: root, sink: sink, quit: make(chan struct{})}
	Walk(root, func(op Operator) {
		if l, ok := op.(checkpointListener); ok {
			l.deferSpillDeletes()
		}
		c.ops = append(c.ops, op)
		if s, ok := op.(*Scan); ok {
			s.SetCheckpointTrigger(&c.trigger)
		}
	})
	c.requesters = wireCheckpointRequesters(c) // source_group.go
	if cfg.Resume != nil {
		c.last = cfg.Resume.ID
		c.trigger.Request(cfg.Resume.ID)
	}
	return c, nil
}

// restore applies the resumed snapshot to the operators and the sink,
// before they open.
func (c *checkpointer) restore(ctx context.Context) error {
	s := c.cfg.Resume
	if s == nil {
		if cs, ok := c.sink.(CommittingSink); ok {
			if err := cs.Recover(ctx, 0, nil); err != nil {
				return fmt.Errorf("start sink: %w", err)
			}
		}
		return nil
	}
	d := state.NewDecoder(s.Data)
	if v := d.Uvarint(); v != snapshotVersion && d.Err() == nil {
		return fmt.Errorf("checkpoint %d has encoding version %d; this weir reads version %d", s.ID, v, snapshotVersion)
	}
	final := d.Bool()
	n := d.Count(2)
	for i := 0; i < n && d.Err() == nil; i++ {
		idx, kind, blob := d.Int(), d.String(), d.Blob()
		if d.Err() != nil {
			break
		}
		if final {
			return fmt.Errorf("checkpoint %d is final but holds operator state", s.ID)
		}
		if idx < 0 || idx >= len(c.ops) || opKind(c.ops[idx]) != kind {
			return fmt.Errorf("checkpoint %d does not match the plan: operator %d is %s in the checkpoint", s.ID, idx, kind)
		}
		st, ok := c.ops[idx].(Stateful)
		if !ok {
			return fmt.Errorf("checkpoint %d does not match the plan: operator %d (%s) keeps no state", s.ID, idx, kind)
		}
		od := state.NewDecoder(blob)
		if err := st.RestoreState(od); err != nil {
			return fmt.Errorf("restore %s from checkpoint %d: %w", kind, s.ID, err)
		}
		if od.Remaining() != 0 {
			return fmt.Errorf("restore %s from checkpoint %d: %w: %d bytes left over", kind, s.ID, state.ErrCorrupt, od.Remaining())
		}
	}
	// Every barrier up to the resumed checkpoint has been sent. (A scan
	// may have saved an older id: a join sends on the larger of its inputs'
	// barrier ids, and the runtime may number a checkpoint past both.)
	// Without this, such a scan would send a barrier at once, which a join
	// would hold until its other input sends one too.
	for _, op := range c.ops {
		if sc, ok := op.(*Scan); ok && sc.barrier < s.ID {
			sc.barrier = s.ID
		}
	}
	hasSink := d.Bool()
	sinkData := d.Blob()
	if err := d.Err(); err != nil {
		return fmt.Errorf("checkpoint %d: %w", s.ID, err)
	}
	if cs, ok := c.sink.(CommittingSink); ok && hasSink {
		if err := cs.Recover(ctx, s.ID, sinkData); err != nil {
			return fmt.Errorf("recover sink from checkpoint %d: %w", s.ID, err)
		}
	}
	return nil
}

// checkpointListener is implemented by operators that act when a
// checkpoint commits (deleting spilled state the checkpoint no longer
// needs).
type checkpointListener interface {
	// deferSpillDeletes says the run takes checkpoints: spilled state may
	// only be deleted once a checkpoint no longer refers to it.
	deferSpillDeletes()
	checkpointCommitted() error
}

// opKind names an operator's type for the checkpoint's consistency check.
func opKind(op Operator) string { return fmt.Sprintf("%T", op) }

// start runs the interval timer and watches Stop.
func (c *checkpointer) start() {
	if c.cfg.Interval <= 0 && c.cfg.Stop == nil {
		return
	}
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		var tick <-chan time.Time
		if c.cfg.Interval > 0 {
			t := time.NewTicker(c.cfg.Interval)
			defer t.Stop()
			tick = t.C
		}
		stop := c.cfg.Stop
		for {
			select {
			case <-c.quit:
				return
			case <-tick:
				c.trigger.Request(c.trigger.requested() + 1)
			case <-stop:
				c.stopping.Store(true)
				c.trigger.Request(c.trigger.requested() + 1)
				stop = nil
			}
		}
	}()
}

func (c *checkpointer) close() {
	close(c.quit)
	c.wg.Wait()
}

// checkpoint saves every operator's state and the sink's pre-commit state
// for barrier id, stores them, and commits the sink.
func (c *checkpointer) checkpoint(ctx context.Context, id uint64, final bool) error {
	began := time.Now()
	if id <= c.last {
		id = c.last + 1
	}
	e := state.NewEncoder(nil)
	e.Uvarint(snapshotVersion)
	e.Bool(final)
	var states []int
	if !final {
		for i, op := range c.ops {
			if _, ok := op.(Stateful); ok {
				states = append(states, i)
			}
		}
	}
	e.Count(len(states))
	sub := state.NewEncoder(nil)
	for _, i := range states {
		sub = state.NewEncoder(sub.Bytes())
		if err := c.ops[i].(Stateful).SaveState(sub); err != nil {
			return fmt.Errorf("checkpoint %d: %w", id, err)
		}
		e.Int(i)
		e.String(opKind(c.ops[i]))
		e.Blob(sub.Bytes())
	}
	cs, committing := c.sink.(CommittingSink)
	e.Bool(committing)
	var sinkData []byte
	if committing {
		var err error
		if sinkData, err = cs.PreCommit(ctx, id); err != nil {
			return fmt.Errorf("checkpoint %d: pre-commit sink: %w", id, err)
		}
	}
	e.Blob(sinkData)
	snap := &Snapshot{ID: id, Final: final, Data: e.Bytes()}
	if err := c.cfg.Store(ctx, snap); err != nil {
		return fmt.Errorf("checkpoint %d: %w", id, err)
	}
	c.last = id
	if committing {
		if err := cs.Commit(ctx, id); err != nil {
			return fmt.Errorf("checkpoint %d: commit sink: %w", id, err)
		}
	}
	for _, op := range c.ops {
		if l, ok := op.(checkpointListener); ok {
			if err := l.checkpointCommitted(); err != nil {
				return fmt.Errorf("checkpoint %d: %w", id, err)
			}
		}
	}
	for _, r := range c.requesters { // source_group.go
		r.CheckpointCommitted(id)
	}
	if c.cfg.Committed != nil {
		c.cfg.Committed(CheckpointStats{ID: id, Bytes: len(snap.Data), Duration: time.Since(began), Final: final})
	}
	return nil
}

// RunWith is Run with checkpoints: it restores the plan and the sink from
// cfg.Resume, takes a checkpoint at every barrier, and a final one at the
// end of input. Checkpoints need every source to be a CheckpointedSource;
// the sink is exactly-once if it is a CommittingSink.
func RunWith(ctx context.Context, root Operator, sink Sink, updating bool, cfg CheckpointConfig) (st Stats, err error) {
	if cfg.Store == nil {
		return st, fmt.Errorf("checkpoints without a store")
	}
	if err := checkSharedSources(root); err != nil { // source_group.go: before the sink recovers
		root.Close()
		sink.Close()
		return st, err
	}
	c, err := newCheckpointer(cfg, root, sink)
	if err != nil {
		root.Close()
		sink.Close()
		return st, err
	}
	if err := c.restore(ctx); err != nil {
		root.Close()
		sink.Close()
		return st, err
	}
	if cfg.Resume != nil && cfg.Resume.Final {
		// The query had finished; only its sink's commit may have been
		// interrupted, and restore has completed it.
		root.Close()
		return st, sink.Close()
	}
	return drive(ctx, root, sink, updating, c)
}
