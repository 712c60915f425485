// Package repl is Weir's interactive shell: `weir` on a terminal, or
// `weir repl`. It reads SQL statements (a statement may span lines and
// ends with `;`) and backslash meta-commands, and runs the statements in
// one engine.Session exactly as `weir run` runs a file.
//
//	weir> CREATE SOURCE bids (auction BIGINT, price BIGINT, date_time TIMESTAMP(3),
//	   ->   WATERMARK FOR date_time AS date_time - INTERVAL '1' SECOND)
//	   -> WITH ('connector' = 'nexmark', 'nexmark.table' = 'bid', 'rate.pacing' = 'true');
//	CREATE SOURCE
//	weir> SELECT prce FROM bids;
//	error at 1:8: unknown column "prce" in bids (did you mean "price"?)
//	  SELECT prce FROM bids;
//	         ^
//
// The pieces:
//
//   - Shell (shell.go) is the loop: it gathers lines until a statement is
//     complete (input.go knows quotes and comments), runs it with a context
//     that Ctrl-C cancels, and renders errors with a caret under the
//     position in the statement just typed. meta.go holds \d, \format,
//     \timing, \set, \i, \help and \q.
//   - Terminal (terminal.go) reads lines with github.com/peterh/liner:
//     editing, history in ~/.weir_history, and tab completion from
//     complete.go (keywords, functions, names and columns from the
//     session's catalog). PlainReader reads a pipe instead, without prompts.
//   - liveSink (live.go) prints a SELECT's results: appended rows for an
//     append-only result, and for an updating one (an unwindowed GROUP BY)
//     a table of the latest row per key redrawn in place with ANSI cursor
//     movement. The engine's status line (events read, events/s,
//     watermark, late rows) shows under it while the query runs.
package repl
