package kafka

import (
	"context"
	"io"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/weirsql/weir/connectors"
	"github.com/weirsql/weir/exec"
	"github.com/weirsql/weir/exec/expr"
)

// scanner reads a Kafka source through exec.Scan, as a query does, with the
// watermark on ts (column 2 of bidSchema).
type scanner struct {
	t    *testing.T
	scan *exec.Scan
	ctx  context.Context
	wms  []int64
	rows int
}

func newScanner(t *testing.T, cfg connectors.SourceConfig) (*scanner, *Source) {
	src, err := newSource(cfg, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	scan := exec.NewScan("bids", src, exec.WatermarkSpec{Column: 2}, nil, &expr.Context{Mem: cfg.Mem})
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	t.Cleanup(cancel)
	t.Cleanup(func() { scan.Close() })
	if err := scan.Open(ctx); err != nil {
		t.Fatal(err)
	}
	return &scanner{t: t, scan: scan, ctx: ctx}, src
}

// read reads messages until n more rows have come.
func (s *scanner) read(n int) {
	s.t.Helper()
	want := s.rows + n
	s.until(func() bool { return s.rows >= want })
}

// until reads messages until cond holds. A watermark follows the batch
// that moved it, so a test waits for the watermark it expects; if it never
// comes, the test fails at the deadline.
func (s *scanner) until(cond func() bool) {
	s.t.Helper()
	for !cond() {
		m, err := s.scan.Next(s.ctx)
		if err != nil {
			s.t.Fatal(err)
		}
		switch m.Kind {
		case exec.MsgBatch:
			s.rows += m.NumRows()
		case exec.MsgWatermark:
			s.wms = append(s.wms, m.Watermark)
		}
		m.Release()
	}
}

func (s *scanner) watermark() int64 {
	if len(s.wms) == 0 {
		return exec.WatermarkMin
	}
	return s.wms[len(s.wms)-1]
}

// The watermark of a Kafka source is the minimum over its partitions: a
// partition behind holds it back.
func TestWatermarkIsTheMinimumOverPartitions(t *testing.T) {
	_, addr := cluster(t, kfake.SeedTopics(2, "bids"))
	cl := client(t, addr)
	for i := int64(0); i < 10; i++ {
		produce(t, cl, rec("bids", 0, "", bidJSON(i, 0, 100_000+i*1000)))
	}
	for i := int64(1); i <= 5; i++ {
		produce(t, cl, rec("bids", 1, "", bidJSON(i, 0, i*1000)))
	}
	mem := checkedMem(t)
	s, _ := newScanner(t, sourceConfig(mem, bidSchema, addr, "topic", "bids", "format", "json"))
	s.until(func() bool { return s.rows == 15 && s.watermark() == 5000 })
	for _, wm := range s.wms {
		if wm > 5000 {
			t.Fatalf("watermark %d went past the slow partition (5000)", wm)
		}
	}
	// The slow partition catches up: now partition 0 (109 s) is the minimum.
	produce(t, cl, rec("bids", 1, "", bidJSON(6, 0, 200_000)))
	s.until(func() bool { return s.watermark() == 109_000 })
	for _, wm := range s.wms {
		if wm > 109_000 {
			t.Fatalf("watermark %d went past partition 0 (109000)", wm)
		}
	}
}

// A partition idle for 'scan.watermark.idle-timeout' stops holding the
// watermark back.
func TestWatermarkLeavesOutAnIdlePartition(t *testing.T) {
	_, addr := cluster(t, kfake.SeedTopics(2, "bids"))
	cl := client(t, addr)
	produce(t, cl, rec("bids", 1, "", bidJSON(0, 0, 1000)), rec("bids", 0, "", bidJSON(1, 0, 100_000)))
	mem := checkedMem(t)
	s, _ := newScanner(t, sourceConfig(mem, bidSchema, addr, "topic", "bids", "format", "json", "scan.watermark.idle-timeout", "300ms"))
	s.read(2)
	// Partition 0 goes on; partition 1 says nothing. Once it has been idle
	// for 300 ms, partition 0 alone sets the watermark.
	end := time.Now().Add(deadline)
	ts := int64(100_000)
	for s.watermark() <= 1000 {
		if time.Now().After(end) {
			t.Fatalf("the watermark stayed at %d", s.watermark())
		}
		time.Sleep(20 * time.Millisecond)
		ts += 1000
		produce(t, cl, rec("bids", 0, "", bidJSON(2, 0, ts)))
		s.read(1)
	}
	last := ts
	s.until(func() bool { return s.watermark() == last })
}

// Partitions added while the query runs are found and read, and join the
// watermark (exec.Scan grows its per-split state).
func TestPartitionDiscoveryAddsSplits(t *testing.T) {
	_, addr := cluster(t, kfake.SeedTopics(1, "bids"))
	cl := client(t, addr)
	produce(t, cl, rec("bids", 0, "", bidJSON(0, 0, 100_000)))
	mem := checkedMem(t)
	s, src := newScanner(t, sourceConfig(mem, bidSchema, addr, "topic", "bids", "format", "json",
		"scan.topic-partition-discovery.interval", "100ms"))
	s.until(func() bool { return s.rows == 1 && s.watermark() == 100_000 })
	req := kmsg.NewPtrCreatePartitionsRequest()
	rt := kmsg.NewCreatePartitionsRequestTopic()
	rt.Topic, rt.Count = "bids", 2
	req.Topics = append(req.Topics, rt)
	req.TimeoutMillis = 10_000
	resp, err := req.RequestWith(s.ctx, cl)
	if err != nil || resp.Topics[0].ErrorCode != 0 {
		t.Fatalf("create partitions: %v %v", err, resp)
	}
	cl = client(t, addr) // one that knows the new partition
	produce(t, cl, rec("bids", 1, "", bidJSON(1, 0, 150_000)))
	s.read(1) // read once discovered
	if src.Splits() != 2 {
		t.Fatalf("splits = %d, want 2", src.Splits())
	}
	produce(t, cl, rec("bids", 0, "", bidJSON(2, 0, 200_000)))
	s.until(func() bool { return s.rows == 3 && s.watermark() >= 150_000 })
	if got := s.watermark(); got != 150_000 {
		t.Errorf("watermark %d, want 150000 (the new partition is the minimum); all %v", got, s.wms)
	}
}
