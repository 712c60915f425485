package planner

import (
	"errors"
	"slices"
	"testing"

	"github.com/weirsql/weir/parser"
)

// TestScanLayout: the connector reads the physical columns the scan
// outputs or its computed columns read, then the metadata columns; the
// scan computes the rest and puts every column in the plan's order.
func TestScanLayout(t *testing.T) {
	p := New(NewCatalog())
	stmts, err := parser.Parse(`CREATE SOURCE s (
		path VARCHAR METADATA FROM 'file.path' VIRTUAL,
		a BIGINT, b BIGINT, c VARCHAR,
		twice AS b * 2,
		line BIGINT METADATA FROM 'file.line',
		tag AS c || path
	) WITH ('connector' = 'file', 'path' = 'x.jsonl', 'format' = 'json')`)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.CreateSource(stmts[0].(*parser.CreateSource), "/data"); err != nil {
		t.Fatal(err)
	}
	src, _ := p.Catalog.Source("s")
	if got := src.Physical(); !slices.Equal(got, []int{1, 2, 3}) {
		t.Errorf("Physical() = %v", got)
	}
	cases := []struct {
		cols       []int // scan columns, indexes into the source's schema
		projection []int // into the physical columns a, b, c
		metadata   []string
		computed   []string
		output     []int
		shaped     bool
	}{
		{cols: []int{1, 2, 3}, projection: []int{0, 1, 2}, output: []int{0, 1, 2}},
		{cols: []int{0, 1}, projection: []int{0}, metadata: []string{"file.path"}, output: []int{1, 0}, shaped: true},
		// twice reads b, which the scan does not output.
		{cols: []int{1, 4}, projection: []int{0, 1}, computed: []string{"b * CAST(2 AS BIGINT)"}, output: []int{0, 2}, shaped: true},
		// tag reads c and the metadata path, which is not output either.
		{cols: []int{5, 6}, projection: []int{2}, metadata: []string{"file.path", "file.line"},
			computed: []string{"c || path"}, output: []int{2, 3}, shaped: true},
		{cols: []int{}, projection: []int{}, output: nil},
	}
	for _, c := range cases {
		l := newScan(parser.Pos{}, src, "s", c.cols, nil).layout()
		var meta, comp []string
		for _, m := range l.metadata {
			meta = append(meta, m.Key)
		}
		for _, e := range l.computed {
			comp = append(comp, e.String())
		}
		if !slices.Equal(l.projection, c.projection) || !slices.Equal(meta, c.metadata) || !slices.Equal(comp, c.computed) ||
			!slices.Equal(l.output, c.output) || l.shaped != c.shaped || l.projection == nil {
			t.Errorf("columns %v: projection %v metadata %v computed %v output %v shaped %v; want %v %v %v %v %v",
				c.cols, l.projection, meta, comp, l.output, l.shaped, c.projection, c.metadata, c.computed, c.output, c.shaped)
		}
		if l.physical.NumFields() != 3 {
			t.Errorf("the connector's schema has %d columns, want the 3 physical ones", l.physical.NumFields())
		}
	}
}

// TestProcTimeAttribute: PROCTIME() makes a processing-time attribute that
// projections keep and expressions drop; a window over it needs no
// watermark even over an unbounded source.
func TestProcTimeAttribute(t *testing.T) {
	p := New(NewCatalog())
	stmts, err := parser.Parse(`CREATE SOURCE g (bidder BIGINT, pt AS PROCTIME()) WITH ('connector' = 'nexmark', 'nexmark.table' = 'bid')`)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.CreateSource(stmts[0].(*parser.CreateSource), "/data"); err != nil {
		t.Fatal(err)
	}
	for sql, wantErr := range map[string]bool{
		"SELECT COUNT(*) FROM g GROUP BY TUMBLE(pt, INTERVAL '1' SECOND)":                                            false,
		"SELECT COUNT(*) FROM (SELECT pt AS x FROM g) GROUP BY HOP(x, INTERVAL '1' SECOND, INTERVAL '2' SECOND)":     false,
		"SELECT COUNT(*) FROM (SELECT bidder, PROCTIME() AS y FROM g) GROUP BY SESSION(y, INTERVAL '1' SECOND)":      false,
		"SELECT COUNT(*) FROM (SELECT pt + INTERVAL '1' SECOND AS z FROM g) GROUP BY TUMBLE(z, INTERVAL '1' SECOND)": true,
	} {
		plan, err := planSQL(t, p, sql)
		if wantErr {
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("%s: %v, want a missing-watermark error", sql, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", sql, err)
			continue
		}
		var agg *Aggregate
		var find func(n Node)
		find = func(n Node) {
			if a, ok := n.(*Aggregate); ok {
				agg = a
			}
			for _, k := range n.Children() {
				find(k)
			}
		}
		find(plan.Optimized)
		if agg == nil || agg.Window == nil || !agg.Window.ProcTime {
			t.Errorf("%s: the window is not on processing time", sql)
		}
	}
}
