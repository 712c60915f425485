package slt

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/apache/arrow/go/v17/arrow/memory"
)

// TestGolden runs every case under testdata/queries. WEIR_UPDATE=1 rewrites
// the expectations instead.
func TestGolden(t *testing.T) {
	files, err := Files([]string{filepath.Join("..", "..", "testdata", "queries")})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no golden files found under testdata/queries")
	}
	update := os.Getenv("WEIR_UPDATE") == "1"
	for _, f := range files {
		rel, _ := filepath.Rel(filepath.Join("..", "..", "testdata", "queries"), f)
		t.Run(rel, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			failures, err := RunFile(context.Background(), f, update, mem)
			if err != nil {
				t.Fatal(err)
			}
			for _, fl := range failures {
				t.Error(fl.Error())
			}
		})
	}
}
