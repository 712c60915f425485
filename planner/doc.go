// Package planner turns parsed statements into plans: it keeps the catalog
// of sources, views and sinks, binds names and types, builds a logical plan,
// optimizes it with rules, prints it for EXPLAIN, and compiles it into the
// exec package's operators. It runs nothing itself.
//
// # One query, from AST to operators
//
// Given
//
//	CREATE SOURCE bids (auction BIGINT, price BIGINT, channel VARCHAR, date_time TIMESTAMP(3),
//	  WATERMARK FOR date_time AS date_time - INTERVAL '4' SECOND)
//	WITH ('connector' = 'file', 'path' = 'bids.jsonl', 'format' = 'json');
//	SELECT auction, price * 2 AS doubled FROM bids WHERE price > 100;
//
// CreateSource validates the WITH clause against the file connector's spec
// and records a SourceDef. PlanQuery then binds the SELECT (bind_query.go,
// bind_expr.go): FROM becomes a Scan of every column, WHERE a Filter, the
// select list a Project. Binding resolves names through a scope, widens the
// INT literals to BIGINT with casts (types.go: commonType), and checks each
// function against the registry of exec/expr. The bound plan prints as
//
//	Project: auction, price * CAST(2 AS BIGINT) AS doubled [append-only, bounded]
//	  Filter: price > CAST(100 AS BIGINT) [append-only, bounded, watermark=date_time]
//	    Scan: bids [auction, price, channel, date_time] connector=file watermark=date_time - INTERVAL '4' SECOND [append-only, bounded, watermark=date_time]
//
// Optimize runs DefaultRules to a fixpoint (rules.go): FoldConstants turns
// the casts of literals into literals, PushFilterIntoScan moves the
// condition into the scan so rejected rows never leave the decoder, and
// PruneColumns narrows the scan to the two columns the query reads:
//
//	Project: auction, price * 2 AS doubled [append-only, bounded]
//	  Scan: bids [auction, price] connector=file filter=price > 100 watermark=date_time - INTERVAL '4' SECOND [append-only, bounded]
//	rules: FoldConstants, PushFilterIntoScan, PruneColumns
//
// Compile (physical.go) maps each logical node to its operator, opening the
// source through its connector with the projection, and each expression to
// an exec/expr evaluator:
//
//	ProjectExec: auction, price * 2 AS doubled
//	  ScanExec: bids filter=price > 100
//
// The bracketed streaming properties say whether a node's output is
// append-only or updating, bounded or not, and which column carries the
// watermark (here none after pruning: nothing downstream needs event time).
//
// # Source columns
//
// A source's columns are physical (decoded by the connector's format),
// metadata (`path VARCHAR METADATA FROM 'file.path'`, filled by the
// connector) or computed (`p_time AS PROCTIME()`, bound over the physical
// and metadata columns). SourceDef.Columns says which; the Scan lists them
// all the same, and Compile splits them (scan.go: layout): the connector
// gets the physical columns the scan needs and the metadata keys to fill
// (connectors.SourceConfig), and exec.ScanShape computes the computed
// columns from its batches before the watermark and the pushed-down
// filter, so either may use them. A column whose value is PROCTIME() is a
// processing-time attribute (Column.ProcTime): a window over it closes on
// the clock (Window.ProcTime) and needs no watermark.
//
// # Adding a feature
//
// A new kind of node is a file holding the Node (Schema, Children,
// WithChildren, Props, Describe), a case in the binder that builds it, a case
// in prune.go if it can narrow its input, and a case in Compile that maps it
// to its operator in exec.
package planner
