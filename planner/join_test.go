package planner

import (
	"errors"
	"strings"
	"testing"

	"github.com/weirsql/weir/parser"
)

const joinDDL = `CREATE SOURCE orders (order_id BIGINT, user VARCHAR, amount BIGINT, ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)
WITH ('connector' = 'file', 'path' = 'orders.jsonl', 'format' = 'json');
CREATE SOURCE payments (order_id BIGINT, method VARCHAR, ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)
WITH ('connector' = 'file', 'path' = 'payments.jsonl', 'format' = 'json');
CREATE SOURCE users (name VARCHAR, country VARCHAR)
WITH ('connector' = 'file', 'path' = 'users.csv', 'format' = 'csv');`

func joinPlanner(t *testing.T) *Planner {
	t.Helper()
	p := New(NewCatalog())
	stmts, err := parser.Parse(joinDDL)
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range stmts {
		if err := p.CreateSource(st.(*parser.CreateSource), "/data"); err != nil {
			t.Fatal(err)
		}
	}
	return p
}

// findJoin returns the first Join of a plan.
func findJoin(n Node) *Join {
	if j, ok := n.(*Join); ok {
		return j
	}
	for _, c := range n.Children() {
		if j := findJoin(c); j != nil {
			return j
		}
	}
	return nil
}

// TestJoinClassification checks how join conditions split into keys, time
// bounds, window bounds and a residual, and how the rules move one-sided
// conditions below the join.
func TestJoinClassification(t *testing.T) {
	p := joinPlanner(t)
	cases := []struct {
		sql, join string
		updating  bool
		watermark bool
	}{
		{
			sql:       "SELECT o.order_id FROM orders o JOIN payments p ON o.order_id = p.order_id AND p.ts BETWEEN o.ts AND o.ts + INTERVAL '10' SECOND",
			join:      "Join: INNER interval keys=[left.order_id = right.order_id] left.ts - right.ts in [-10s, 0s]",
			watermark: true,
		},
		{
			// Strict bounds are a millisecond inside; the sides may be swapped.
			sql:       "SELECT o.order_id FROM orders o, payments p WHERE p.order_id = o.order_id AND p.ts > o.ts - INTERVAL '1' MINUTE AND o.ts > p.ts",
			join:      "Join: INNER interval keys=[left.order_id = right.order_id] left.ts - right.ts in [1ms, 59.999s]",
			watermark: true,
		},
		{
			// One bound only: a regular join, the bound a residual.
			sql:  "SELECT o.order_id FROM orders o JOIN payments p ON o.order_id = p.order_id AND p.ts >= o.ts",
			join: "Join: INNER regular keys=[left.order_id = right.order_id] residual=ts >= ts",
		},
		{
			sql:      "SELECT o.order_id FROM orders o LEFT JOIN users u ON o.user = u.name AND u.country = 'NL' AND o.amount > 10",
			join:     "Join: LEFT regular keys=[left.user = right.name] residual=amount > 10",
			updating: true,
		},
		{
			sql: `SELECT a.order_id FROM
			  (SELECT order_id, window_start, window_end, COUNT(*) AS n FROM TABLE(TUMBLE(TABLE orders, DESCRIPTOR(ts), INTERVAL '10' SECOND)) GROUP BY order_id, window_start, window_end) a
			  JOIN (SELECT order_id, window_start AS ws, window_end AS we FROM TABLE(TUMBLE(TABLE payments, DESCRIPTOR(ts), INTERVAL '10' SECOND)) GROUP BY order_id, window_start, window_end) b
			  ON a.order_id = b.order_id AND a.window_start = b.ws AND a.window_end = b.we`,
			join: "Join: INNER window keys=[left.order_id = right.order_id] windows=[left.window_end = right.we] residual=window_start = ws",
		},
	}
	for _, c := range cases {
		plan, err := planSQL(t, p, c.sql)
		if err != nil {
			t.Errorf("%s: %v", c.sql, err)
			continue
		}
		j := findJoin(plan.Optimized)
		if j == nil {
			t.Errorf("%s: no join in\n%s", c.sql, FormatPlan(plan.Optimized))
			continue
		}
		if got := j.Describe(); got != c.join {
			t.Errorf("%s:\n got %s\nwant %s", c.sql, got, c.join)
		}
		props := j.Props()
		if props.Updating != c.updating || (props.Watermark >= 0) != c.watermark {
			t.Errorf("%s: props %+v, want updating %v, watermark %v", c.sql, props, c.updating, c.watermark)
		}
	}
	// The LEFT join's condition on the padded side goes below the join.
	plan, err := planSQL(t, p, cases[3].sql)
	if err != nil {
		t.Fatal(err)
	}
	if text := FormatPlan(plan.Optimized); !strings.Contains(text, "filter=country = 'NL'") {
		t.Errorf("the condition on users is not pushed into its scan:\n%s", text)
	}
}

// TestJoinErrors: joins Weir cannot run are planning errors with a
// position.
func TestJoinErrors(t *testing.T) {
	p := joinPlanner(t)
	for sql, want := range map[string]string{
		"SELECT * FROM (SELECT user, COUNT(*) AS n FROM orders GROUP BY user) c JOIN users u ON c.user = u.name": "updating input",
		"SELECT o.order_id FROM orders o JOIN users FOR SYSTEM_TIME AS OF o.ts AS u ON o.user = u.name":          "processing-time column",
		"SELECT o.order_id FROM orders o JOIN users u ON o.usr = u.name":                                         `unknown column "usr"`,
	} {
		_, err := planSQL(t, p, sql)
		var de interface{ Error() string }
		if err == nil || !strings.Contains(err.Error(), want) || !errors.As(err, &de) {
			t.Errorf("%s: %v, want an error with %q", sql, err, want)
		}
	}
}
