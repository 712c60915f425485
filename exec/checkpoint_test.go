package exec

import (
	"context"
	"errors"
	"fmt"
	"math/rand"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow/go/v17/arrow"

	"github.com/weirsql/weir/exec/agg"
	"github.com/weirsql/weir/exec/expr"
	"github.com/weirsql/weir/sqltypes"
	"github.com/weirsql/weir/state"
)

// ckptSource is a fakeSource that can save and restore its position.
type ckptSource struct {
	*fakeSource
	start int
}

func (s *ckptSource) Position() ([]byte, error) {
	e := state.NewEncoder(nil)
	e.Int(s.pos)
	return e.Bytes(), nil
}

func (s *ckptSource) Restore(pos []byte) error {
	d := state.NewDecoder(pos)
	s.start = d.Int()
	return d.Err()
}

func (s *ckptSource) Open(ctx context.Context) error {
	if err := s.fakeSource.Open(ctx); err != nil {
		return err
	}
	for i := 0; i < s.start; i++ {
		if s.recs[i] != nil {
			s.recs[i].Release()
			s.recs[i] = nil
		}
	}
	s.pos = s.start
	return nil
}

// durableOutput is what survives a crash of memSink: the rows of each
// pre-committed checkpoint and the committed rows.
type durableOutput struct {
	prepared  map[uint64][]string
	committed []string
	done      map[uint64]bool
}

// memSink is a CommittingSink over a durableOutput. failAfter > 0 makes its
// Write fail on that call (a crash while writing); failCommit makes Commit
// fail (a crash between the checkpoint and the sink's commit).
type memSink struct {
	out        *durableOutput
	schema     *arrow.Schema
	open       []string
	writes     int
	failAfter  int
	failCommit bool
}

func (s *memSink) Open(_ context.Context, schema *arrow.Schema, _ bool) error {
	s.schema = schema
	return nil
}

func (s *memSink) Write(_ context.Context, m Message) error {
	defer m.Release()
	if m.Kind != MsgBatch {
		return nil
	}
	s.writes++
	if s.failAfter > 0 && s.writes == s.failAfter {
		return errCrash
	}
	ops := []Op(nil)
	if m.Ops != nil {
		for _, o := range m.Ops.Int8Values() {
			ops = append(ops, Op(o))
		}
	}
	for i := 0; i < int(m.Batch.NumRows()); i++ {
		var b strings.Builder
		if ops != nil {
			b.WriteString(ops[i].String() + " ")
		}
		for c := 0; c < int(m.Batch.NumCols()); c++ {
			fmt.Fprintf(&b, "%v ", m.Batch.Column(c).ValueStr(i))
		}
		s.open = append(s.open, b.String())
	}
	return nil
}

func (s *memSink) PreCommit(_ context.Context, id uint64) ([]byte, error) {
	s.out.prepared[id] = s.open
	s.open = nil
	return []byte("ok"), nil
}

func (s *memSink) Commit(_ context.Context, id uint64) error {
	if s.failCommit {
		return errCrash
	}
	s.commit(id)
	return nil
}

func (s *memSink) commit(id uint64) {
	if s.out.done[id] {
		return
	}
	s.out.done[id] = true
	s.out.committed = append(s.out.committed, s.out.prepared[id]...)
	delete(s.out.prepared, id)
}

func (s *memSink) Recover(_ context.Context, id uint64, data []byte) error {
	if id == 0 {
		return nil
	}
	if string(data) != "ok" {
		return fmt.Errorf("sink state %q", data)
	}
	s.commit(id)
	for k := range s.out.prepared {
		if k > id {
			delete(s.out.prepared, k)
		}
	}
	return nil
}

func (s *memSink) Close() error { return nil }

var errCrash = errors.New("simulated crash")

// TestCheckpointRecovery runs windowed and unwindowed aggregations through
// RunWith with checkpoints as often as the clock allows, crashing them at
// random points (while writing output, while storing a checkpoint, between
// the checkpoint and the sink's commit) and restarting each time from the
// last stored checkpoint. The committed output must equal that of an
// uninterrupted run, row for row and in order.
func TestCheckpointRecovery(t *testing.T) {
	schema := schemaOf(field("k", sqltypes.Varchar), field("v", sqltypes.BigInt), field("ts", tsType))
	windows := []*WindowSpec{
		{Kind: Tumble, TimeCol: 2, Size: 1000},
		{Kind: Hop, TimeCol: 2, Slide: 500, Size: 1500},
		{Kind: Tumble, TimeCol: 2, Size: 1000, Lateness: 300},
		{Kind: Session, TimeCol: 2, Gap: 300},
		nil, // unwindowed GROUP BY: an updating result
	}
	seeds := 6
	if testing.Short() {
		seeds = 2
	}
	for seed := 0; seed < seeds; seed++ {
		events := randomEvents(seed, 400, 400)
		var rows []row
		for _, e := range events {
			rows = append(rows, row{e.k, e.v, e.ts})
		}
		for _, win := range windows {
			name := fmt.Sprintf("seed%d/group", seed)
			if win != nil {
				name = fmt.Sprintf("seed%d/%s/lateness%d", seed, win.Kind, win.Lateness)
			}
			t.Run(name, func(t *testing.T) {
				mem := newMem(t)
				build := func() Operator {
					src := &ckptSource{fakeSource: newFakeSource(t, mem, schema, 2, interleave(9, true, rows[:200], rows[200:]))}
					// A delay below the disorder makes some rows late.
					scan := NewScan("events", src, WatermarkSpec{Column: 2, DelayMs: 150}, nil, newExprCtx(mem))
					spec := &AggregateSpec{
						Keys: []expr.Expr{expr.NewColumn(0, "k", sqltypes.Varchar)},
						Aggs: []agg.Spec{{Func: agg.CountStar}, {Func: agg.Sum, Arg: sqltypes.BigInt},
							{Func: agg.Count, Arg: sqltypes.BigInt, Distinct: true}, {Func: agg.LastValue, Arg: sqltypes.BigInt}},
						Args: []expr.Expr{nil, expr.NewColumn(1, "v", sqltypes.BigInt),
							expr.NewColumn(1, "v", sqltypes.BigInt), expr.NewColumn(1, "v", sqltypes.BigInt)},
						Filters: make([]expr.Expr, 4),
					}
					aggFields := []arrow.Field{field("n", sqltypes.BigInt), field("sum", sqltypes.BigInt),
						field("d", sqltypes.BigInt), field("last", sqltypes.BigInt)}
					if win == nil {
						spec.Schema = schemaOf(append([]arrow.Field{field("k", sqltypes.Varchar)}, aggFields...)...)
						return NewGroupAggregate(scan, spec, newExprCtx(mem))
					}
					spec.Schema = schemaOf(append([]arrow.Field{field("k", sqltypes.Varchar),
						field("window_start", tsType), field("window_end", tsType), field("window_time", tsType)}, aggFields...)...)
					if win.Kind == Session {
						return NewSessionAggregate(scan, spec, *win, newExprCtx(mem))
					}
					return NewWindowAggregate(scan, spec, *win, newExprCtx(mem))
				}
				updating := win == nil || win.Lateness > 0
				ctx := context.Background()

				// The uninterrupted run.
				want := &durableOutput{prepared: map[uint64][]string{}, done: map[uint64]bool{}}
				var last *Snapshot
				store := func(_ context.Context, s *Snapshot) error { last = s; return nil }
				if _, err := RunWith(ctx, build(), &memSink{out: want}, updating, CheckpointConfig{Store: store}); err != nil {
					t.Fatal(err)
				}
				if !last.Final || len(want.committed) == 0 {
					t.Fatalf("uninterrupted run: final %v, %d rows", last.Final, len(want.committed))
				}

				// Crash and restart until a run finishes.
				r := rand.New(rand.NewSource(int64(seed)))
				got := &durableOutput{prepared: map[uint64][]string{}, done: map[uint64]bool{}}
				last = nil
				crashes, checkpoints := 0, 0
				for run := 0; ; run++ {
					if run > 200 {
						t.Fatal("no run finished")
					}
					sink := &memSink{out: got}
					storeFails := false
					mode := r.Intn(4)
					if run == 0 {
						mode = 1 // the first run always crashes
					}
					switch mode {
					case 0:
						sink.failAfter = 1 + r.Intn(12)
					case 1:
						storeFails = true
					case 2:
						sink.failCommit = true
					}
					stores := 0
					failAt := 1 + r.Intn(6)
					if run == 0 {
						failAt = 1
					}
					cfg := CheckpointConfig{
						Interval: time.Microsecond,
						Resume:   last,
						Store: func(_ context.Context, s *Snapshot) error {
							stores++
							if storeFails && stores == failAt {
								return errCrash
							}
							last = s
							checkpoints++
							if !s.Final {
								probe := &checkpointer{cfg: CheckpointConfig{Resume: s}, root: build(), sink: &memSink{out: &durableOutput{prepared: map[uint64][]string{}, done: map[uint64]bool{}}}}
								Walk(probe.root, func(op Operator) { probe.ops = append(probe.ops, op) })
								if err := probe.restore(ctx); err != nil {
									t.Fatalf("checkpoint %d does not restore: %v", s.ID, err)
								}
								probe.root.Close()
							}
							return nil
						},
					}
					_, err := RunWith(ctx, build(), sink, updating, cfg)
					if err == nil {
						break
					}
					if !errors.Is(err, errCrash) {
						t.Fatal(err)
					}
					crashes++
				}
				if strings.Join(got.committed, "\n") != strings.Join(want.committed, "\n") {
					t.Fatalf("after %d crashes and %d checkpoints the output differs\n%s", crashes, checkpoints,
						diffLines(want.committed, got.committed))
				}
				if crashes == 0 {
					t.Fatal("no crash happened")
				}
			})
		}
	}
}
