package exec

import (
	"context"
	"testing"

	"github.com/weirsql/weir/sqltypes"
)

// TestScanProgressesUnderConstantCheckpoints: when a checkpoint is always
// requested (checkpoints slower than their interval), the scan still reads
// a source batch between two barriers instead of sending barriers only.
func TestScanProgressesUnderConstantCheckpoints(t *testing.T) {
	mem := newMem(t)
	schema := schemaOf(field("x", sqltypes.BigInt))
	rows := seqRows(10, 0, func(i int) any { return i })
	for i := range rows {
		rows[i] = rows[i][:1]
	}
	src := &ckptSource{fakeSource: newFakeSource(t, mem, schema, 1, interleave(2, true, rows))}
	scan := NewScan("s", src, WatermarkSpec{Column: -1}, nil, newExprCtx(mem))
	tr := &CheckpointTrigger{}
	scan.SetCheckpointTrigger(tr)
	ctx := context.Background()
	if err := scan.Open(ctx); err != nil {
		t.Fatal(err)
	}
	defer scan.Close()
	var out output
	for i := 0; ; i++ {
		if i > 100 {
			t.Fatalf("no end after 100 messages: %v", out.trace)
		}
		tr.Request(tr.requested() + 1)
		m, err := scan.Next(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if m.Kind == MsgEnd {
			break
		}
		out.record(t, schema, m)
	}
	assertTrace(t, out.trace, "barrier 1", "batch 2", "barrier 3", "batch 2", "barrier 5", "batch 2",
		"barrier 7", "batch 2", "barrier 9", "batch 2", "barrier 11")
}
