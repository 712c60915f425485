// Package parser reads Weir's SQL into an abstract syntax tree. It owns the
// lexer, the participle grammar, the AST (ast.go, the contract with the
// planner), a canonical SQL printer (Format), and syntax errors. It knows
// nothing about types, the catalog or Arrow: `SELECT nosuch FROM nowhere`
// parses fine, and the planner reports what is wrong with it.
//
// # Files
//
//   - lexer.go: tokens (names, "quoted" and `backquoted` names, 'strings',
//     numbers, operators); comments and blanks are dropped; unterminated
//     strings and comments are reported where they start. Reserved words
//     are few (SELECT, FROM, JOIN, AND, CASE, ...): keywords such as VALUE,
//     KEY, DAY, PARTITION, TIMESTAMP or DATE stay usable as names.
//   - grammar.go: the participle grammar, one struct per production.
//   - convert.go: grammar structs to AST nodes, with the checks the grammar
//     leaves loose on purpose.
//   - errors.go: messages that say what was found and what was expected.
//   - format.go: Format, the inverse of Parse.
//
// # A worked example
//
// The script
//
//	CREATE SOURCE bids (price BIGINT, ts TIMESTAMP(3),
//	    WATERMARK FOR ts AS ts - INTERVAL '4' SECOND)
//	  WITH ('connector' = 'file', 'path' = 'bids.json', 'format' = 'json');
//	SELECT TUMBLE_START(ts, INTERVAL '10' SECOND) AS w, MAX(price)
//	FROM bids GROUP BY TUMBLE(ts, INTERVAL '10' SECOND);
//
// is split at its semicolons and each statement is parsed on its own. Parse
// returns
//
//	*CreateSource{Name: bids, Columns: [price BIGINT, ts TIMESTAMP [3]],
//	    Watermark: {Column: ts, Expr: Binary{ts - IntervalLit{"4" SECOND}}},
//	    With: [connector=file path=bids.json format=json]}
//	*QueryStmt{Query: {Select: {
//	    Items: [FuncCall{TUMBLE_START ts, IntervalLit{"10" SECOND}} AS w,
//	            FuncCall{MAX price}],
//	    From:  TableName{bids},
//	    GroupBy: [FuncCall{TUMBLE ts, IntervalLit{"10" SECOND}}]}}}
//
// Every node carries the diag.Pos where it starts (a Binary starts at its
// left operand), so the planner can point at `price` in an error. Function
// names are upper-cased; names keep their spelling and record whether they
// were quoted. Format(stmt) prints the statement back as canonical SQL, and
// parsing that text again gives the same tree.
//
// # Errors
//
// Every error is a *diag.Error of kind diag.ErrSyntax (test it with
// errors.Is) at the offending token, saying what was found and what the
// grammar would have accepted there, with a hint where the fix is likely.
// For "SELECT *\n  FORM bids" in q.sql:
//
//	q.sql:2:3: unexpected "FORM", expected FROM, WHERE, GROUP BY, HAVING, ORDER BY, LIMIT, "," or ";"
//	    FORM bids
//	    ^
//	hint: did you mean FROM?
//
// diag.Render prints the source line and the caret. Hints cover misspelt
// keywords, reserved words used as names (quote them: "order"), a missing
// comma or semicolon, a JOIN without ON, "double-quoted" strings, == and
// operators from other languages.
package parser
