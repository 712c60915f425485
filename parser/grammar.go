package parser

import (
	"github.com/alecthomas/participle/v2"
	"github.com/alecthomas/participle/v2/lexer"
)

// This file is the participle grammar. Its structs mirror the syntax, not the
// AST: convert.go turns them into the exported nodes of ast.go.
//
// Conventions:
//   - Tags use the `parser:"..."` form, with keywords in single quotes
//     ('SELECT'), so that go vet accepts them. Ident and Keyword tokens
//     match keywords case-insensitively; @Ident never matches a reserved
//     word (tokenize retypes those as Keyword).
//   - No alternative of a disjunction may match empty input (participle
//     panics on that): optional parts are (...)? groups around branches
//     that each consume a token.
//   - Alternatives are decided within `lookahead` tokens. Operator chains
//     are built by repetition, not recursion, so only parentheses and CASE
//     nest, and tokenize bounds their depth.
//   - Some checks are left to convert.go (FROM only inside SUBSTRING and
//     TRIM, the arguments of windowing functions) so that the grammar need
//     not backtrack over long alternatives.

// gStatement is one statement between semicolons.
type gStatement struct {
	Pos      lexer.Position
	Create   *gCreate    `parser:"@@"`
	Insert   *gInsert    `parser:"| @@"`
	Drop     *gDrop      `parser:"| @@"`
	Show     *gShow      `parser:"| @@"`
	Describe *gDescribe  `parser:"| @@"`
	Explain  *gExplain   `parser:"| @@"`
	Set      *gSet       `parser:"| @@"`
	Query    *gQueryExpr `parser:"| @@"`
}

type gCreate struct {
	Pos    lexer.Position
	Source *gCreateSource `parser:"'CREATE' ( @@"`
	View   *gCreateView   `parser:"| @@"`
	Sink   *gCreateSink   `parser:"| @@ )"`
}

type gCreateSource struct {
	Kind        string         `parser:"@( 'SOURCE' | 'TABLE' )"`
	IfNotExists bool           `parser:"@( 'IF' 'NOT' 'EXISTS' )?"`
	Name        *gIdent        `parser:"@@"`
	Entries     []*gTableEntry `parser:"'(' @@ ( ',' @@ )* ')'"`
	With        *gWith         `parser:"@@"`
}

type gCreateView struct {
	IfNotExists bool        `parser:"'VIEW' @( 'IF' 'NOT' 'EXISTS' )?"`
	Name        *gIdent     `parser:"@@"`
	Query       *gQueryExpr `parser:"'AS' @@"`
}

type gCreateSink struct {
	IfNotExists bool          `parser:"'SINK' @( 'IF' 'NOT' 'EXISTS' )?"`
	Name        *gIdent       `parser:"@@"`
	Columns     []*gColumnDef `parser:"( '(' @@ ( ',' @@ )* ')' )?"`
	With        *gWith        `parser:"@@"`
	Query       *gQueryExpr   `parser:"( 'AS' @@ )?"`
}

type gWith struct {
	Options []*gOption `parser:"'WITH' '(' ( @@ ( ',' @@ )* )? ')'"`
}

// gTableEntry is one entry of a CREATE SOURCE column list.
type gTableEntry struct {
	Watermark  *gWatermark  `parser:"@@"`
	PrimaryKey *gPrimaryKey `parser:"| @@"`
	Column     *gColumnDef  `parser:"| @@"`
}

type gWatermark struct {
	Pos    lexer.Position
	Column *gIdent `parser:"'WATERMARK' 'FOR' @@"`
	Expr   *gExpr  `parser:"'AS' @@"`
}

// gPrimaryKey is parsed and dropped: Weir does not enforce keys, and Flink
// only accepts them NOT ENFORCED.
type gPrimaryKey struct {
	Columns []*gIdent `parser:"'PRIMARY' 'KEY' '(' @@ ( ',' @@ )* ')' ( 'NOT' 'ENFORCED' )?"`
}

// gColumnDef is a declared column (`name TYPE ...`) or, in a CREATE SOURCE,
// a computed one (`name AS expr`); convert rejects computed sink columns.
type gColumnDef struct {
	Pos        lexer.Position
	Name       *gIdent    `parser:"@@"`
	Computed   *gExpr     `parser:"( 'AS' @@"`
	Type       *gType     `parser:"| @@"`
	NotNull    bool       `parser:"( @( 'NOT' 'NULL' ) | 'NULL' )?"`
	PrimaryKey bool       `parser:"@( 'PRIMARY' 'KEY' ( 'NOT' 'ENFORCED' )? )?"`
	Metadata   *gMetadata `parser:"@@? )"`
}

type gMetadata struct {
	Pos     lexer.Position
	Key     *gString `parser:"'METADATA' ( 'FROM' @@ )?"`
	Virtual bool     `parser:"@'VIRTUAL'?"`
}

type gString struct {
	Pos   lexer.Position
	Value string `parser:"@String"`
}

type gOption struct {
	Pos   lexer.Position
	Key   *gOptionKey `parser:"@@ '='"`
	Value *gValue     `parser:"@@"`
}

// gOptionKey is 'key' or a bare key such as scan.startup.mode or
// json.fail-on-missing-field (words joined by dots and dashes).
type gOptionKey struct {
	Quoted string   `parser:"@String"`
	Words  []string `parser:"| @( Ident | Keyword ) ( @( '.' | '-' ) @( Ident | Keyword ) )*"`
}

// gValue is the value of a WITH option or SET: a string, a number, a
// boolean, or (SET only, checked in convert) a bare word.
type gValue struct {
	Pos    lexer.Position
	String string   `parser:"@String"`
	Number string   `parser:"| @( '-'? Number )"`
	Words  []string `parser:"| @( Ident | Keyword ) ( @( '.' | '-' ) @( Ident | Keyword ) )*"`
}

type gInsert struct {
	Pos    lexer.Position
	Target *gIdent     `parser:"'INSERT' 'INTO' @@"`
	Query  *gQueryExpr `parser:"@@"`
}

type gDrop struct {
	Pos      lexer.Position
	Kind     string  `parser:"'DROP' @( 'SOURCE' | 'TABLE' | 'VIEW' | 'SINK' )"`
	IfExists bool    `parser:"@( 'IF' 'EXISTS' )?"`
	Name     *gIdent `parser:"@@"`
}

type gShow struct {
	Pos  lexer.Position
	Kind string `parser:"'SHOW' @( 'SOURCES' | 'TABLES' | 'VIEWS' | 'SINKS' | 'FUNCTIONS' )"`
}

type gDescribe struct {
	Pos  lexer.Position
	Name *gIdent `parser:"( 'DESCRIBE' | 'DESC' ) @@"`
}

type gExplain struct {
	Pos    lexer.Position
	Insert *gInsert    `parser:"'EXPLAIN' ( 'PLAN' 'FOR' )? ( @@"`
	Create *gCreate    `parser:"| @@"`
	Query  *gQueryExpr `parser:"| @@ )"`
}

type gSet struct {
	Pos   lexer.Position
	Key   *gOptionKey `parser:"'SET' @@ '='"`
	Value *gValue     `parser:"@@"`
}

// ---------------------------------------------------------------------------
// Queries

// gQueryExpr is a query, possibly in parentheses, where a statement or a FROM
// item expects one.
type gQueryExpr struct {
	Pos   lexer.Position
	Paren *gQueryExpr `parser:"'(' @@ ')'"`
	Query *gQuery     `parser:"| @@"`
}

type gQuery struct {
	Pos     lexer.Position
	Select  *gSelect      `parser:"@@"`
	OrderBy []*gOrderItem `parser:"( 'ORDER' 'BY' @@ ( ',' @@ )* )?"`
	Limit   *gExpr        `parser:"( 'LIMIT' @@ )?"`
}

type gSelect struct {
	Pos      lexer.Position
	Distinct bool           `parser:"'SELECT' ( @'DISTINCT' | 'ALL' )?"`
	Items    []*gSelectItem `parser:"@@ ( ',' @@ )*"`
	From     *gFrom         `parser:"( 'FROM' @@ )?"`
	Where    *gExpr         `parser:"( 'WHERE' @@ )?"`
	GroupBy  []*gExpr       `parser:"( 'GROUP' 'BY' @@ ( ',' @@ )* )?"`
	Having   *gExpr         `parser:"( 'HAVING' @@ )?"`
}

type gSelectItem struct {
	Pos       lexer.Position
	Star      bool    `parser:"@'*'"`
	StarTable *gIdent `parser:"| @@ '.' '*'"`
	Expr      *gExpr  `parser:"| @@"`
	Alias     *gIdent `parser:"( 'AS'? @@ )?"`
}

type gOrderItem struct {
	Pos   lexer.Position
	Expr  *gExpr `parser:"@@"`
	Dir   string `parser:"@( 'ASC' | 'DESC' )?"`
	Nulls string `parser:"( 'NULLS' @( 'FIRST' | 'LAST' ) )?"`
}

type gFrom struct {
	First *gTablePrimary `parser:"@@"`
	Joins []*gJoin       `parser:"@@*"`
}

type gJoin struct {
	Pos   lexer.Position
	Comma *gTablePrimary `parser:"',' @@"`
	Cross *gTablePrimary `parser:"| 'CROSS' 'JOIN' @@"`
	Kind  string         `parser:"| ( @'INNER' | @( 'LEFT' | 'RIGHT' | 'FULL' ) 'OUTER'? )?"`
	Right *gTablePrimary `parser:"'JOIN' @@"`
	On    *gExpr         `parser:"'ON' @@"`
}

type gTablePrimary struct {
	Pos      lexer.Position
	Window   *gWindowTable `parser:"(   @@"`
	Subquery *gQueryExpr   `parser:"| '(' @@ ')'"`
	Name     *gIdent       `parser:"| @@ )"`
	System1  *gSystemTime  `parser:"@@?"`
	Alias    *gIdent       `parser:"( 'AS'? @@ )?"`
	System2  *gSystemTime  `parser:"@@?"`
}

type gSystemTime struct {
	Pos  lexer.Position
	Expr *gExpr `parser:"'FOR' 'SYSTEM_TIME' 'AS' 'OF' @@"`
}

type gWindowTable struct {
	Pos  lexer.Position
	Func string        `parser:"'TABLE' '(' @( 'TUMBLE' | 'HOP' | 'CUMULATE' | 'SESSION' ) '('"`
	Args []*gWindowArg `parser:"@@ ( ',' @@ )* ')' ')'"`
}

// gWindowArg is an argument of a windowing table function, positional or
// named (DATA => TABLE t, TIMECOL => DESCRIPTOR(ts), SIZE => INTERVAL ...).
type gWindowArg struct {
	Pos        lexer.Position
	Name       *gIdent `parser:"( @@ '=>' )?"`
	Table      *gIdent `parser:"(   'TABLE' @@"`
	Descriptor *gIdent `parser:"| 'DESCRIPTOR' '(' @@ ')'"`
	Expr       *gExpr  `parser:"| @@ )"`
}

// ---------------------------------------------------------------------------
// Expressions, lowest precedence first.

// gExpr is a chain of OR and AND; convert applies their precedence.
type gExpr struct {
	Pos   lexer.Position
	Left  *gNot       `parser:"@@"`
	Right []*gLogicOp `parser:"@@*"`
}

type gLogicOp struct {
	Op    string `parser:"@( 'OR' | 'AND' )"`
	Right *gNot  `parser:"@@"`
}

type gNot struct {
	Pos  lexer.Position
	Nots []*gNotOp `parser:"@@*"`
	X    *gCompare `parser:"@@"`
}

// gNotOp is one prefix NOT, kept with its position.
type gNotOp struct {
	Pos lexer.Position
	Op  string `parser:"@'NOT'"`
}

type gCompare struct {
	Pos   lexer.Position
	Left  *gArith         `parser:"@@"`
	Tails []*gCompareTail `parser:"@@*"`
}

type gCompareTail struct {
	Op      string    `parser:"@( '=' | '<>' | '!=' | '<=' | '>=' | '<' | '>' )"`
	Right   *gArith   `parser:"@@"`
	Is      *gIsTail  `parser:"| 'IS' @@"`
	Not     bool      `parser:"| @'NOT'?"`
	In      *gInList  `parser:"( 'IN' @@"`
	Between *gBetween `parser:"| 'BETWEEN' @@"`
	Like    *gLike    `parser:"| 'LIKE' @@ )"`
}

type gIsTail struct {
	Not   bool   `parser:"@'NOT'?"`
	Value string `parser:"@( 'NULL' | 'TRUE' | 'FALSE' )"`
}

type gInList struct {
	Pos   lexer.Position
	Query *gQuery  `parser:"'(' ( @@"`
	List  []*gExpr `parser:"| @@ ( ',' @@ )* ) ')'"`
}

// gBetween's bounds stop before AND: they are arithmetic, not boolean.
type gBetween struct {
	Lo *gArith `parser:"@@"`
	Hi *gArith `parser:"'AND' @@"`
}

type gLike struct {
	Pattern *gArith `parser:"@@"`
	Escape  *gArith `parser:"( 'ESCAPE' @@ )?"`
}

// gArith is a chain of || + - * / %; convert applies their precedence. One
// flat level instead of one struct per precedence level makes the parser
// allocate and try much less per operand.
type gArith struct {
	Left  *gUnary     `parser:"@@"`
	Right []*gArithOp `parser:"@@*"`
}

type gArithOp struct {
	Op    string  `parser:"@( '||' | '+' | '-' | '*' | '/' | '%' )"`
	Right *gUnary `parser:"@@"`
}

type gUnary struct {
	Pos   lexer.Position
	Signs []*gSign  `parser:"@@*"`
	X     *gPrimary `parser:"@@"`
}

type gSign struct {
	Pos lexer.Position
	Op  string `parser:"@( '-' | '+' )"`
}

type gPrimary struct {
	Pos      lexer.Position
	Paren    *gParen     `parser:"'(' @@ ')'"`
	Case     *gCase      `parser:"| @@"`
	Cast     *gCast      `parser:"| @@"`
	Extract  *gExtract   `parser:"| @@"`
	Interval *gInterval  `parser:"| @@"`
	Typed    *gTypedLit  `parser:"| @@"`
	Niladic  string      `parser:"| @( 'CURRENT_TIMESTAMP' | 'CURRENT_DATE' | 'CURRENT_TIME' | 'LOCALTIMESTAMP' | 'LOCALTIME' )"`
	Func     *gFuncCall  `parser:"| @@"`
	Number   string      `parser:"| @Number"`
	String   string      `parser:"| @String"`
	Null     bool        `parser:"| @'NULL'"`
	Bool     string      `parser:"| @( 'TRUE' | 'FALSE' )"`
	Column   *gColumnRef `parser:"| @@"`
}

type gParen struct {
	Query *gQuery `parser:"@@"`
	Expr  *gExpr  `parser:"| @@"`
}

type gCase struct {
	Operand *gExpr   `parser:"'CASE' @@?"`
	Whens   []*gWhen `parser:"@@+"`
	Else    *gExpr   `parser:"( 'ELSE' @@ )? 'END'"`
}

type gWhen struct {
	Pos    lexer.Position
	Cond   *gExpr `parser:"'WHEN' @@"`
	Result *gExpr `parser:"'THEN' @@"`
}

type gCast struct {
	Kind string `parser:"@( 'CAST' | 'TRY_CAST' ) '('"`
	X    *gExpr `parser:"@@ 'AS'"`
	Type *gType `parser:"@@ ')'"`
}

type gExtract struct {
	Unit string `parser:"'EXTRACT' '(' @Ident 'FROM'"`
	X    *gExpr `parser:"@@ ')'"`
}

type gInterval struct {
	Value string `parser:"'INTERVAL' @( String | Number )"`
	Unit  string `parser:"( @( 'MILLISECOND' | 'MILLISECONDS' | 'SECOND' | 'SECONDS' | 'MINUTE' | 'MINUTES' | 'HOUR' | 'HOURS' | 'DAY' | 'DAYS' | 'WEEK' | 'WEEKS' | 'MONTH' | 'MONTHS' | 'QUARTER' | 'QUARTERS' | 'YEAR' | 'YEARS' ) ( '(' Number ')' )? )?"`
}

type gTypedLit struct {
	Type  string `parser:"@( 'TIMESTAMP' | 'DATE' )"`
	Value string `parser:"@String"`
}

type gFuncCall struct {
	Pos    lexer.Position
	Name   string       `parser:"@( Ident | 'LEFT' | 'RIGHT' ) '('"`
	Args   *gFuncArgs   `parser:"@@? ')'"`
	Filter *gExpr       `parser:"( 'FILTER' '(' 'WHERE' @@ ')' )?"`
	Over   *gWindowSpec `parser:"( 'OVER' @@ )?"`
}

// gFuncArgs covers ordinary argument lists and the special forms that
// convert normalizes: SUBSTRING(x FROM a FOR b), TRIM(LEADING c FROM x) and
// POSITION(a IN b).
type gFuncArgs struct {
	Pos      lexer.Position
	Star     bool      `parser:"@'*'"`
	TrimSpec string    `parser:"| @( 'BOTH' | 'LEADING' | 'TRAILING' )"`
	TrimChar *gExpr    `parser:"@@? 'FROM'"`
	TrimFrom *gExpr    `parser:"@@"`
	Quant    string    `parser:"| @( 'DISTINCT' | 'ALL' )?"`
	First    *gExpr    `parser:"@@"`
	From     *gFromArg `parser:"( @@"`
	In       *gInArg   `parser:"| @@"`
	Rest     []*gExpr  `parser:"| ( ',' @@ )+ )?"`
}

// gFromArg is `FROM a [FOR b]` of SUBSTRING and TRIM.
type gFromArg struct {
	Pos lexer.Position
	X   *gExpr `parser:"'FROM' @@"`
	For *gExpr `parser:"( 'FOR' @@ )?"`
}

// gInArg is `IN b` of POSITION(a IN b).
type gInArg struct {
	Pos lexer.Position
	X   *gExpr `parser:"'IN' @@"`
}

type gWindowSpec struct {
	Pos         lexer.Position
	PartitionBy []*gExpr      `parser:"'(' ( 'PARTITION' 'BY' @@ ( ',' @@ )* )?"`
	OrderBy     []*gOrderItem `parser:"( 'ORDER' 'BY' @@ ( ',' @@ )* )?"`
	Frame       *gFrame       `parser:"@@? ')'"`
}

// gFrame is the frame of a window: ROWS|RANGE BETWEEN start AND end, or
// the short form ROWS|RANGE start.
type gFrame struct {
	Pos   lexer.Position
	Unit  string       `parser:"@( 'ROWS' | 'RANGE' )"`
	Start *gFrameBound `parser:"( 'BETWEEN' @@"`
	End   *gFrameBound `parser:"  'AND' @@"`
	Only  *gFrameBound `parser:"| @@ )"`
}

// gFrameBound is UNBOUNDED PRECEDING|FOLLOWING, CURRENT ROW, or an offset
// (a number or an interval) PRECEDING|FOLLOWING.
type gFrameBound struct {
	Pos       lexer.Position
	Unbounded string  `parser:"  'UNBOUNDED' @( 'PRECEDING' | 'FOLLOWING' )"`
	Current   bool    `parser:"| @( 'CURRENT' 'ROW' )"`
	Offset    *gArith `parser:"| @@"`
	Dir       string  `parser:"  @( 'PRECEDING' | 'FOLLOWING' )"`
}

type gColumnRef struct {
	Pos   lexer.Position
	Parts []*gIdent `parser:"@@ ( '.' @@ )?"`
}

// gIdent is a name: a plain word that is not reserved, "quoted" or
// `backquoted`.
type gIdent struct {
	Pos    lexer.Position
	Plain  string `parser:"@Ident"`
	Quoted string `parser:"| @( QIdent | BIdent )"`
}

// gType is a SQL type as written. The multi-word and parameterized
// spellings get their own alternatives so that an error after a type lists
// only what can follow it.
type gType struct {
	Pos       lexer.Position
	Timestamp *gTimestampType `parser:"@@"`
	Interval  *gIntervalType  `parser:"| @@"`
	Double    *gDoubleType    `parser:"| @@"`
	Char      *gCharType      `parser:"| @@"`
	Name      string          `parser:"| @Ident"`
	Params    []string        `parser:"( '(' @Number ( ',' @Number )? ')' )?"`
}

type gTimestampType struct {
	Name      string `parser:"@'TIMESTAMP'"`
	Precision string `parser:"( '(' @Number ')' )?"`
	Zone      string `parser:"( @( 'WITH' 'LOCAL' | 'WITHOUT' ) 'TIME' 'ZONE' )?"`
}

type gIntervalType struct {
	Units []string `parser:"'INTERVAL' ( @( 'YEAR' | 'MONTH' | 'DAY' | 'HOUR' | 'MINUTE' | 'SECOND' ) ( '(' Number ')' )? ( 'TO' @( 'YEAR' | 'MONTH' | 'DAY' | 'HOUR' | 'MINUTE' | 'SECOND' ) ( '(' Number ')' )? )? )?"`
}

type gDoubleType struct {
	Precision bool `parser:"'DOUBLE' @'PRECISION'?"`
}

type gCharType struct {
	Varying bool     `parser:"'CHARACTER' @'VARYING'?"`
	Params  []string `parser:"( '(' @Number ')' )?"`
}

// lookahead is how many tokens an alternative may consume before failing and
// still let the next alternative be tried (`t.*` against `t.c` needs 2).
const lookahead = 3

var (
	stmtParser = participle.MustBuild[gStatement](
		participle.Lexer(sqlLexer),
		participle.CaseInsensitive("Ident", "Keyword"),
		participle.UseLookahead(lookahead),
	)
	exprParser = mustProduction[gExpr](stmtParser)
)

func mustProduction[P any](p *participle.Parser[gStatement]) *participle.Parser[P] {
	pp, err := participle.ParserForProduction[P](p)
	if err != nil {
		panic(err)
	}
	return pp
}
