package kafka

import (
	"errors"
	"fmt"
	"io"
	"reflect"
	"testing"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/weirsql/weir/exec"
	"github.com/weirsql/weir/sqltypes"
)

// checkpoint is what the checkpoint store would hold.
type checkpoint struct {
	id   uint64
	pos  []byte
	sink []byte
}

// TestKillAndRestartExactlyOnce runs a topic-to-topic pipeline the way the
// checkpoint runtime will: batches flow from the source to an exactly-once
// sink; at each checkpoint the source's position and the sink's pre-commit
// are stored together, then the sink commits. The first run is killed
// after a checkpoint it pre-committed but never made durable; the second
// run restores the last durable checkpoint and reads to the end. Read with
// read_committed, the output holds every input record exactly once.
func TestKillAndRestartExactlyOnce(t *testing.T) {
	_, addr := cluster(t, kfake.SeedTopics(3, "in", "out"))
	cl := client(t, addr)
	var want []string
	for i := int64(0); i < 120; i++ {
		produce(t, cl, rec("in", int32(i%3), "", bidJSON(i, i*7, 1000*i)))
		want = append(want, fmt.Sprintf(`{"auction":%d,"price":%d,"ts":"%s"}`, i, i*7, tsText(1000*i)))
	}
	mem := checkedMem(t)
	ctx := bg(t)

	newPipeline := func(bounded bool) (*Source, *TxnSink) {
		kv := []string{"topic", "in", "format", "json"}
		if bounded {
			kv = append(kv, "scan.bounded.mode", "latest-offset")
		}
		cfg := sourceConfig(mem, bidSchema, addr, kv...)
		cfg.BatchSize = 7
		src, err := newSource(cfg, io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { src.Close() })
		return src, newTxn(t, addr)
	}
	// pump moves batches until n have gone or the source ends.
	pump := func(src *Source, sink *TxnSink, n int) bool {
		for i := 0; i < n; i++ {
			b, err := src.Next(ctx)
			if errors.Is(err, io.EOF) {
				return false
			}
			if err != nil {
				t.Fatal(err)
			}
			if b.Record != nil {
				write(t, sink, exec.BatchMessage(b.Record))
			}
		}
		return true
	}
	take := func(src *Source, sink *TxnSink, id uint64) checkpoint {
		pos, err := src.Position()
		if err != nil {
			t.Fatal(err)
		}
		data, err := sink.PreCommit(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		return checkpoint{id, pos, data}
	}

	// Run 1: two checkpoints, then more rows and a third pre-commit that
	// never becomes durable, then kill -9.
	src, sink := newPipeline(false)
	if err := sink.Recover(ctx, 0, nil); err != nil {
		t.Fatal(err)
	}
	if err := sink.Open(ctx, src.Schema(), false); err != nil {
		t.Fatal(err)
	}
	if err := src.Open(ctx); err != nil {
		t.Fatal(err)
	}
	var durable checkpoint
	for id := uint64(1); id <= 2; id++ {
		pump(src, sink, 4)
		durable = take(src, sink, id)
		if err := sink.Commit(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	pump(src, sink, 3)
	take(src, sink, 3) // pre-committed, never durable
	pump(src, sink, 2)
	src.Close()
	crash(t, sink)

	// Run 2: resume from checkpoint 2 and read to the end.
	src, sink = newPipeline(true)
	if err := src.Restore(durable.pos); err != nil {
		t.Fatal(err)
	}
	if err := sink.Recover(ctx, durable.id, durable.sink); err != nil {
		t.Fatal(err)
	}
	if err := sink.Open(ctx, src.Schema(), false); err != nil {
		t.Fatal(err)
	}
	if err := src.Open(ctx); err != nil {
		t.Fatal(err)
	}
	for pump(src, sink, 5) {
	}
	take(src, sink, 4) // the final checkpoint at the end of input
	if err := sink.Commit(ctx, 4); err != nil {
		t.Fatal(err)
	}
	if err := sink.Close(); err != nil {
		t.Fatal(err)
	}
	got := totals(readTopic(t, addr, "out", true))
	if !reflect.DeepEqual(sorted(got), sorted(want)) {
		t.Errorf("read_committed holds %d records, want each of %d once", len(got), len(want))
		seen := map[string]int{}
		for _, g := range got {
			seen[g]++
		}
		for _, w := range want {
			if seen[w] != 1 {
				t.Errorf("%s: %d times", w, seen[w])
			}
		}
	}
	// Run 1 wrote more than it committed: the log holds aborted copies.
	if all := readTopic(t, addr, "out", false); len(all) <= len(want) {
		t.Errorf("read_uncommitted sees %d records; the killed run's aborted ones are missing", len(all))
	}
}

func tsText(ms int64) string { return sqltypes.FormatTimestamp(ms) }
