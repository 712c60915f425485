package parser

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/weirsql/weir/diag"
)

// statementCases are valid statements and their canonical form (Format of
// the parsed tree); an empty want means the input is already canonical. The
// fuzz target is seeded with them.
var statementCases = []struct{ src, want string }{
	// CREATE SOURCE / TABLE
	{`CREATE SOURCE bids (
		auction BIGINT, bidder BIGINT, price BIGINT, date_time TIMESTAMP(3),
		WATERMARK FOR date_time AS date_time - INTERVAL '4' SECOND
	) WITH ('connector' = 'kafka', 'topic' = 'bids', 'format' = 'json')`,
		`CREATE SOURCE bids (auction BIGINT, bidder BIGINT, price BIGINT, date_time TIMESTAMP(3), WATERMARK FOR date_time AS date_time - INTERVAL '4' SECOND) WITH ('connector' = 'kafka', 'topic' = 'bids', 'format' = 'json')`},
	{`create source if not exists s (a int not null, WATERMARK FOR ts AS ts, ts timestamp(3)) with (connector = 'file', scan.startup.mode = 'earliest-offset', json.fail-on-missing-field = false, 'rows' = 10, 'x' = -1.5, y = TRUE)`,
		`CREATE SOURCE IF NOT EXISTS s (a INT NOT NULL, ts TIMESTAMP(3), WATERMARK FOR ts AS ts) WITH ('connector' = 'file', 'scan.startup.mode' = 'earliest-offset', 'json.fail-on-missing-field' = 'false', 'rows' = '10', 'x' = '-1.5', 'y' = 'TRUE')`},
	{`CREATE TABLE orders (id BIGINT, PRIMARY KEY (id) NOT ENFORCED, note STRING NULL) WITH ()`,
		`CREATE TABLE orders (id BIGINT, note STRING) WITH ()`},
	{`CREATE TABLE k (
		partition INT METADATA VIRTUAL,
		"offset" BIGINT METADATA FROM 'offset' VIRTUAL,
		ts TIMESTAMP_LTZ(3) METADATA FROM 'timestamp',
		headers STRING METADATA,
		id BIGINT PRIMARY KEY NOT ENFORCED
	) WITH ('connector' = 'kafka')`,
		`CREATE TABLE k (partition INT METADATA VIRTUAL, "offset" BIGINT METADATA FROM 'offset' VIRTUAL, ts TIMESTAMP_LTZ(3) METADATA FROM 'timestamp', headers STRING METADATA, id BIGINT) WITH ('connector' = 'kafka')`},
	{`CREATE TABLE bid (auction BIGINT, date_time TIMESTAMP(3), p_time AS PROCTIME(), ts2 AS date_time + INTERVAL '1' SECOND,
		WATERMARK FOR ts2 AS ts2 - INTERVAL '1' SECOND, path STRING METADATA FROM 'file.path' VIRTUAL) WITH ('connector' = 'nexmark')`,
		`CREATE TABLE bid (auction BIGINT, date_time TIMESTAMP(3), p_time AS PROCTIME(), ts2 AS date_time + INTERVAL '1' SECOND, path STRING METADATA FROM 'file.path' VIRTUAL, WATERMARK FOR ts2 AS ts2 - INTERVAL '1' SECOND) WITH ('connector' = 'nexmark')`},
	{`create source s (a int, "b c" as (a + 1) * 2, d as case when a > 0 then 'x' end) with ()`,
		`CREATE SOURCE s (a INT, "b c" AS (a + 1) * 2, d AS CASE WHEN a > 0 THEN 'x' END) WITH ()`},
	{`CREATE SOURCE types (a BOOLEAN, b BOOL, c TINYINT, d SMALLINT, e INT, f INTEGER, g BIGINT, h FLOAT, i REAL, j DOUBLE, k DOUBLE PRECISION, l DECIMAL(10, 2), m NUMERIC, n VARCHAR, o VARCHAR(20), p STRING, q TEXT, r CHAR(3), s TIMESTAMP, t TIMESTAMP(3) WITH LOCAL TIME ZONE, u TIMESTAMP_LTZ(3), v DATE, w INTERVAL, x INTERVAL DAY TO SECOND(3), y TIMESTAMP WITHOUT TIME ZONE, z CHARACTER VARYING(5)) WITH ()`,
		`CREATE SOURCE types (a BOOLEAN, b BOOL, c TINYINT, d SMALLINT, e INT, f INTEGER, g BIGINT, h FLOAT, i REAL, j DOUBLE, k DOUBLE PRECISION, l DECIMAL(10, 2), m NUMERIC, n VARCHAR, o VARCHAR(20), p STRING, q TEXT, r CHAR(3), s TIMESTAMP, t TIMESTAMP(3) WITH LOCAL TIME ZONE, u TIMESTAMP_LTZ(3), v DATE, w INTERVAL, x INTERVAL, y TIMESTAMP WITHOUT TIME ZONE, z CHARACTER VARYING(5)) WITH ()`},

	// Other DDL and commands
	{`CREATE VIEW v AS SELECT a FROM t`, ``},
	{`create view if not exists v as (select a from t)`, `CREATE VIEW IF NOT EXISTS v AS SELECT a FROM t`},
	{`CREATE SINK out WITH ('connector' = 'stdout')`, ``},
	{`CREATE SINK IF NOT EXISTS out (a BIGINT, b STRING) WITH ('connector' = 'file', 'path' = 'out.csv') AS SELECT a, b FROM t`, ``},
	{`INSERT INTO out SELECT * FROM t`, ``},
	{`INSERT INTO out (SELECT * FROM t)`, `INSERT INTO out SELECT * FROM t`},
	{`DROP SOURCE s`, ``},
	{`drop table if exists t`, `DROP TABLE IF EXISTS t`},
	{`DROP VIEW v`, ``},
	{`DROP SINK IF EXISTS k`, ``},
	{`SHOW SOURCES`, ``},
	{`show tables`, `SHOW TABLES`},
	{`SHOW VIEWS`, ``},
	{`SHOW SINKS`, ``},
	{`SHOW FUNCTIONS`, ``},
	{`DESCRIBE bids`, ``},
	{`desc bids`, `DESCRIBE bids`},
	{`EXPLAIN SELECT a FROM t`, ``},
	{`EXPLAIN INSERT INTO out SELECT a FROM t`, ``},
	{`EXPLAIN PLAN FOR SELECT a FROM t`, `EXPLAIN SELECT a FROM t`},
	{`EXPLAIN CREATE SINK s WITH ('connector' = 'stdout') AS SELECT a FROM t`, ``},
	{`SET 'execution.checkpointing.interval' = '10s'`, ``},
	{`SET parallelism = 4`, `SET 'parallelism' = '4'`},
	{`set table.exec.mini-batch.enabled = true`, `SET 'table.exec.mini-batch.enabled' = 'true'`},
	{`SET mode = streaming`, `SET 'mode' = 'streaming'`},

	// Queries
	{`SELECT 1`, ``},
	{`SELECT DISTINCT a, b FROM t`, ``},
	{`SELECT ALL a FROM t`, `SELECT a FROM t`},
	{`SELECT *, t.*, a b, a AS "Quoted Alias", c.d AS e FROM t`, `SELECT *, t.*, a AS b, a AS "Quoted Alias", c.d AS e FROM t`},
	{`SELECT a FROM t WHERE a > 1 GROUP BY a, b HAVING COUNT(*) > 2 ORDER BY a DESC NULLS LAST, b ASC, c NULLS FIRST LIMIT 10`,
		`SELECT a FROM t WHERE a > 1 GROUP BY a, b HAVING COUNT(*) > 2 ORDER BY a DESC NULLS LAST, b, c NULLS FIRST LIMIT 10`},
	{`(SELECT a FROM t)`, `SELECT a FROM t`},
	{`SELECT a FROM t x, u AS y, v`, `SELECT a FROM t AS x CROSS JOIN u AS y CROSS JOIN v`},
	{`SELECT * FROM a JOIN b ON a.x = b.x INNER JOIN c ON c.y = b.y LEFT JOIN d ON TRUE LEFT OUTER JOIN e ON TRUE RIGHT JOIN f ON TRUE RIGHT OUTER JOIN g ON TRUE FULL JOIN h ON TRUE FULL OUTER JOIN i ON TRUE CROSS JOIN j`,
		`SELECT * FROM a INNER JOIN b ON a.x = b.x INNER JOIN c ON c.y = b.y LEFT JOIN d ON TRUE LEFT JOIN e ON TRUE RIGHT JOIN f ON TRUE RIGHT JOIN g ON TRUE FULL JOIN h ON TRUE FULL JOIN i ON TRUE CROSS JOIN j`},
	{`SELECT o.id, r.rate FROM orders AS o JOIN rates FOR SYSTEM_TIME AS OF o.proc_time AS r ON o.cur = r.cur`,
		`SELECT o.id, r.rate FROM orders AS o INNER JOIN rates FOR SYSTEM_TIME AS OF o.proc_time AS r ON o.cur = r.cur`},
	{`SELECT * FROM orders o JOIN rates r FOR SYSTEM_TIME AS OF o.t ON o.cur = r.cur`,
		`SELECT * FROM orders AS o INNER JOIN rates FOR SYSTEM_TIME AS OF o.t AS r ON o.cur = r.cur`},
	{`SELECT x FROM (SELECT a AS x FROM t) AS s`, ``},
	{`SELECT x FROM (SELECT a AS x FROM t) s WHERE x IN (SELECT b FROM u)`, `SELECT x FROM (SELECT a AS x FROM t) AS s WHERE x IN (SELECT b FROM u)`},
	{`SELECT window_start, window_end, COUNT(*) FROM TABLE(TUMBLE(TABLE bids, DESCRIPTOR(date_time), INTERVAL '10' MINUTES)) GROUP BY window_start, window_end`,
		`SELECT window_start, window_end, COUNT(*) FROM TABLE(TUMBLE(TABLE bids, DESCRIPTOR(date_time), INTERVAL '10' MINUTE)) GROUP BY window_start, window_end`},
	{`SELECT * FROM TABLE(HOP(TABLE bids, DESCRIPTOR(ts), INTERVAL '5' SECOND, INTERVAL '10' SECOND)) AS w`, ``},
	{`SELECT * FROM TABLE(CUMULATE(TABLE bids, DESCRIPTOR(ts), INTERVAL '1' HOUR, INTERVAL '1' DAY)) w`,
		`SELECT * FROM TABLE(CUMULATE(TABLE bids, DESCRIPTOR(ts), INTERVAL '1' HOUR, INTERVAL '1' DAY)) AS w`},
	{`SELECT * FROM TABLE(SESSION(TABLE bids, DESCRIPTOR(ts), INTERVAL '30' SECONDS))`,
		`SELECT * FROM TABLE(SESSION(TABLE bids, DESCRIPTOR(ts), INTERVAL '30' SECOND))`},
	{`SELECT * FROM TABLE(TUMBLE(DATA => TABLE bids, TIMECOL => DESCRIPTOR(ts), SIZE => INTERVAL '1' MINUTE))`,
		`SELECT * FROM TABLE(TUMBLE(TABLE bids, DESCRIPTOR(ts), INTERVAL '1' MINUTE))`},
	{`SELECT * FROM TABLE(HOP(SIZE => INTERVAL '10' SECOND, DATA => TABLE bids, SLIDE => INTERVAL '5' SECOND, TIMECOL => DESCRIPTOR(ts)))`,
		`SELECT * FROM TABLE(HOP(TABLE bids, DESCRIPTOR(ts), INTERVAL '5' SECOND, INTERVAL '10' SECOND))`},
	{`SELECT auction, TUMBLE_START(date_time, INTERVAL '10' SECOND) AS window_start, COUNT(*) AS bids, MAX(price) AS top FROM bids GROUP BY auction, TUMBLE(date_time, INTERVAL '10' SECOND)`, ``},
	{`SELECT HOP_END(ts, INTERVAL '5' SECOND, INTERVAL '10' SECOND), SESSION_START(ts, INTERVAL '1' MINUTE) FROM t GROUP BY HOP(ts, INTERVAL '5' SECOND, INTERVAL '10' SECOND), SESSION(ts, INTERVAL '1' MINUTE)`, ``},

	// Expressions in context
	{`SELECT COUNT(DISTINCT a), SUM(b) FILTER (WHERE b > 0), ROW_NUMBER() OVER (PARTITION BY a ORDER BY ts DESC), AVG(c) OVER () FROM t`, ``},
	{`SELECT * FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY a, b ORDER BY x DESC, ts) AS rn FROM t) WHERE rn <= 3`, ``},
	{`SELECT SUM(b) OVER (PARTITION BY a ORDER BY ts rows between unbounded preceding and current row), COUNT(*) OVER (ORDER BY ts ROWS 10 PRECEDING) FROM t`,
		`SELECT SUM(b) OVER (PARTITION BY a ORDER BY ts ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW), COUNT(*) OVER (ORDER BY ts ROWS 10 PRECEDING) FROM t`},
	{`SELECT MAX(p) OVER (PARTITION BY a ORDER BY ts RANGE BETWEEN INTERVAL '1' HOUR PRECEDING AND 2 + 3 FOLLOWING), AVG(p) OVER (ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING) FROM t`, ``},
	{`SELECT CASE WHEN a > 0 THEN 'pos' WHEN a < 0 THEN 'neg' ELSE 'zero' END, CASE a WHEN 1 THEN 'one' END FROM t`, ``},
	{`SELECT CAST(a AS BIGINT), TRY_CAST(b AS DECIMAL(10, 2)), CAST(c AS TIMESTAMP(3)), EXTRACT(YEAR FROM ts) FROM t`, ``},
	{`SELECT SUBSTRING(s FROM 2 FOR 3), SUBSTRING(s FROM 2), SUBSTRING(s, 2, 3), TRIM(s), TRIM(BOTH 'x' FROM s), TRIM(LEADING FROM s), TRIM(TRAILING ' ' FROM s), TRIM('x' FROM s), POSITION('a' IN s) FROM t`,
		`SELECT SUBSTRING(s, 2, 3), SUBSTRING(s, 2), SUBSTRING(s, 2, 3), TRIM(s), TRIM(s, 'x'), LTRIM(s), RTRIM(s, ' '), TRIM(s, 'x'), POSITION('a', s) FROM t`},
	{`SELECT CURRENT_TIMESTAMP, current_date, LOCALTIMESTAMP, CURRENT_TIME, NOW(), LEFT(s, 2), RIGHT(s, 2), MOD(a, 2), IF(a > 1, 'x', 'y') FROM t`,
		`SELECT CURRENT_TIMESTAMP, CURRENT_DATE, LOCALTIMESTAMP, CURRENT_TIME, NOW(), LEFT(s, 2), RIGHT(s, 2), MOD(a, 2), IF(a > 1, 'x', 'y') FROM t`},
	{`SELECT TIMESTAMP '2024-01-01 00:00:00', DATE '2024-01-01', INTERVAL '1 minute', INTERVAL '10' SECOND(3), INTERVAL 5 DAYS, 'it''s', NULL, TRUE, false, 1.5, 1e3, .5 FROM t`,
		`SELECT TIMESTAMP '2024-01-01 00:00:00', DATE '2024-01-01', INTERVAL '1 minute', INTERVAL '10' SECOND, INTERVAL '5' DAY, 'it''s', NULL, TRUE, FALSE, 1.5, 1e3, .5 FROM t`},
	{`SELECT a FROM t WHERE a IS NULL OR b IS NOT NULL AND c IS TRUE AND d IS NOT FALSE AND e NOT IN (1, 2) AND f BETWEEN 1 AND 10 AND g NOT LIKE 'a%' ESCAPE '\' AND h != 1`,
		`SELECT a FROM t WHERE a IS NULL OR b IS NOT NULL AND c IS TRUE AND d IS NOT FALSE AND e NOT IN (1, 2) AND f BETWEEN 1 AND 10 AND g NOT LIKE 'a%' ESCAPE '\' AND h <> 1`},
	{`SELECT (SELECT MAX(a) FROM t) + 1, - - a, -(a + b), NOT NOT c FROM t`, `SELECT (SELECT MAX(a) FROM t) + 1, - -a, -(a + b), NOT NOT c FROM t`},
	{"SELECT `back``quoted`, \"double\"\"quoted\" FROM t", `SELECT "back` + "`" + `quoted", "double""quoted" FROM t`},

	// Words that are keywords elsewhere still name columns.
	{`SELECT value, name, key, window_start, window_end, window_time, channel, url, extra, id, partition, offset, headers, first, last, day, hour, minute, second, year, month, date, timestamp, source, sink, view, watermark, metadata, filter, position, trim, substring, descriptor, system_time, nulls, tumble FROM t`, ``},
	{`CREATE SOURCE s (value STRING, name STRING, key BYTES, date DATE, timestamp TIMESTAMP(3), day INT, watermark INT, primary INT, WATERMARK FOR timestamp AS timestamp - INTERVAL '1' SECOND) WITH ()`, ``},
	{`SELECT day FROM t AS first WHERE value > hour`, ``},
}

func TestParseStatements(t *testing.T) {
	for _, c := range statementCases {
		stmts, err := Parse(c.src)
		if err != nil {
			t.Errorf("Parse(%q):\n%s", c.src, diag.Render(err, c.src))
			continue
		}
		if len(stmts) != 1 {
			t.Errorf("Parse(%q) = %d statements, want 1", c.src, len(stmts))
			continue
		}
		want := c.want
		if want == "" {
			want = c.src
		}
		if got := Format(stmts[0]); got != want {
			t.Errorf("Format(Parse(%q))\n got: %s\nwant: %s", c.src, got, want)
		}
	}
}

// TestRoundTrip checks that Format prints what Parse reads back.
func TestRoundTrip(t *testing.T) {
	for _, c := range statementCases {
		checkRoundTrip(t, c.src)
	}
	for _, c := range exprCases {
		checkRoundTrip(t, "SELECT "+c.src)
	}
}

func checkRoundTrip(t *testing.T, src string) {
	t.Helper()
	first, err := Parse(src)
	if err != nil {
		t.Errorf("Parse(%q): %v", src, err)
		return
	}
	for _, s := range first {
		text := Format(s)
		again, err := Parse(text)
		if err != nil {
			t.Errorf("Parse(Format(%q)) = Parse(%q): %v", src, text, err)
			continue
		}
		if len(again) != 1 {
			t.Errorf("Parse(%q) = %d statements, want 1", text, len(again))
			continue
		}
		stripPos(s)
		stripPos(again[0])
		if !reflect.DeepEqual(s, again[0]) {
			t.Errorf("round trip of %q through %q changed the tree:\n got: %s\nwant: %s", src, text, dump(again[0]), dump(s))
		}
	}
}

func TestScript(t *testing.T) {
	src := `
-- a script
CREATE SOURCE s (a INT) WITH ('connector' = 'datagen');;
/* two statements
   on two lines */ SELECT a FROM s; ;
SELECT 'semi;colon' FROM s;`
	stmts, err := ParseFile("q.sql", src)
	if err != nil {
		t.Fatal(diag.Render(err, src))
	}
	var got []string
	for _, s := range stmts {
		got = append(got, Format(s))
	}
	want := []string{
		`CREATE SOURCE s (a INT) WITH ('connector' = 'datagen')`,
		`SELECT a FROM s`,
		`SELECT 'semi;colon' FROM s`,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %q\nwant %q", got, want)
	}
	for _, empty := range []string{"", ";", " ;; ; ", "-- nothing\n", "/* */"} {
		if stmts, err := Parse(empty); err != nil || len(stmts) != 0 {
			t.Errorf("Parse(%q) = %v, %v; want no statements", empty, stmts, err)
		}
	}
}

// exprCases parse with ParseExpr; want shows every operator application in
// parentheses.
var exprCases = []struct{ src, want string }{
	{`a OR b AND c`, `(a OR (b AND c))`},
	{`a AND b OR c AND d`, `((a AND b) OR (c AND d))`},
	{`NOT a AND b`, `((NOT a) AND b)`},
	{`NOT a = b`, `(NOT (a = b))`},
	{`NOT NOT a`, `(NOT (NOT a))`},
	{`a = b AND c <> d`, `((a = b) AND (c <> d))`},
	{`a != b`, `(a <> b)`},
	{`a < b = c`, `((a < b) = c)`},
	{`a || b = c || d`, `((a || b) = (c || d))`},
	{`a + b || c`, `((a + b) || c)`},
	{`a - b - c`, `((a - b) - c)`},
	{`a + b * c`, `(a + (b * c))`},
	{`a * b / c % d`, `(((a * b) / c) % d)`},
	{`-a * b`, `((- a) * b)`},
	{`- -a`, `(- (- a))`},
	{`+a - -b`, `((+ a) - (- b))`},
	{`(a + b) * c`, `((a + b) * c)`},
	{`a IS NULL AND b IS NOT NULL`, `((a IS NULL) AND (b IS NOT NULL))`},
	{`a = b IS TRUE`, `((a = b) IS TRUE)`},
	{`a IS NOT FALSE`, `(a IS NOT FALSE)`},
	{`NOT a IS NULL`, `(NOT (a IS NULL))`},
	{`a IN (1, 2 + 3) OR b NOT IN (c)`, `((a IN [1, (2 + 3)]) OR (b NOT IN [c]))`},
	{`a IN (SELECT b FROM t)`, `(a IN [(SELECT b FROM t)])`},
	{`a BETWEEN 1 AND 2 AND b`, `((a BETWEEN 1 AND 2) AND b)`},
	{`a NOT BETWEEN b + 1 AND c * 2 OR d`, `((a NOT BETWEEN (b + 1) AND (c * 2)) OR d)`},
	{`a BETWEEN 1 AND 2 = TRUE`, `((a BETWEEN 1 AND 2) = TRUE)`},
	{`a LIKE 'x%' AND b NOT LIKE c || '%' ESCAPE '!'`, `((a LIKE 'x%') AND (b NOT LIKE (c || '%') ESCAPE '!'))`},
	{`ts - INTERVAL '4' SECOND`, `(ts - INTERVAL '4' SECOND)`},
	{`ts + INTERVAL '1' MINUTE * 2`, `(ts + (INTERVAL '1' MINUTE * 2))`},
	{`CASE WHEN a = 1 OR b THEN x + 1 ELSE -y END * 2`, `(CASE WHEN a = 1 OR b THEN x + 1 ELSE -y END * 2)`},
	{`COUNT(*) FILTER (WHERE a > 1) + 1`, `(COUNT(*) FILTER (WHERE a > 1) + 1)`},
	{`t.c = "T"."C"`, `(t.c = "T"."C")`},
	{`1 + 2.5 + 3e-2 + 'x'`, `(((1 + 2.5) + 3e-2) + 'x')`},
}

func TestParseExprPrecedence(t *testing.T) {
	for _, c := range exprCases {
		if c.want == "" {
			continue
		}
		e, err := ParseExpr(c.src)
		if err != nil {
			t.Errorf("ParseExpr(%q):\n%s", c.src, diag.Render(err, c.src))
			continue
		}
		if got := parenthesize(e); got != c.want {
			t.Errorf("ParseExpr(%q) = %s, want %s", c.src, got, c.want)
		}
	}
	if _, err := ParseExpr("f(a + b, *c)"); err == nil {
		t.Error(`ParseExpr("f(a + b, *c)") succeeded, want an error`)
	}
}

// TestParseAST spells out whole trees for the forms whose fields Format does
// not show directly.
func TestParseAST(t *testing.T) {
	cases := []struct{ src, want string }{
		{`CREATE TABLE IF NOT EXISTS k (p INT NOT NULL METADATA FROM 'partition' VIRTUAL, ts TIMESTAMP(3) WITH LOCAL TIME ZONE METADATA, WATERMARK FOR ts AS ts) WITH ('topic' = 'x', scan.startup.mode = 'earliest', n = 5, b = false)`,
			`CreateSource{Table:true IfNotExists:true Name:k Columns:[ColumnDef{Name:p Type:TypeName{Name:"INT"} NotNull:true Metadata:MetadataDef{Key:"partition" Virtual:true}} ColumnDef{Name:ts Type:TypeName{Name:"TIMESTAMP WITH LOCAL TIME ZONE" Params:[3]} Metadata:MetadataDef{}}] Watermark:WatermarkDef{Column:ts Expr:ColumnRef{Column:ts}} With:[Option{Key:"topic" Value:"x"} Option{Key:"scan.startup.mode" Value:"earliest"} Option{Key:"n" Value:"5"} Option{Key:"b" Value:"false"}]}`},
		{`CREATE SINK s WITH ('connector' = 'stdout')`,
			`CreateSink{Name:s With:[Option{Key:"connector" Value:"stdout"}]}`},
		{`SELECT t.*, "A" AS "b" FROM TABLE(TUMBLE(TABLE bids, DESCRIPTOR(ts), INTERVAL '10' SECONDS)) AS w`,
			`QueryStmt{Query:Query{Select:Select{Items:[SelectItem{Star:true StarTable:t} SelectItem{Expr:ColumnRef{Column:"A"} Alias:"b"}] From:WindowTable{Func:"TUMBLE" Table:bids TimeCol:ts Args:[IntervalLit{Value:"10" Unit:"SECOND"}] Alias:w}}}}`},
		{`SELECT * FROM a LEFT JOIN b FOR SYSTEM_TIME AS OF a.t ON TRUE, c ORDER BY x DESC NULLS FIRST LIMIT 5`,
			`QueryStmt{Query:Query{Select:Select{Items:[SelectItem{Star:true}] From:JoinTable{Kind:CROSS Left:JoinTable{Kind:LEFT Left:TableName{Name:a} Right:TableName{Name:b ForSystemTime:ColumnRef{Table:a Column:t}} On:Literal{Kind:LitBool Value:"TRUE"}} Right:TableName{Name:c}}} OrderBy:[OrderItem{Expr:ColumnRef{Column:x} Desc:true NullsFirst:true}] Limit:Literal{Kind:LitInt Value:"5"}}}`},
		{`SELECT 1, 1.0, 1e5, 'a''b', NULL, true, INTERVAL '1' HOURS, INTERVAL '1 hour', TIMESTAMP '2024-01-01', date '2024-01-01'`,
			`QueryStmt{Query:Query{Select:Select{Items:[SelectItem{Expr:Literal{Kind:LitInt Value:"1"}} SelectItem{Expr:Literal{Kind:LitFloat Value:"1.0"}} SelectItem{Expr:Literal{Kind:LitFloat Value:"1e5"}} SelectItem{Expr:Literal{Kind:LitString Value:"a'b"}} SelectItem{Expr:Literal{Value:"NULL"}} SelectItem{Expr:Literal{Kind:LitBool Value:"TRUE"}} SelectItem{Expr:IntervalLit{Value:"1" Unit:"HOUR"}} SelectItem{Expr:IntervalLit{Value:"1 hour"}} SelectItem{Expr:TypedLit{Type:"TIMESTAMP" Value:"2024-01-01"}} SelectItem{Expr:TypedLit{Type:"DATE" Value:"2024-01-01"}}]}}}`},
		{`SELECT count(DISTINCT a) FILTER (WHERE b) OVER (PARTITION BY c ORDER BY d), current_timestamp, try_cast(x AS varchar(3)), extract(dow FROM ts)`,
			`QueryStmt{Query:Query{Select:Select{Items:[SelectItem{Expr:FuncCall{Name:"COUNT" Args:[ColumnRef{Column:a}] Distinct:true Filter:ColumnRef{Column:b} Over:WindowSpec{PartitionBy:[ColumnRef{Column:c}] OrderBy:[OrderItem{Expr:ColumnRef{Column:d}}]}}} SelectItem{Expr:FuncCall{Name:"CURRENT_TIMESTAMP"}} SelectItem{Expr:Cast{X:ColumnRef{Column:x} Type:TypeName{Name:"VARCHAR" Params:[3]} Try:true}} SelectItem{Expr:Extract{Unit:"DOW" X:ColumnRef{Column:ts}}}]}}}`},
		{`SELECT ROW_NUMBER() OVER (ORDER BY d ROWS BETWEEN 3 PRECEDING AND CURRENT ROW)`,
			`QueryStmt{Query:Query{Select:Select{Items:[SelectItem{Expr:FuncCall{Name:"ROW_NUMBER" Over:WindowSpec{OrderBy:[OrderItem{Expr:ColumnRef{Column:d}}] Frame:WindowFrame{Unit:"ROWS" Start:FrameBound{Kind:"PRECEDING" Offset:Literal{Kind:LitInt Value:"3"}} End:FrameBound{Kind:"CURRENT ROW"}}}}}]}}}`},
		{`SELECT CASE x WHEN 1 THEN 'a' ELSE 'b' END, (SELECT 1), x NOT IN (SELECT y FROM u)`,
			`QueryStmt{Query:Query{Select:Select{Items:[SelectItem{Expr:Case{Operand:ColumnRef{Column:x} Whens:[When{Cond:Literal{Kind:LitInt Value:"1"} Result:Literal{Kind:LitString Value:"a"}}] Else:Literal{Kind:LitString Value:"b"}}} SelectItem{Expr:Subquery{Query:Query{Select:Select{Items:[SelectItem{Expr:Literal{Kind:LitInt Value:"1"}}]}}}} SelectItem{Expr:In{X:ColumnRef{Column:x} List:[Subquery{Query:Query{Select:Select{Items:[SelectItem{Expr:ColumnRef{Column:y}}] From:TableName{Name:u}}}}] Not:true}}]}}}`},
		{`EXPLAIN INSERT INTO out SELECT 1`,
			`Explain{Stmt:Insert{Target:out Query:Query{Select:Select{Items:[SelectItem{Expr:Literal{Kind:LitInt Value:"1"}}]}}}}`},
		{`SET 'a.b' = x.y`, `Set{Key:"a.b" Value:"x.y"}`},
		{`DROP TABLE IF EXISTS "T"`, `Drop{Kind:"TABLE" IfExists:true Name:"T"}`},
	}
	for _, c := range cases {
		stmts, err := Parse(c.src)
		if err != nil {
			t.Errorf("Parse(%q):\n%s", c.src, diag.Render(err, c.src))
			continue
		}
		if got := dump(stmts[0]); got != c.want {
			t.Errorf("Parse(%q)\n got: %s\nwant: %s", c.src, got, c.want)
		}
	}
}

func TestPositions(t *testing.T) {
	src := "-- header\nSELECT a,\n  price * 2 AS p2\nFROM bids b\n\tWHERE b.x > 'é' AND y;\nSHOW SOURCES"
	stmts, err := ParseFile("q.sql", src)
	if err != nil {
		t.Fatal(diag.Render(err, src))
	}
	q := stmts[0].(*QueryStmt)
	sel := q.Query.Select
	mul := sel.Items[1].Expr.(*Binary)
	and := sel.Where.(*Binary)
	gt := and.Left.(*Binary)
	cases := []struct {
		what string
		got  Pos
		line int
		col  int
	}{
		{"statement", q.Pos, 2, 1},
		{"select", sel.Pos, 2, 1},
		{"first item", sel.Items[0].Pos, 2, 8},
		{"second item", sel.Items[1].Pos, 3, 3},
		{"binary (left operand start)", mul.Pos, 3, 3},
		{"right operand", mul.Right.Position(), 3, 11},
		{"alias", sel.Items[1].Alias.Pos, 3, 16},
		{"table", sel.From.Position(), 4, 6},
		{"table alias", sel.From.(*TableName).Alias.Pos, 4, 11},
		{"AND", and.Pos, 5, 8},
		{"qualified column", gt.Left.Position(), 5, 8},
		{"string", gt.Right.Position(), 5, 14},
		{"after a non-ASCII string", and.Right.Position(), 5, 22},
		{"second statement", stmts[1].Position(), 6, 1},
	}
	for _, c := range cases {
		if c.got.Line != c.line || c.got.Column != c.col || c.got.Filename != "q.sql" {
			t.Errorf("%s at %s, want q.sql:%d:%d", c.what, c.got, c.line, c.col)
		}
		if lineStart := strings.LastIndex(src[:c.got.Offset], "\n") + 1; len([]rune(src[lineStart:c.got.Offset]))+1 != c.got.Column {
			t.Errorf("%s: offset %d does not match column %d", c.what, c.got.Offset, c.got.Column)
		}
	}
}

func TestReservedWordNeedsQuotes(t *testing.T) {
	if _, err := Parse(`SELECT "select", "from" FROM "order"`); err != nil {
		t.Fatal(err)
	}
	_, err := Parse(`SELECT a FROM order`)
	if !errors.Is(err, diag.ErrSyntax) {
		t.Fatalf("got %v, want a syntax error", err)
	}
}

func BenchmarkParse(b *testing.B) {
	src := `SELECT auction,
       TUMBLE_START(date_time, INTERVAL '10' SECOND) AS window_start,
       COUNT(*) AS bids, MAX(price) AS top
FROM bids
WHERE price > 100 AND bidder <> 7
GROUP BY auction, TUMBLE(date_time, INTERVAL '10' SECOND)`
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := Parse(src); err != nil {
			b.Fatal(err)
		}
	}
}

// TestConcurrentParse runs parses and error reports side by side; under
// -race it checks that the shared grammar and lexer are read-only.
func TestConcurrentParse(t *testing.T) {
	done := make(chan error)
	for i := 0; i < 4; i++ {
		go func() {
			var err error
			for _, c := range statementCases[:10] {
				if _, e := Parse(c.src); e != nil {
					err = e
				}
			}
			if _, e := Parse("SELECT * FORM t"); e == nil {
				err = errors.New("want an error")
			}
			done <- err
		}()
	}
	for i := 0; i < 4; i++ {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}
