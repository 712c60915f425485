package kafka_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/weirsql/weir/engine"
)

// groupSource declares a group-mode source of topic "in" at addr.
func groupSource(addr, extra string) string {
	return `CREATE SOURCE src (id BIGINT, v BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)
WITH ('connector' = 'kafka', 'topic' = 'in', 'properties.bootstrap.servers' = '` + addr + `', 'format' = 'json',
  'scan.partition.assignment' = 'group'` + extra + `);
`
}

// A query with state over a group-mode source fails before it runs,
// naming the source, the option and what keeps state.
func TestGroupModeRejectsStatefulQueries(t *testing.T) {
	addr := startBroker(t, 2, "in")
	for _, q := range []string{
		"SELECT id, COUNT(*) AS n FROM src GROUP BY id;",
		"SELECT id, COUNT(*) AS n FROM src GROUP BY id, TUMBLE(ts, INTERVAL '1' SECOND);",
		"SELECT id, v FROM src LIMIT 3;",
	} {
		sess := engine.NewSession(engine.Options{Format: "csv"})
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		err := sess.ExecScript(ctx, "q.sql", groupSource(addr, ", 'properties.group.id' = 'g'")+q)
		cancel()
		t.Logf("%s: %v", q, err)
		if err == nil || !strings.Contains(err.Error(), `kafka source "src": 'scan.partition.assignment' = 'group' shares partitions between processes, so it needs a query without state`) ||
			!strings.Contains(err.Error(), "use 'all'") {
			t.Errorf("%s: %v", q, err)
		}
	}
}

// Group mode without 'properties.group.id' is a planning error, and a
// stateless query run without checkpoints fails at the start.
func TestGroupModeNeedsGroupAndCheckpoints(t *testing.T) {
	addr := startBroker(t, 2, "in")
	sess := engine.NewSession(engine.Options{Format: "csv"})
	err := sess.ExecScript(context.Background(), "q.sql", groupSource(addr, "")+"SELECT id, v FROM src;")
	if err == nil || !strings.Contains(err.Error(), "missing option 'properties.group.id'") ||
		!strings.Contains(err.Error(), "'scan.partition.assignment' = 'group'") {
		t.Errorf("no group.id: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	sess = engine.NewSession(engine.Options{Format: "csv"})
	err = sess.ExecScript(ctx, "q.sql", groupSource(addr, ", 'properties.group.id' = 'g'")+"SELECT id, v FROM src WHERE v > 0;")
	if err == nil || !strings.Contains(err.Error(), "needs checkpoints") || !strings.Contains(err.Error(), "--no-state") {
		t.Errorf("no checkpoints: %v", err)
	}
	t.Logf("no checkpoints: %v", err)
}
