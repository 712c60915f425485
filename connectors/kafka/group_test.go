package kafka

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/weirsql/weir/connectors"
	"github.com/weirsql/weir/exec"
	"github.com/weirsql/weir/internal/syncbuf"
	"github.com/weirsql/weir/sqltypes"
)

var idSchema = arrow.NewSchema([]arrow.Field{field("id", sqltypes.BigInt), field("v", sqltypes.BigInt)}, nil)

// ckptSink is a two-phase-commit sink: rows become committed only when
// their checkpoint commits, as with the exactly-once sinks.
type ckptSink struct {
	mu        sync.Mutex
	staged    []string
	pre       map[uint64][]string
	committed []string
	wm        int64 // the last watermark
}

func (k *ckptSink) Open(context.Context, *arrow.Schema, bool) error { return nil }

func (k *ckptSink) Write(_ context.Context, m exec.Message) error {
	defer m.Release()
	if m.Kind == exec.MsgWatermark {
		k.mu.Lock()
		k.wm = m.Watermark
		k.mu.Unlock()
	}
	if m.Kind == exec.MsgBatch {
		rows := rowStrings(m.Batch)
		k.mu.Lock()
		k.staged = append(k.staged, rows...)
		k.mu.Unlock()
	}
	return nil
}

func (k *ckptSink) PreCommit(_ context.Context, id uint64) ([]byte, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.pre == nil {
		k.pre = map[uint64][]string{}
	}
	k.pre[id], k.staged = k.staged, nil
	return nil, nil
}

func (k *ckptSink) Commit(_ context.Context, id uint64) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.committed = append(k.committed, k.pre[id]...)
	delete(k.pre, id)
	return nil
}

func (k *ckptSink) Recover(context.Context, uint64, []byte) error { return nil }
func (k *ckptSink) Close() error                                  { return nil }

func (k *ckptSink) watermark() int64 {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.wm
}

func (k *ckptSink) rows() []string {
	k.mu.Lock()
	defer k.mu.Unlock()
	return append([]string(nil), k.committed...)
}

// groupRunner runs a query over a group-mode source through the runtime,
// with checkpoints, as one process of `weir run` does.
type groupRunner struct {
	name    string
	src     *Source
	sink    *ckptSink
	stop    chan struct{}
	done    chan error
	notices *syncbuf.Buffer
}

func startGroupRunner(t *testing.T, addr, name string) *groupRunner {
	t.Helper()
	return startGroupRunnerOf(t, addr, name, "in", "g", idSchema, -1)
}

// startGroupRunnerOf runs a group-mode source of topic in group with the
// schema, with watermarks from column wmCol (-1: none).
func startGroupRunnerOf(t *testing.T, addr, name, topic, group string, schema *arrow.Schema, wmCol int) *groupRunner {
	t.Helper()
	notices := &syncbuf.Buffer{}
	cfg := sourceConfig(memory.NewGoAllocator(), schema, addr, "topic", topic, "format", "json",
		"scan.partition.assignment", "group", "properties.group.id", group,
		"properties.heartbeat.interval.ms", "200", "properties.max.poll.records", "50")
	src, err := newSource(cfg, notices)
	if err != nil {
		t.Fatal(err)
	}
	r := &groupRunner{name: name, src: src, sink: &ckptSink{}, stop: make(chan struct{}), done: make(chan error, 1), notices: notices}
	scan := exec.NewScan(topic, src, exec.WatermarkSpec{Column: wmCol}, nil, nil)
	go func() {
		_, err := exec.RunWith(context.Background(), scan, r.sink, false, exec.CheckpointConfig{
			Interval: 300 * time.Millisecond,
			Store:    func(context.Context, *exec.Snapshot) error { return nil },
			Stop:     r.stop,
		})
		r.done <- err
	}()
	t.Cleanup(func() { r.halt(t) })
	return r
}

// halt stops the runner gracefully (a last checkpoint, then it leaves the
// group) and waits for it.
func (r *groupRunner) halt(t *testing.T) {
	t.Helper()
	select {
	case <-r.stop:
		return
	default:
	}
	close(r.stop)
	select {
	case err := <-r.done:
		if !errors.Is(err, exec.ErrStopped) {
			t.Errorf("runner %s: %v\n%s", r.name, err, r.notices.String())
		}
	case <-time.After(deadline):
		t.Fatalf("runner %s did not stop", r.name)
	}
}

// idValue is the JSON of record id.
func idValue(id int) string { return fmt.Sprintf(`{"id":%d,"v":%d}`, id, 2*id) }

// TestGroupSharesPartitionsExactlyOnce runs three group-mode sources of
// one group through the runtime with checkpoints while records keep
// coming: a second and a third join (the partitions spread over them), the
// first leaves (its partitions move to the others). Every record is in the
// committed output of exactly one of them, and the group's committed
// offsets end at the ends of the partitions.
func TestGroupSharesPartitionsExactlyOnce(t *testing.T) {
	_, addr := cluster(t, kfake.SeedTopics(4, "in"))
	pc := client(t, addr)
	var produced atomic.Int64
	quit := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // a steady stream over the four partitions
		defer wg.Done()
		for {
			select {
			case <-quit:
				return
			case <-time.After(10 * time.Millisecond):
			}
			n := int(produced.Load())
			var recs []*kgo.Record
			for i := n; i < n+8; i++ {
				recs = append(recs, rec("in", int32(i%4), "", idValue(i)))
			}
			ctx, cancel := context.WithTimeout(context.Background(), deadline)
			err := pc.ProduceSync(ctx, recs...).FirstErr()
			cancel()
			if err != nil {
				t.Error(err)
				return
			}
			produced.Add(int64(len(recs)))
		}
	}()
	stopProducing := func() {
		select {
		case <-quit:
		default:
			close(quit)
		}
		wg.Wait()
	}
	defer stopProducing()

	a := startGroupRunner(t, addr, "a")
	waitFor(t, "a to commit rows", func() bool { return len(a.sink.rows()) >= 100 })
	b := startGroupRunner(t, addr, "b")
	waitFor(t, "b to get partitions and commit rows", func() bool { return len(b.sink.rows()) >= 50 })
	c := startGroupRunner(t, addr, "c")
	waitFor(t, "c to get partitions and commit rows", func() bool { return len(c.sink.rows()) >= 50 })
	aBefore := len(a.sink.rows())
	a.halt(t) // a's partitions move to b and c
	bc := func() int { return len(b.sink.rows()) + len(c.sink.rows()) }
	mark := bc()
	waitFor(t, "b and c to go on with a's partitions", func() bool { return bc() >= mark+400 })
	stopProducing()
	total := int(produced.Load())
	all := func() int { return len(a.sink.rows()) + bc() }
	waitFor(t, fmt.Sprintf("all %d records to be committed", total), func() bool { return all() >= total })
	b.halt(t)
	c.halt(t)

	seen := map[string]string{}
	for _, r := range []*groupRunner{a, b, c} {
		for _, row := range r.sink.rows() {
			if prev, dup := seen[row]; dup {
				t.Fatalf("row %s committed by %s and by %s", row, prev, r.name)
			}
			seen[row] = r.name
		}
	}
	for i := 0; i < total; i++ {
		if _, ok := seen[fmt.Sprintf("%d|%d", i, 2*i)]; !ok {
			t.Fatalf("record %d is missing from the output", i)
		}
	}
	if len(seen) != total {
		t.Fatalf("%d rows committed, %d records produced", len(seen), total)
	}
	if aBefore == 0 || len(b.sink.rows()) == 0 || len(c.sink.rows()) == 0 {
		t.Fatalf("rows per runner: a %d, b %d, c %d", len(a.sink.rows()), len(b.sink.rows()), len(c.sink.rows()))
	}
	for _, r := range []*groupRunner{a, b, c} {
		if !strings.Contains(r.notices.String(), `group "g" assigned`) {
			t.Errorf("runner %s reported no assignment:\n%s", r.name, r.notices.String())
		}
	}
	for _, r := range []*groupRunner{a, b, c} {
		t.Logf("runner %s: %d rows; notices:\n%s", r.name, len(r.sink.rows()), r.notices.String())
	}
	if !strings.Contains(a.notices.String(), "revoked") {
		t.Errorf("runner a reported no revocation:\n%s", a.notices.String())
	}

	// Every partition's committed group offset is its end: the last owner
	// of each committed what it had read.
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	tps := []tp{{"in", 0}, {"in", 1}, {"in", 2}, {"in", 3}}
	ends, err := listOffsets(ctx, pc, tps, tsLatest, false)
	if err != nil {
		t.Fatal(err)
	}
	got, err := committedOffsets(ctx, pc, "g", tps)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range tps {
		if got[k] != ends[k] {
			t.Errorf("group offset of %s: %d, end %d", k, got[k], ends[k])
		}
	}
}

// A group-mode source resumes a partition from its restored position when
// that is further on than the group's committed offset, and from the
// group's offset otherwise; restored splits end at once.
func TestGroupStartsFromFurtherOfCheckpointAndGroup(t *testing.T) {
	_, addr := cluster(t, kfake.SeedTopics(2, "in"))
	pc := client(t, addr)
	for i := 0; i < 20; i++ {
		produce(t, pc, rec("in", int32(i%2), "", idValue(i)))
	}
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	// The group has 3 for partition 0 and 8 for partition 1; the
	// checkpoint has 6 and 4.
	if err := commitOffsets(ctx, pc, "g", map[tp]int64{{"in", 0}: 3, {"in", 1}: 8}); err != nil {
		t.Fatal(err)
	}
	cfg := sourceConfig(memory.NewGoAllocator(), idSchema, addr, "topic", "in", "format", "json",
		"scan.partition.assignment", "group", "properties.group.id", "g", "properties.heartbeat.interval.ms", "200")
	s, err := newSource(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Restore([]byte(`{"v":1,"group":true,"splits":[{"topic":"in","partition":0,"offset":6},{"topic":"in","partition":1,"offset":4,"gone":true}]}`)); err != nil {
		t.Fatal(err)
	}
	if err := s.Open(ctx); err == nil || !strings.Contains(err.Error(), "needs checkpoints") {
		t.Fatalf("open without checkpoints: %v", err)
	}
	s.Close()
	s, err = newSource(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Restore([]byte(`{"v":1,"group":true,"splits":[{"topic":"in","partition":0,"offset":6},{"topic":"in","partition":1,"offset":4,"gone":true}]}`)); err != nil {
		t.Fatal(err)
	}
	s.SetCheckpointRequest(func() {})
	if s.Splits() != 2 {
		t.Fatalf("splits before open: %d", s.Splits())
	}
	if err := s.Open(ctx); err != nil {
		t.Fatal(err)
	}
	var rows []string
	done := map[int]bool{}
	for len(rows) < 6 { // partition 0 from 6: ids 12..18; partition 1 from 8: ids 17, 19
		b, err := s.Next(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if b.SplitDone {
			done[b.Split] = true
		}
		if b.Record != nil {
			if b.Split < 2 {
				t.Fatalf("a batch of restored split %d", b.Split)
			}
			rows = append(rows, rowStrings(b.Record)...)
			b.Record.Release()
		}
	}
	if !done[0] || !done[1] {
		t.Errorf("restored splits not ended: %v", done)
	}
	want := []string{"12|24", "14|28", "16|32", "17|34", "18|36", "19|38"}
	if got := sorted(rows); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("rows %v, want %v", got, want)
	}
	if s.Splits() != 4 {
		t.Errorf("splits after assignment: %d, want 4", s.Splits())
	}
	pos, err := s.Position()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(pos), `"group":true`) || !strings.Contains(string(pos), `{"topic":"in","partition":0,"offset":10}`) {
		t.Errorf("position %s", pos)
	}
}

func TestGroupOptionErrors(t *testing.T) {
	_, addr := cluster(t, kfake.SeedTopics(1, "in"))
	for _, tc := range []struct {
		kv   []string
		want error
		msg  string
	}{
		{[]string{"scan.partition.assignment", "group"}, connectors.ErrMissingOption, "'properties.group.id'"},
		{[]string{"scan.partition.assignment", "group", "properties.group.id", "g", "scan.bounded.mode", "latest-offset"},
			connectors.ErrBadOption, "'scan.bounded.mode' = 'latest-offset'"},
	} {
		cfg := sourceConfig(memory.NewGoAllocator(), idSchema, addr, append([]string{"topic", "in", "format", "json"}, tc.kv...)...)
		_, err := NewSource(cfg)
		if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.msg) || !strings.Contains(err.Error(), `kafka source "bids"`) {
			t.Errorf("%v: %v", tc.kv, err)
		}
	}
}

// The watermark of a group-mode source is the minimum over the partitions
// it owns: a revoked partition stops holding it back, and an assigned one
// holds it back until it produces.
func TestGroupWatermarkFollowsAssignment(t *testing.T) {
	_, addr := cluster(t, kfake.SeedTopics(2, "w"))
	pc := client(t, addr)
	tsSchema := arrow.NewSchema([]arrow.Field{field("id", sqltypes.BigInt), field("ts", sqltypes.Timestamp)}, nil)
	at := func(p int32, id, ts int) *kgo.Record {
		return rec("w", p, "", fmt.Sprintf(`{"id":%d,"ts":%d}`, id, ts))
	}
	produce(t, pc, at(0, 1, 90_000), at(0, 2, 100_000), at(1, 3, 5_000), at(1, 4, 10_000))
	a := startGroupRunnerOf(t, addr, "a", "w", "gw", tsSchema, 1)
	waitFor(t, "a's watermark to be the slower partition's", func() bool { return a.sink.watermark() == 10_000 })
	b := startGroupRunnerOf(t, addr, "b", "w", "gw", tsSchema, 1)
	waitFor(t, "a to give a partition to b", func() bool { return strings.Contains(a.notices.String(), "revoked") })
	kept := int32(0)
	if strings.Contains(a.notices.String(), "revoked w/0") {
		kept = 1
	}
	t.Logf("a keeps w/%d:\n%s", kept, a.notices.String())
	if kept == 0 {
		// w/1 no longer holds a's watermark back.
		waitFor(t, "a's watermark to follow w/0 alone", func() bool { return a.sink.watermark() == 100_000 })
	}
	// b has read nothing of its partition yet (it starts at the group's
	// offset, past what a read): no watermark until it produces.
	time.Sleep(time.Second)
	if wm := b.sink.watermark(); wm != 0 {
		t.Fatalf("b's watermark before its partition produced: %d", wm)
	}
	moved := 1 - kept
	produce(t, pc, at(moved, 5, 150_000), at(kept, 6, 200_000))
	waitFor(t, "b's watermark to be its partition's", func() bool { return b.sink.watermark() == 150_000 })
	waitFor(t, "a's watermark to be its partition's", func() bool { return a.sink.watermark() == 200_000 })
	all := func() []string { return append(a.sink.rows(), b.sink.rows()...) }
	waitFor(t, "the 6 records to be committed", func() bool { return len(all()) >= 6 })
	want := []string{"1|1970-01-01 00:01:30", "2|1970-01-01 00:01:40", "3|1970-01-01 00:00:05",
		"4|1970-01-01 00:00:10", "5|1970-01-01 00:02:30", "6|1970-01-01 00:03:20"}
	if got := sorted(all()); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("rows %v, want %v", got, want)
	}
}

// A group setting the broker refuses stops the query with the broker's
// reason; the client does not retry it forever.
func TestGroupJoinRefused(t *testing.T) {
	_, addr := cluster(t, kfake.SeedTopics(1, "in"))
	cfg := sourceConfig(memory.NewGoAllocator(), idSchema, addr, "topic", "in", "format", "json",
		"scan.partition.assignment", "group", "properties.group.id", "g", "properties.session.timeout.ms", "1000", "properties.heartbeat.interval.ms", "200")
	s, err := newSource(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.SetCheckpointRequest(func() {})
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	if err := s.Open(ctx); err != nil {
		t.Fatal(err)
	}
	for {
		_, err := s.Next(ctx)
		if err != nil {
			if !strings.Contains(err.Error(), `kafka source "bids"`) || !strings.Contains(err.Error(), "INVALID_SESSION_TIMEOUT") {
				t.Errorf("error: %v", err)
			}
			return
		}
	}
}
