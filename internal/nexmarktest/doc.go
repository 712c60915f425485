// Package nexmarktest checks the Nexmark queries of examples/nexmark end to
// end. It has no code of its own, only tests:
//
//   - Goldens: each query runs through the engine over the built-in
//     generator (default seed and base time) with 'events' set to 100,000
//     (testdata/qN.short.golden) and to 1,000,000 (testdata/qN.golden); the
//     CSV output's row count, SHA-256 and first 20 lines must match. q12's
//     windows are wall-clock time, so its golden files record what does not
//     depend on the clock: each bidder's total over its windows. The order
//     of a join of two streams (q3, q5, q7, q8, q20) depends on how its
//     inputs' batches interleave, so their golden files record the rows
//     sorted; the changelogs of q4 (an aggregation over a join) and q9 (a
//     top 1 over a join) depend on it too, so their golden files record
//     their final tables (the changelog applied), sorted.
//     `WEIR_UPDATE=1 go test ./internal/nexmarktest/` rewrites them.
//   - An independent check: the same answer computed in plain Go from the
//     generator's rows (people, auctions and bids, read through the
//     connector as an exec.Source, not through SQL; joins computed with
//     maps over the whole input) must equal the engine's output: row by row
//     for the stateless queries and q13's lookup join, whose output keeps
//     the input order; as a multiset for q11's sessions and for the joins
//     of two streams (q3, q5, q7, q8, q20), whose output order depends on
//     how the two inputs' batches interleave; for the updating q4, q9,
//     q15–q17, q18 and q19, as the final state left by applying the
//     changelog (expect_topn_test.go has q9, q18 and q19); and for
//     q12, as each bidder's total, with every window aligned to 10 seconds
//     and within the run.
//
// The 1,000,000-event size runs only in a plain `go test` (not with -short,
// and not under the race detector, which makes it minutes long).
package nexmarktest
