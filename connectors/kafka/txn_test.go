package kafka

import (
	"context"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/weirsql/weir/exec"
)

func bg(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	t.Cleanup(cancel)
	return ctx
}

// crash abandons a transactional sink as a killed process would: its
// connections go, its open transactions stay open in Kafka. What it wrote
// reached the broker first.
func crash(t testing.TB, s *TxnSink) {
	if s.cur != nil {
		if err := s.cur.cl.Flush(bg(t)); err != nil {
			t.Fatal(err)
		}
	}
	for _, sl := range s.slots {
		sl.closeClient()
	}
	s.slots, s.cur = nil, nil
	if s.admin != nil {
		s.admin.Close()
		s.admin = nil
	}
	s.closed = true
}

func newTxn(t testing.TB, addr string, kv ...string) *TxnSink {
	t.Helper()
	kv = append([]string{"topic", "out", "format", "json", "sink.delivery-guarantee", "exactly-once",
		"sink.transactional-id-prefix", "q1"}, kv...)
	opts, err := parseSinkOptions("out", sinkOptions(t, addr, kv...))
	if err != nil {
		t.Fatal(err)
	}
	s := newTxnSink("out", opts, io.Discard)
	t.Cleanup(func() { s.Close() })
	return s
}

func totals(recs []*kgo.Record) []string {
	var out []string
	for _, r := range recs {
		out = append(out, string(r.Value))
	}
	return out
}

func row(a int64) []outRow { return []outRow{{a, "", a * 10}} }

func js(a int64) string {
	return `{"auction":` + itoa(a) + `,"name":null,"total":` + itoa(a*10) + `}`
}

func itoa(n int64) string {
	if n == 0 {
		return "0"
	}
	s := ""
	for ; n > 0; n /= 10 {
		s = string(rune('0'+n%10)) + s
	}
	return s
}

// A crash after a checkpoint is durable but before Kafka committed its
// transaction: Recover commits it; what came after is aborted and written
// again by the replay. Read with read_committed, every row is there once.
func TestExactlyOnceCrashBetweenCheckpointAndCommit(t *testing.T) {
	_, addr := cluster(t, kfake.SeedTopics(2, "out"))
	mem := checkedMem(t)
	ctx := bg(t)

	s := newTxn(t, addr)
	if err := s.Recover(ctx, 0, nil); err != nil { // a fresh run with checkpoints
		t.Fatal(err)
	}
	if err := s.Open(ctx, outSchema, false); err != nil {
		t.Fatal(err)
	}
	write(t, s, batch(mem, row(1)))
	data1, err := s.PreCommit(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Commit(ctx, 1); err != nil {
		t.Fatal(err)
	}
	write(t, s, batch(mem, row(2)))
	data2, err := s.PreCommit(ctx, 2) // checkpoint 2 becomes durable...
	if err != nil {
		t.Fatal(err)
	}
	write(t, s, batch(mem, row(3))) // ...rows after it...
	crash(t, s)                     // ...and the process dies before Commit(2)

	if got := committedTotals(t, addr, []string{js(1)}); !reflect.DeepEqual(got, []string{js(1)}) {
		t.Fatalf("before recovery, read_committed sees %q, want only checkpoint 1's row", got)
	}
	_ = data1

	// Restart from checkpoint 2: its transaction is committed, row 3 (after
	// it) is aborted, and the replay writes row 3 again.
	s2 := newTxn(t, addr)
	if err := s2.Recover(ctx, 2, data2); err != nil {
		t.Fatal(err)
	}
	if err := s2.Commit(ctx, 2); err != nil { // the runtime may repeat the commit
		t.Fatal(err)
	}
	if err := s2.Open(ctx, outSchema, false); err != nil {
		t.Fatal(err)
	}
	write(t, s2, batch(mem, row(3)))
	write(t, s2, batch(mem, row(4)))
	data3, err := s2.PreCommit(ctx, 3)
	if err != nil {
		t.Fatal(err)
	}
	if err := s2.Commit(ctx, 3); err != nil {
		t.Fatal(err)
	}
	if err := s2.Close(); err != nil {
		t.Fatal(err)
	}
	_ = data3
	got := totals(readTopic(t, addr, "out", true))
	if want := []string{js(1), js(2), js(3), js(4)}; !reflect.DeepEqual(sorted(got), sorted(want)) {
		t.Errorf("read_committed: %q, want %q", got, want)
	}
	// The aborted copy of row 3 is in the log, invisible to read_committed.
	all := totals(readTopic(t, addr, "out", false))
	if n := strings.Count(strings.Join(all, "\n"), js(3)); n != 2 {
		t.Errorf("read_uncommitted sees row 3 %d times, want 2 (the aborted and the committed copy): %q", n, all)
	}
}

// A crash after PreCommit but before the checkpoint is durable: the restart
// resumes from the previous checkpoint; the pre-committed transaction is
// aborted and its rows are written again.
func TestExactlyOnceCrashBeforeCheckpointIsDurable(t *testing.T) {
	_, addr := cluster(t, kfake.SeedTopics(1, "out"))
	mem := checkedMem(t)
	ctx := bg(t)
	s := newTxn(t, addr)
	if err := s.Recover(ctx, 0, nil); err != nil { // a fresh run with checkpoints
		t.Fatal(err)
	}
	if err := s.Open(ctx, outSchema, false); err != nil {
		t.Fatal(err)
	}
	write(t, s, batch(mem, row(1)))
	data1, err := s.PreCommit(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Commit(ctx, 1); err != nil {
		t.Fatal(err)
	}
	write(t, s, batch(mem, row(2)))
	if _, err := s.PreCommit(ctx, 2); err != nil { // never made durable
		t.Fatal(err)
	}
	crash(t, s)

	s2 := newTxn(t, addr)
	if err := s2.Recover(ctx, 1, data1); err != nil { // commits again: already done, fine
		t.Fatal(err)
	}
	if err := s2.Open(ctx, outSchema, false); err != nil {
		t.Fatal(err)
	}
	write(t, s2, batch(mem, row(2)))
	if _, err := s2.PreCommit(ctx, 2); err != nil {
		t.Fatal(err)
	}
	if err := s2.Commit(ctx, 2); err != nil {
		t.Fatal(err)
	}
	if err := s2.Close(); err != nil {
		t.Fatal(err)
	}
	want := []string{js(1), js(2)}
	if got := committedTotals(t, addr, want); !reflect.DeepEqual(got, want) {
		t.Errorf("read_committed: %q, want %q", got, want)
	}
}

// Several checkpoints in flight (Commit lagging behind PreCommit) use
// several transactional ids, and ids are reused once safe.
func TestExactlyOnceOverlappingCheckpoints(t *testing.T) {
	_, addr := cluster(t, kfake.SeedTopics(1, "out"))
	mem := checkedMem(t)
	ctx := bg(t)
	s := newTxn(t, addr)
	if err := s.Recover(ctx, 0, nil); err != nil { // a fresh run with checkpoints
		t.Fatal(err)
	}
	if err := s.Open(ctx, outSchema, false); err != nil {
		t.Fatal(err)
	}
	var want []string
	for id := uint64(1); id <= 6; id++ {
		write(t, s, batch(mem, row(int64(id))))
		want = append(want, js(int64(id)))
		if _, err := s.PreCommit(ctx, id); err != nil {
			t.Fatal(err)
		}
		if id%2 == 0 { // commit two checkpoints at a time
			if err := s.Commit(ctx, id); err != nil {
				t.Fatal(err)
			}
		}
	}
	if n := len(s.slots); n > 4 {
		t.Errorf("%d transactional ids in use, want few", n)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if got := totals(readTopic(t, addr, "out", true)); !reflect.DeepEqual(got, want) {
		t.Errorf("read_committed: %q, want %q", got, want)
	}
}

// Without Recover (a run without checkpoints) the sink writes through. In a
// run with checkpoints, rows after the last checkpoint are aborted when the
// sink closes: a restart writes them again.
func TestExactlyOnceWithoutCheckpointsWritesThrough(t *testing.T) {
	_, addr := cluster(t, kfake.SeedTopics(1, "out"))
	mem := checkedMem(t)
	ctx := bg(t)
	s := newTxn(t, addr)
	if err := s.Open(ctx, outSchema, false); err != nil {
		t.Fatal(err)
	}
	write(t, s, batch(mem, row(1)))
	write(t, s, exec.Message{Kind: exec.MsgBarrier, Barrier: 1})
	want := []string{js(1)}
	if got := committedTotals(t, addr, want); !reflect.DeepEqual(got, want) {
		t.Fatalf("written through: %q, want %q", got, want)
	}
	write(t, s, batch(mem, row(2)))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	want = []string{js(1), js(2)}
	if got := committedTotals(t, addr, want); !reflect.DeepEqual(got, want) {
		t.Fatalf("after close: %q, want %q", got, want)
	}

	s2 := newTxn(t, addr)
	if err := s2.Recover(ctx, 0, nil); err != nil {
		t.Fatal(err)
	}
	if err := s2.Open(ctx, outSchema, false); err != nil {
		t.Fatal(err)
	}
	write(t, s2, batch(mem, row(3)))
	if _, err := s2.PreCommit(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if err := s2.Commit(ctx, 1); err != nil {
		t.Fatal(err)
	}
	write(t, s2, batch(mem, row(4))) // after the last checkpoint
	if err := s2.Close(); err != nil {
		t.Fatal(err)
	}
	want = []string{js(1), js(2), js(3)}
	if got := committedTotals(t, addr, want); !reflect.DeepEqual(got, want) {
		t.Errorf("after a run with checkpoints: %q, want %q", got, want)
	}
}

// A transaction the broker aborted (it outlived its timeout while the query
// was down) cannot be committed: Recover says so instead of going on.
func TestExactlyOnceLostTransactionIsReported(t *testing.T) {
	_, addr := cluster(t, kfake.SeedTopics(1, "out"))
	mem := checkedMem(t)
	ctx := bg(t)
	s := newTxn(t, addr, "properties.transaction.timeout.ms", "500")
	if err := s.Recover(ctx, 0, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.Open(ctx, outSchema, false); err != nil {
		t.Fatal(err)
	}
	write(t, s, batch(mem, row(1)))
	data, err := s.PreCommit(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	crash(t, s)
	// Wait until the coordinator has aborted the transaction: the data is
	// in the log and the last stable offset moved past it.
	admin := client(t, addr)
	waitFor(t, "the broker to abort the transaction", func() bool {
		lso, err := listOffsets(ctx, admin, []tp{{"out", 0}}, tsLatest, true)
		return err == nil && lso[tp{"out", 0}] > 1
	})
	time.Sleep(10 * time.Millisecond)
	s2 := newTxn(t, addr)
	err = s2.Recover(ctx, 1, data)
	if !errors.Is(err, ErrTransactionLost) || !strings.Contains(err.Error(), "checkpoint 1") {
		t.Errorf("recover: %v", err)
	}
	if got := totals(readTopic(t, addr, "out", true)); len(got) != 0 {
		t.Errorf("read_committed sees %q", got)
	}
}

// Every transaction has a new producer client and is ended by the sink's
// own EndTxn, not franz-go's EndTransaction, whose record of the
// partitions in a client's first transaction can be wrong under load, so
// that a commit silently became an abort (the flaky failures of
// TestExactlyOnceCrashBeforeCheckpointIsDurable and
// TestExactlyOnceWithoutCheckpointsWritesThrough). Many checkpoints, each
// a new client's first transaction: every one is committed, and the
// transaction Close aborts leaves nothing open (the last stable offset
// reaches the end of the log).
func TestExactlyOnceEveryCheckpointCommits(t *testing.T) {
	_, addr := cluster(t, kfake.SeedTopics(1, "out"))
	mem := checkedMem(t)
	ctx := bg(t)
	s := newTxn(t, addr)
	if err := s.Recover(ctx, 0, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.Open(ctx, outSchema, false); err != nil {
		t.Fatal(err)
	}
	const n = 150
	var want []string
	for i := int64(1); i <= n; i++ {
		write(t, s, batch(mem, row(i)))
		if _, err := s.PreCommit(ctx, uint64(i)); err != nil {
			t.Fatal(err)
		}
		if err := s.Commit(ctx, uint64(i)); err != nil {
			t.Fatal(err)
		}
		want = append(want, js(i))
	}
	if len(s.slots) > 3 {
		t.Errorf("%d transactional ids for checkpoints committed one by one", len(s.slots))
	}
	write(t, s, batch(mem, row(n+1))) // after the last checkpoint: aborted
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if got := totals(readTopic(t, addr, "out", true)); !reflect.DeepEqual(got, want) {
		t.Errorf("read_committed: %d rows %q, want %d", len(got), got, len(want))
	}
	admin := client(t, addr)
	lso, err := listOffsets(ctx, admin, []tp{{"out", 0}}, tsLatest, true)
	if err != nil {
		t.Fatal(err)
	}
	end, err := listOffsets(ctx, admin, []tp{{"out", 0}}, tsLatest, false)
	if err != nil {
		t.Fatal(err)
	}
	if lso[tp{"out", 0}] != end[tp{"out", 0}] {
		t.Errorf("last stable offset %d, end %d: a transaction was left open", lso[tp{"out", 0}], end[tp{"out", 0}])
	}
}
