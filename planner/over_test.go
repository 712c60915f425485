package planner

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/weirsql/weir/exec"
	"github.com/weirsql/weir/parser"
)

// findTopN returns the plan's TopN node.
func findTopN(t *testing.T, n Node) *TopN {
	t.Helper()
	if top, ok := n.(*TopN); ok {
		return top
	}
	for _, c := range n.Children() {
		if top := findTopNIn(c); top != nil {
			return top
		}
	}
	t.Fatalf("no TopN in\n%s", FormatPlan(n))
	return nil
}

func findTopNIn(n Node) *TopN {
	if top, ok := n.(*TopN); ok {
		return top
	}
	for _, c := range n.Children() {
		if top := findTopNIn(c); top != nil {
			return top
		}
	}
	return nil
}

// TestTopNBinding checks what the binder makes of the Top-N pattern: N
// from the outer WHERE, the mode, and whether the row number survives
// PruneColumns.
func TestTopNBinding(t *testing.T) {
	const sub = "(SELECT *, ROW_NUMBER() OVER (PARTITION BY auction ORDER BY price DESC) AS rn FROM bids)"
	cases := []struct {
		sql   string
		n     int64
		mode  exec.TopNMode
		rank  bool
		plan  string // the optimized plan, when given
		props string // the TopN's streaming properties, when given
	}{
		{sql: "SELECT * FROM " + sub + " WHERE rn <= 3", n: 3, rank: true},
		{sql: "SELECT * FROM " + sub + " WHERE rn < 3", n: 2, rank: true},
		{sql: "SELECT * FROM " + sub + " WHERE 5 >= rn", n: 5, rank: true},
		{sql: "SELECT * FROM " + sub + " AS t WHERE t.rn = 1 AND price > 10", n: 1, rank: true},
		// rn = 2 bounds the ranks at 2 and stays as a filter, which reads rn.
		{sql: "SELECT auction FROM " + sub + " WHERE rn = 2", n: 2, rank: true,
			plan: "Project: auction\n" +
				"  Filter: rn = 2\n" +
				"    TopN: n=2 partition=[auction] order=[price DESC] rank=rn\n" +
				"      Scan: bids [auction, price] connector=file watermark=date_time - INTERVAL '4' SECOND\n"},
		{sql: "SELECT * FROM " + sub + " WHERE rn BETWEEN 1 AND 4 AND rn <= 6", n: 4, rank: true},
		// Not selected: PruneColumns drops the row number.
		{sql: "SELECT auction, price FROM " + sub + " WHERE rn <= 3", n: 3,
			plan: "Project: auction, price\n" +
				"  TopN: n=3 partition=[auction] order=[price DESC] no rank number\n" +
				"    Scan: bids [auction, price] connector=file watermark=date_time - INTERVAL '4' SECOND\n",
			props: "updating, bounded"},
		// A time attribute: deduplication.
		{sql: "SELECT auction FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY bidder ORDER BY date_time DESC) AS rn FROM bids) WHERE rn = 1",
			n: 1, mode: exec.TopNKeepLast, props: "updating, bounded"},
		{sql: "SELECT auction, date_time FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY bidder ORDER BY date_time) AS rn FROM bids) WHERE rn <= 1",
			n: 1, mode: exec.TopNKeepFirst, props: "append-only, bounded, watermark=date_time"},
		// Two sort keys, or N > 1: an ordinary Top-N.
		{sql: "SELECT auction FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY bidder ORDER BY date_time, price) AS rn FROM bids) WHERE rn = 1", n: 1},
		{sql: "SELECT auction FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY bidder ORDER BY date_time) AS rn FROM bids) WHERE rn <= 2", n: 2},
		// Keys computed below the TopN.
		{sql: "SELECT p FROM (SELECT price AS p, ROW_NUMBER() OVER (PARTITION BY auction % 10 ORDER BY price * 2) AS r FROM bids) WHERE r < 2", n: 1,
			plan: "Project: p\n" +
				"  TopN: n=1 partition=[auction % 10] order=[price * 2] no rank number\n" +
				"    Project: price AS p, auction % 10 AS $partition0, price * 2 AS $order0\n" +
				"      Scan: bids [auction, price] connector=file watermark=date_time - INTERVAL '4' SECOND\n"},
	}
	p := newTestPlanner(t)
	for _, c := range cases {
		t.Run(c.sql, func(t *testing.T) {
			plan, err := planSQL(t, p, c.sql)
			if err != nil {
				t.Fatal(err)
			}
			top := findTopN(t, plan.Optimized)
			if top.N != c.n || top.Mode != c.mode || top.RankOutput != c.rank {
				t.Errorf("TopN n=%d mode=%s rank=%v, want n=%d mode=%s rank=%v", top.N, top.Mode, top.RankOutput, c.n, c.mode, c.rank)
			}
			if c.plan != "" {
				if got := stripProps(FormatPlan(plan.Optimized)); got != c.plan {
					t.Errorf("optimized plan:\n%s\nwant:\n%s", got, c.plan)
				}
			}
			if c.props != "" {
				if got := formatProps(top); got != c.props {
					t.Errorf("props %q, want %q", got, c.props)
				}
			}
			if !c.rank && !slices.Contains(plan.Fired, "PruneColumns") {
				t.Errorf("PruneColumns did not fire (fired: %v)", plan.Fired)
			}
			if !plan.Optimized.Schema().Equal(plan.Bound.Schema()) {
				t.Errorf("optimization changed the schema")
			}
		})
	}
}

// TestTopNPlanningErrors checks the refusals around OVER.
func TestTopNPlanningErrors(t *testing.T) {
	cases := []struct {
		sql  string
		kind error
		msg  string
	}{
		{"SELECT * FROM (SELECT *, ROW_NUMBER() OVER (ORDER BY price) AS rn FROM bids)", ErrUnsupported, "needs an upper bound on rn"},
		{"SELECT * FROM (SELECT *, ROW_NUMBER() OVER (ORDER BY price) AS rn FROM bids) WHERE rn >= 2 OR rn <= 1", ErrUnsupported, "needs an upper bound"},
		{"SELECT * FROM (SELECT *, ROW_NUMBER() OVER (ORDER BY price) AS rn FROM bids) WHERE rn <= 0", ErrInvalid, "keeps no rows"},
		{"SELECT * FROM (SELECT *, ROW_NUMBER() OVER (ORDER BY price) AS rn FROM bids) AS x WHERE y.rn <= 3", ErrUnsupported, "needs an upper bound"},
		{"SELECT * FROM (SELECT *, DENSE_RANK() OVER (ORDER BY price) AS rn FROM bids) WHERE rn <= 3", ErrUnsupported, "DENSE_RANK() is not supported yet"},
		{"SELECT * FROM (SELECT *, MAX(price) OVER (ORDER BY price) AS m FROM bids) WHERE m <= 3", ErrUnsupported, "ordered by a time attribute"},
		{"SELECT * FROM (SELECT *, ROW_NUMBER() OVER () AS rn FROM bids) WHERE rn <= 3", ErrInvalid, "needs ORDER BY"},
		{"SELECT * FROM (SELECT *, ROW_NUMBER() OVER (ORDER BY price RANGE UNBOUNDED PRECEDING) AS rn FROM bids) WHERE rn <= 3", ErrUnsupported, "window frames (RANGE ...)"},
		{"SELECT * FROM (SELECT auction, COUNT(*) AS n, ROW_NUMBER() OVER (ORDER BY auction) AS rn FROM bids GROUP BY auction) WHERE rn <= 3", ErrUnsupported, "in an aggregating query"},
		{"SELECT * FROM (SELECT *, ROW_NUMBER() OVER (ORDER BY price) AS rn FROM bids LIMIT 3) WHERE rn <= 3", ErrUnsupported, "LIMIT in a query with ROW_NUMBER()"},
		{"SELECT * FROM (SELECT DISTINCT auction, ROW_NUMBER() OVER (ORDER BY auction) AS rn FROM bids) WHERE rn <= 3", ErrUnsupported, "SELECT DISTINCT"},
		{"SELECT * FROM (SELECT *, ROW_NUMBER() OVER (ORDER BY prce) AS rn FROM bids) WHERE rn <= 3", ErrUnknownColumn, `unknown column "prce"`},
		{"SELECT * FROM (SELECT *, ROW_NUMBER() FILTER (WHERE price > 1) OVER (ORDER BY price) AS rn FROM bids) WHERE rn <= 3", ErrInvalid, "takes no FILTER"},
		{"SELECT 1 + ROW_NUMBER() OVER (ORDER BY price) FROM bids", ErrUnsupported, "runs only as a Top-N"},
		{"SELECT * FROM (SELECT auction, ROW_NUMBER() OVER (PARTITION BY k ORDER BY n) AS rn FROM (SELECT auction AS k, auction, COUNT(*) AS n FROM bids GROUP BY auction)) WHERE rn <= 3",
			ErrUnsupported, "over an updating input"},
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

// TestTopNView: a view may rank; a query over it bounds it.
func TestTopNView(t *testing.T) {
	p := newTestPlanner(t)
	stmts, err := parser.Parse("CREATE VIEW best AS SELECT auction, price, ROW_NUMBER() OVER (PARTITION BY auction ORDER BY price DESC) AS pos FROM bids")
	if err != nil {
		t.Fatal(err)
	}
	if err := p.CreateView(stmts[0].(*parser.CreateView), "/data"); err != nil {
		t.Fatal(err)
	}
	plan, err := planSQL(t, p, "SELECT b.auction, b.pos FROM best AS b WHERE b.pos <= 2")
	if err != nil {
		t.Fatal(err)
	}
	if top := findTopN(t, plan.Optimized); top.N != 2 || !top.RankOutput {
		t.Errorf("TopN n=%d rank=%v", top.N, top.RankOutput)
	}
	if _, err := planSQL(t, p, "SELECT * FROM best"); !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), "in view best") {
		t.Errorf("unbounded view: err = %v", err)
	}
}
