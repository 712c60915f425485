package planner

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"

	_ "github.com/weirsql/weir/connectors/all"
	"github.com/weirsql/weir/parser"
	"github.com/weirsql/weir/sqltypes"
)

const ddl = `CREATE SOURCE bids (
  auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, date_time TIMESTAMP(3),
  WATERMARK FOR date_time AS date_time - INTERVAL '4' SECOND
) WITH ('connector' = 'file', 'path' = 'bids.jsonl', 'format' = 'json')`

// newTestPlanner returns a planner whose catalog holds the bids source.
func newTestPlanner(t *testing.T) *Planner {
	t.Helper()
	p := New(NewCatalog())
	stmts, err := parser.Parse(ddl)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.CreateSource(stmts[0].(*parser.CreateSource), "/data"); err != nil {
		t.Fatal(err)
	}
	return p
}

func planSQL(t *testing.T, p *Planner, sql string) (*Plan, error) {
	t.Helper()
	stmts, err := parser.Parse(sql)
	if err != nil {
		t.Fatalf("parse %q: %v", sql, err)
	}
	return p.PlanQuery(stmts[0].(*parser.QueryStmt).Query)
}

// TestRulesFire checks, for each query, which rules fired (expect) and the
// optimized plan they produced.
func TestRulesFire(t *testing.T) {
	cases := []struct {
		sql    string
		expect []string
		plan   string
	}{
		{
			sql:    "SELECT auction FROM bids WHERE price > 100",
			expect: []string{"PushFilterIntoScan", "PruneColumns"},
			plan: "Project: auction\n" +
				"  Scan: bids [auction, price] connector=file filter=price > 100 watermark=date_time - INTERVAL '4' SECOND\n",
		},
		{
			sql:    "SELECT auction FROM bids WHERE 2 > 1",
			expect: []string{"FoldConstants", "PruneColumns"},
			plan:   "Project: auction\n  Scan: bids [auction] connector=file watermark=date_time - INTERVAL '4' SECOND\n",
		},
		{
			sql:    "SELECT auction FROM bids WHERE price > 1 OR FALSE",
			expect: []string{"FoldConstants", "PushFilterIntoScan"},
			plan: "Project: auction\n" +
				"  Scan: bids [auction, price] connector=file filter=price > 1 watermark=date_time - INTERVAL '4' SECOND\n",
		},
		{
			sql:    "SELECT a FROM (SELECT auction AS a, price AS p FROM bids) AS t WHERE p < 5",
			expect: []string{"PushFilterThroughProject", "PushFilterIntoScan", "MergeProjects", "PruneColumns"},
			plan: "Project: auction AS a\n" +
				"  Scan: bids [auction, price] connector=file filter=price < 5 watermark=date_time - INTERVAL '4' SECOND\n",
		},
		{
			sql:    "SELECT * FROM (SELECT * FROM bids WHERE price > 1) AS t WHERE bidder > 2",
			expect: []string{"PushFilterThroughProject", "PushFilterIntoScan"},
			plan: "Project: auction, bidder, price, channel, date_time\n" +
				"  Scan: bids [auction, bidder, price, channel, date_time] connector=file filter=(price > 1) AND (bidder > 2) watermark=date_time - INTERVAL '4' SECOND\n",
		},
		{
			// Filters cannot pass a LIMIT, so they meet above it and merge.
			sql:    "SELECT * FROM (SELECT * FROM (SELECT auction FROM bids LIMIT 5) AS a WHERE auction > 1) AS b WHERE auction < 9",
			expect: []string{"PushFilterThroughProject", "MergeFilters", "RemoveIdentityProject"},
			plan: "Project: auction\n" +
				"  Filter: (auction > 1) AND (auction < 9)\n" +
				"    Limit: 5\n" +
				"      Scan: bids [auction] connector=file watermark=date_time - INTERVAL '4' SECOND\n",
		},
		{
			// An expression used twice is not inlined (it would be computed twice).
			sql:    "SELECT x + x FROM (SELECT price * 2 AS x FROM bids) AS t",
			expect: []string{"PruneColumns"},
			plan: "Project: x + x AS EXPR$0\n" +
				"  Project: price * 2 AS x\n" +
				"    Scan: bids [price] connector=file watermark=date_time - INTERVAL '4' SECOND\n",
		},
	}
	p := newTestPlanner(t)
	for _, c := range cases {
		t.Run(c.sql, func(t *testing.T) {
			plan, err := planSQL(t, p, c.sql)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range c.expect {
				if !slices.Contains(plan.Fired, r) {
					t.Errorf("rule %s did not fire (fired: %v)", r, plan.Fired)
				}
			}
			if got := stripProps(FormatPlan(plan.Optimized)); got != c.plan {
				t.Errorf("optimized plan:\n%s\nwant:\n%s", got, c.plan)
			}
			if !plan.Optimized.Schema().Equal(plan.Bound.Schema()) {
				t.Errorf("optimization changed the schema")
			}
		})
	}
}

// stripProps removes the " [append-only, ...]" suffix of each plan line.
func stripProps(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		if j := strings.LastIndex(l, " ["); j >= 0 {
			lines[i] = l[:j]
		}
	}
	return strings.Join(lines, "\n")
}

type badRule struct{ n Node }

func (badRule) Name() string                       { return "Bad" }
func (r badRule) Apply(n Node) (Node, bool, error) { return r.n, true, nil }

func TestOptimizerGuards(t *testing.T) {
	p := newTestPlanner(t)
	plan, err := planSQL(t, p, "SELECT auction, price FROM bids")
	if err != nil {
		t.Fatal(err)
	}
	// A rule that changes the output schema is refused.
	narrower := &Project{Input: plan.Bound, Exprs: []Expr{&ColRef{Index: 0, Name: "auction", Typ: sqltypes.BigInt}}, Names: []string{"auction"}}
	if _, _, err := Optimize(plan.Bound, []Rule{badRule{n: narrower}}); err == nil || !strings.Contains(err.Error(), "changed the output schema") {
		t.Errorf("schema-changing rule: err = %v", err)
	}
	// A rule that never settles hits the pass limit.
	if _, _, err := Optimize(plan.Bound, []Rule{alwaysChanges{}}); err == nil || !strings.Contains(err.Error(), "no fixpoint") {
		t.Errorf("endless rule: err = %v", err)
	}
}

type alwaysChanges struct{}

func (alwaysChanges) Name() string { return "AlwaysChanges" }
func (alwaysChanges) Apply(n Node) (Node, bool, error) {
	if p, ok := n.(*Project); ok {
		return &Project{Input: p.Input, Exprs: p.Exprs, Names: p.Names}, true, nil
	}
	return n, true, nil
}

func TestPlanningErrorsAreSentinels(t *testing.T) {
	cases := []struct {
		sql  string
		kind error
		msg  string
	}{
		{"SELECT prce FROM bids", ErrUnknownColumn, `unknown column "prce" in bids (did you mean "price"?)`},
		{"SELECT auction FROM bidz", ErrUnknownTable, `unknown source or view "bidz" (did you mean "bids"?)`},
		{"SELECT LOWR(channel) FROM bids", ErrUnknownFunction, "unknown function LOWR (did you mean LOWER?)"},
		{"SELECT price + channel FROM bids", ErrType, "cannot compare or combine BIGINT with VARCHAR"},
		{"SELECT auction FROM bids WHERE price", ErrType, "WHERE needs a BOOLEAN, got BIGINT"},
		{"SELECT ROW_NUMBER() OVER (ORDER BY price) FROM bids", ErrUnsupported, "runs only as a Top-N"},
		{"SELECT price, COUNT(*) FROM bids", ErrInvalid, `column "price" must appear in GROUP BY or be used in an aggregate function`},
		{"SELECT COUNT(*) FROM bids GROUP BY HOP(date_time, INTERVAL '3' SECOND, INTERVAL '10' SECOND)", ErrInvalid, "must be a whole multiple of its slide"},
		{"SELECT a.price FROM bids AS a, bids AS b", ErrUnsupported, "a streaming join needs an equality between the two inputs"},
		{"SELECT auction FROM bids LIMIT 1.5", ErrInvalid, "LIMIT needs a non-negative integer literal"},
	}
	p := newTestPlanner(t)
	for _, c := range cases {
		_, err := planSQL(t, p, c.sql)
		if !errors.Is(err, c.kind) {
			t.Errorf("%s: err = %v, want kind %v", c.sql, err, c.kind)
			continue
		}
		if !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%s: err = %q, want it to contain %q", c.sql, err, c.msg)
		}
	}
}

func TestCommonType(t *testing.T) {
	dec := func(p, s int32) arrow.DataType { return sqltypes.Decimal(p, s) }
	cases := []struct {
		a, b, want arrow.DataType
	}{
		{sqltypes.Int, sqltypes.BigInt, sqltypes.BigInt},
		{sqltypes.BigInt, sqltypes.Double, sqltypes.Double},
		{sqltypes.Float, sqltypes.Int, sqltypes.Float},
		{sqltypes.Int, dec(5, 2), dec(12, 2)},
		{sqltypes.BigInt, dec(5, 2), dec(21, 2)},
		{dec(5, 2), dec(10, 4), dec(10, 4)},
		{dec(5, 2), sqltypes.Double, sqltypes.Double},
		{sqltypes.Null, sqltypes.Varchar, sqltypes.Varchar},
		{sqltypes.Date, sqltypes.Timestamp, sqltypes.Timestamp},
		{sqltypes.Varchar, sqltypes.BigInt, nil},
		{sqltypes.Boolean, sqltypes.Int, nil},
	}
	for _, c := range cases {
		got, ok := commonType(c.a, c.b)
		if c.want == nil {
			if ok {
				t.Errorf("commonType(%s, %s) = %s, want none", c.a, c.b, got)
			}
			continue
		}
		if !ok || !arrow.TypeEqual(got, c.want) {
			t.Errorf("commonType(%s, %s) = %v, want %s", c.a, c.b, got, c.want)
		}
	}
}

func TestWatermarkDefinitions(t *testing.T) {
	p := New(NewCatalog())
	stmts, err := parser.Parse(`CREATE SOURCE s (ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '1.5' SECOND) WITH ('connector' = 'file', 'path' = 'x', 'format' = 'csv');
CREATE SOURCE t (ts TIMESTAMP(3), WATERMARK FOR ts AS ts) WITH ('connector' = 'file', 'path' = 'x', 'format' = 'csv')`)
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range stmts {
		if err := p.CreateSource(st.(*parser.CreateSource), "/"); err != nil {
			t.Fatal(err)
		}
	}
	s, _ := p.Catalog.Source("S")
	if s.Watermark == nil || s.Watermark.DelayMs != 1500 || s.Watermark.Column != 0 {
		t.Errorf("s watermark = %+v, want column 0 delay 1500ms", s.Watermark)
	}
	tt, _ := p.Catalog.Source("t")
	if tt.Watermark == nil || tt.Watermark.DelayMs != 0 {
		t.Errorf("t watermark = %+v, want delay 0", tt.Watermark)
	}
	if got := WatermarkText("ts", 1500); got != "ts - INTERVAL '1500' MILLISECOND" {
		t.Errorf("WatermarkText = %q", got)
	}
	if got := WatermarkText("ts", 7_200_000); got != "ts - INTERVAL '2' HOUR" {
		t.Errorf("WatermarkText = %q", got)
	}
}

func TestPropsTrackWatermarkThroughProjection(t *testing.T) {
	p := newTestPlanner(t)
	plan, err := planSQL(t, p, "SELECT price, date_time AS ts FROM bids")
	if err != nil {
		t.Fatal(err)
	}
	props := plan.Optimized.Props()
	if props.Watermark != 1 || !props.Bounded || props.Updating {
		t.Errorf("props = %+v, want watermark on column 1, bounded, append-only", props)
	}
	plan, err = planSQL(t, p, "SELECT price, date_time + INTERVAL '1' SECOND AS ts FROM bids")
	if err != nil {
		t.Fatal(err)
	}
	if w := plan.Optimized.Props().Watermark; w != -1 {
		t.Errorf("a computed time column carries no watermark, got %d", w)
	}
}
