package file

import (
	"errors"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/weirsql/weir/connectors"
	"github.com/weirsql/weir/sqltypes"
)

func metaSource(t *testing.T, mem memory.Allocator, base string, batch int, proj []int, meta []connectors.MetadataColumn, with map[string]string) (*Source, error) {
	t.Helper()
	with["connector"] = "file"
	opts, err := Spec.Validate(with)
	if err != nil {
		t.Fatal(err)
	}
	src, err := NewSource(connectors.SourceConfig{
		Name: "bids", Schema: bidSchema, Projection: proj, Metadata: meta, Options: opts,
		BaseDir: base, BatchSize: batch, Mem: mem,
	})
	if err != nil {
		return nil, err
	}
	return src.(*Source), nil
}

// TestMetadataColumns reads file.path and file.line after the projected
// columns, across files and batch sizes, JSON and CSV.
func TestMetadataColumns(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"in/a.jsonl": "{\"auction\": 1, \"price\": 10}\n\n{\"auction\": 2, \"price\": 20}\n",
		"in/b.jsonl": "{\"auction\": 3}\n",
		"c.csv":      "auction,price,date_time\n4,40,\n\"5\",50,\n",
	})
	meta := []connectors.MetadataColumn{
		{Key: "file.line", Field: arrow.Field{Name: "line", Type: sqltypes.BigInt, Nullable: true}},
		{Key: "file.path", Field: arrow.Field{Name: "path", Type: sqltypes.Varchar, Nullable: true}},
	}
	cases := []struct {
		path, format, want string
	}{
		{"in", "json", "10,1,in/a.jsonl\n20,3,in/a.jsonl\n,1,in/b.jsonl\n"},
		{"c.csv", "csv", "40,2,c.csv\n50,3,c.csv\n"},
	}
	for _, c := range cases {
		for _, batch := range []int{1, 2, 1024} {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			src, err := metaSource(t, mem, dir, batch, []int{1}, meta, map[string]string{"path": c.path, "format": c.format})
			if err != nil {
				t.Fatal(err)
			}
			if got := src.Schema().String(); got != "schema:\n  fields: 3\n    - price: type=int64, nullable\n    - line: type=int64, nullable\n    - path: type=utf8, nullable" {
				t.Errorf("schema %s", got)
			}
			_, out, err := readAll(t, src)
			if err != nil {
				t.Fatal(err)
			}
			if out != c.want {
				t.Errorf("%s, batch %d:\n%s\nwant\n%s", c.path, batch, out, c.want)
			}
			mem.AssertSize(t, 0)
		}
	}
}

// TestMetadataOnly reads metadata with no physical column at all.
func TestMetadataOnly(t *testing.T) {
	dir := writeFiles(t, map[string]string{"a.jsonl": "{}\n{\"auction\": 7}\n"})
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	meta := []connectors.MetadataColumn{{Key: "file.line", Field: arrow.Field{Name: "n", Type: sqltypes.BigInt, Nullable: true}}}
	src, err := metaSource(t, mem, dir, 16, []int{}, meta, map[string]string{"path": "a.jsonl", "format": "json"})
	if err != nil {
		t.Fatal(err)
	}
	_, out, err := readAll(t, src)
	if err != nil {
		t.Fatal(err)
	}
	if out != "1\n2\n" {
		t.Errorf("got %q", out)
	}
}

func TestMetadataErrors(t *testing.T) {
	dir := writeFiles(t, map[string]string{"a.jsonl": "{}\n"})
	for _, c := range []struct {
		col  connectors.MetadataColumn
		want error
	}{
		{connectors.MetadataColumn{Key: "offset", Field: arrow.Field{Name: "o", Type: sqltypes.BigInt}}, connectors.ErrUnknownMetadata},
		{connectors.MetadataColumn{Key: "file.line", Field: arrow.Field{Name: "l", Type: sqltypes.Int}}, connectors.ErrMetadataType},
	} {
		_, err := metaSource(t, nil, dir, 16, nil, []connectors.MetadataColumn{c.col}, map[string]string{"path": "a.jsonl", "format": "json"})
		if !errors.Is(err, c.want) {
			t.Errorf("%s %s: %v, want %v", c.col.Key, c.col.Field.Type, err, c.want)
		}
	}
}
