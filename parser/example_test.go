package parser_test

import (
	"fmt"

	"github.com/weirsql/weir/diag"
	"github.com/weirsql/weir/parser"
)

func ExampleParse() {
	stmts, err := parser.Parse(`
		SELECT auction, COUNT(*) AS bids
		FROM bids
		GROUP BY auction, TUMBLE(date_time, INTERVAL '10' SECOND);`)
	if err != nil {
		panic(err)
	}
	q := stmts[0].(*parser.QueryStmt).Query
	tumble := q.Select.GroupBy[1].(*parser.FuncCall)
	size := tumble.Args[1].(*parser.IntervalLit)
	fmt.Println(tumble.Name, size.Value, size.Unit, tumble.Pos)
	fmt.Println(parser.Format(stmts[0]))
	// Output:
	// TUMBLE 10 SECOND <input>:4:21
	// SELECT auction, COUNT(*) AS bids FROM bids GROUP BY auction, TUMBLE(date_time, INTERVAL '10' SECOND)
}

func ExampleParseFile_error() {
	src := "SELECT price\n  FROM bids\n WHERE price >> 10"
	_, err := parser.ParseFile("q.sql", src)
	fmt.Println(diag.Render(err, src))
	// Output:
	// q.sql:3:15: unexpected ">", expected an expression
	//    WHERE price >> 10
	//                 ^
}

func ExampleParseExpr() {
	e, err := parser.ParseExpr("NOT a = 1 OR b BETWEEN 2 AND 3")
	if err != nil {
		panic(err)
	}
	or := e.(*parser.Binary)
	fmt.Printf("%s: %T OR %T\n", or.Op, or.Left, or.Right)
	fmt.Println(parser.Format(e))
	// Output:
	// OR: *parser.Unary OR *parser.Between
	// NOT a = 1 OR b BETWEEN 2 AND 3
}
