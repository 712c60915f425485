package file

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/weirsql/weir/connectors"
	"github.com/weirsql/weir/exec"
)

func txnSink(t *testing.T, dir string) *Sink {
	t.Helper()
	spec, _ := connectors.Lookup("file")
	opts, err := spec.Validate(map[string]string{"connector": "file", "path": "out/result.csv", "format": "csv"})
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewSink(connectors.SinkConfig{Name: "out", Options: opts, BaseDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	return s.(*Sink)
}

func readOut(t *testing.T, dir string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "out", "result.csv"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestSinkTwoPhaseCommit walks the file sink through checkpoints and
// crashes at each step of a commit: the output only ever holds committed
// rows, and recovery completes or drops each checkpoint as it must.
func TestSinkTwoPhaseCommit(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ctx := context.Background()
	dir := t.TempDir()
	write := func(s *Sink, rows ...string) {
		var rs []row
		for _, r := range rows {
			rs = append(rs, row{r})
		}
		if err := s.Write(ctx, exec.BatchMessage(record(t, mem, rs))); err != nil {
			t.Fatal(err)
		}
	}
	const header = "name\n"

	s := txnSink(t, dir)
	if err := s.Recover(ctx, 0, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.Open(ctx, nameSchema, false); err != nil {
		t.Fatal(err)
	}
	write(s, "a", "b")
	if got := readOut(t, dir); got != "" {
		t.Fatalf("uncommitted rows visible: %q", got)
	}
	c1, err := s.PreCommit(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Commit(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if got := readOut(t, dir); got != header+"a\nb\n" {
		t.Fatalf("after commit 1: %q", got)
	}
	write(s, "c")
	c2, err := s.PreCommit(ctx, 2)
	if err != nil {
		t.Fatal(err)
	}
	write(s, "lost") // after checkpoint 2: a crash drops it
	s.Close()        // crash: checkpoint 2 is durable, its commit never ran
	if got := readOut(t, dir); got != header+"a\nb\n" {
		t.Fatalf("after a crash before commit 2: %q", got)
	}

	// Resume from checkpoint 2: its rows are committed by Recover.
	s = txnSink(t, dir)
	if err := s.Recover(ctx, 2, c2); err != nil {
		t.Fatal(err)
	}
	if got := readOut(t, dir); got != header+"a\nb\nc\n" {
		t.Fatalf("after recovering checkpoint 2: %q", got)
	}
	if err := s.Open(ctx, nameSchema, false); err != nil {
		t.Fatal(err)
	}
	write(s, "d", "e")
	c3, err := s.PreCommit(ctx, 3)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	// A crash in the middle of commit 3's append: half of it is written.
	staged, _ := os.ReadFile(s.stagingPath())
	f, _ := os.OpenFile(s.path, os.O_WRONLY|os.O_APPEND, 0)
	f.Write(staged[:len(staged)/2])
	f.Close()
	s = txnSink(t, dir)
	if err := s.Recover(ctx, 3, c3); err != nil {
		t.Fatal(err)
	}
	if got := readOut(t, dir); got != header+"a\nb\nc\nd\ne\n" {
		t.Fatalf("after recovering a half-done commit 3: %q", got)
	}
	if err := s.Open(ctx, nameSchema, false); err != nil {
		t.Fatal(err)
	}
	write(s, "f")
	s.Close()
	// Resuming an older checkpoint (3 again, as after a crash in 4) cuts
	// the output back to it; and the header is not written twice.
	s = txnSink(t, dir)
	if err := s.Recover(ctx, 3, c3); err != nil {
		t.Fatal(err)
	}
	if err := s.Open(ctx, nameSchema, false); err != nil {
		t.Fatal(err)
	}
	write(s, "g")
	if _, err := s.PreCommit(ctx, 4); err != nil {
		t.Fatal(err)
	}
	if err := s.Commit(ctx, 4); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if got := readOut(t, dir); got != header+"a\nb\nc\nd\ne\ng\n" {
		t.Fatalf("final output: %q", got)
	}
	if _, err := os.Stat(s.stagingPath()); !os.IsNotExist(err) {
		t.Errorf("the empty in-progress file is left behind: %v", err)
	}
	_ = c1

	// A crash after the final checkpoint was stored but before its commit
	// cleaned up: the restart's Recover completes the commit and Close
	// (the sink is never opened) removes the emptied in-progress file.
	s = txnSink(t, dir)
	if err := s.Recover(ctx, 3, c3); err != nil {
		t.Fatal(err)
	}
	if err := s.Open(ctx, nameSchema, false); err != nil {
		t.Fatal(err)
	}
	write(s, "g")
	c5, err := s.PreCommit(ctx, 5)
	if err != nil {
		t.Fatal(err)
	}
	s.Close() // killed before Commit
	if _, err := os.Stat(s.stagingPath()); err != nil {
		t.Fatalf("the in-progress file of an uncommitted checkpoint is gone: %v", err)
	}
	s = txnSink(t, dir)
	if err := s.Recover(ctx, 5, c5); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if got := readOut(t, dir); got != header+"a\nb\nc\nd\ne\ng\n" {
		t.Fatalf("after resuming the final checkpoint: %q", got)
	}
	if _, err := os.Stat(s.stagingPath()); !os.IsNotExist(err) {
		t.Errorf("the in-progress file is left behind after resuming the final checkpoint: %v", err)
	}

	// A recovered checkpoint whose output was deleted is an error that
	// says what to do.
	os.Remove(s.path)
	s = txnSink(t, dir)
	if err := s.Recover(ctx, 3, c3); err == nil || !strings.Contains(err.Error(), "delete the state directory") {
		t.Fatalf("recover without the output: %v", err)
	}
}

type row = []string

var nameSchema = arrow.NewSchema([]arrow.Field{{Name: "name", Type: arrow.BinaryTypes.String, Nullable: true}}, nil)

func record(t *testing.T, mem memory.Allocator, rows []row) arrow.Record {
	t.Helper()
	b := array.NewStringBuilder(mem)
	defer b.Release()
	for _, r := range rows {
		b.Append(r[0])
	}
	a := b.NewArray()
	defer a.Release()
	return array.NewRecord(nameSchema, []arrow.Array{a}, int64(len(rows)))
}
