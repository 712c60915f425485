// Package engine runs SQL statements: it keeps a session's catalog, sends
// DDL to the planner, and runs each query as a streaming pipeline from its
// sources to a sink (standard output for a bare SELECT). The CLI, the REPL
// and the golden tests all drive Weir through a Session.
//
//	s := engine.NewSession(engine.Options{Stdout: os.Stdout, Format: "csv"})
//	err := s.ExecScript(ctx, "q.sql", src)
//
// Errors in the text (syntax, names, types) are *diag.Error values; a
// failure while a query runs is a *RunError. The CLI exits 2 for the first
// kind and 1 for the second.
package engine
