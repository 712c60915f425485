package parser

import "github.com/weirsql/weir/diag"

// Pos is a position in the SQL source; see diag.Pos.
type Pos = diag.Pos

// Node is any AST node. Every node records where it starts.
type Node interface {
	Position() Pos
}

// Statement is one top-level SQL statement.
type Statement interface {
	Node
	stmtNode()
}

// Expr is a scalar expression.
type Expr interface {
	Node
	exprNode()
}

// TableExpr is an item of a FROM clause.
type TableExpr interface {
	Node
	tableNode()
}

// Ident is an identifier. Unquoted identifiers keep their spelling; names are
// compared case-insensitively unless Quoted.
type Ident struct {
	Pos    Pos
	Name   string
	Quoted bool
}

// ---------------------------------------------------------------------------
// Statements

// CreateSource is CREATE SOURCE or its Flink synonym CREATE TABLE:
//
//	CREATE SOURCE [IF NOT EXISTS] name (col TYPE, ..., WATERMARK FOR col AS expr) WITH (...)
type CreateSource struct {
	Pos         Pos
	Table       bool // spelled CREATE TABLE
	IfNotExists bool
	Name        Ident
	Columns     []*ColumnDef
	Watermark   *WatermarkDef // nil when none is declared
	With        []*Option
}

// ColumnDef is one column of a CREATE SOURCE/TABLE/SINK: a physical column
// (`name TYPE`), a metadata column (`name TYPE METADATA ...`) or, in a
// CREATE SOURCE/TABLE, a computed column (`name AS expr`, Flink syntax),
// which has Computed set and no Type.
type ColumnDef struct {
	Pos  Pos
	Name Ident
	Type *TypeName // nil for a computed column
	// Computed is the expression of `name AS expr`; nil for other columns.
	Computed Expr
	NotNull  bool
	// Metadata is set for `col TYPE METADATA [FROM 'key'] [VIRTUAL]`; Key is
	// empty when FROM is omitted (the column name is the key).
	Metadata *MetadataDef
}

// MetadataDef marks a column read from connector metadata (Kafka timestamp,
// partition, offset, headers).
type MetadataDef struct {
	Pos     Pos
	Key     string
	Virtual bool
}

// WatermarkDef is `WATERMARK FOR col AS expr`.
type WatermarkDef struct {
	Pos    Pos
	Column Ident
	Expr   Expr
}

// Option is one `key = value` of a WITH clause. Key is the unquoted text of a
// quoted ('topic') or bare (topic, scan.startup.mode) key; Value is the text
// of a string, number or boolean literal.
type Option struct {
	Pos      Pos
	Key      string
	Value    string
	ValuePos Pos
}

// CreateView is `CREATE VIEW [IF NOT EXISTS] name AS query`.
type CreateView struct {
	Pos         Pos
	IfNotExists bool
	Name        Ident
	Query       *Query
}

// CreateSink is `CREATE SINK [IF NOT EXISTS] name [(cols)] WITH (...) [AS query]`.
// Without AS it declares a target for later INSERT INTO.
type CreateSink struct {
	Pos         Pos
	IfNotExists bool
	Name        Ident
	Columns     []*ColumnDef
	With        []*Option
	Query       *Query // nil when there is no AS
}

// Insert is `INSERT INTO name query`.
type Insert struct {
	Pos    Pos
	Target Ident
	Query  *Query
}

// Drop is `DROP SOURCE|TABLE|VIEW|SINK [IF EXISTS] name`.
type Drop struct {
	Pos      Pos
	Kind     string // "SOURCE", "TABLE", "VIEW" or "SINK"
	IfExists bool
	Name     Ident
}

// Show is `SHOW SOURCES|TABLES|VIEWS|SINKS|FUNCTIONS`.
type Show struct {
	Pos  Pos
	Kind string // "SOURCES", "TABLES", "VIEWS", "SINKS" or "FUNCTIONS"
}

// Describe is `DESCRIBE name` (also `DESC name`).
type Describe struct {
	Pos  Pos
	Name Ident
}

// Explain is `EXPLAIN statement`, where the statement is a query, an INSERT
// or a CREATE SINK ... AS.
type Explain struct {
	Pos  Pos
	Stmt Statement
}

// Set is `SET key = value` (key quoted or bare, value a literal).
type Set struct {
	Pos   Pos
	Key   string
	Value string
}

// QueryStmt is a bare query used as a statement.
type QueryStmt struct {
	Pos   Pos
	Query *Query
}

// ---------------------------------------------------------------------------
// Queries

// Query is a SELECT with its optional ORDER BY and LIMIT.
type Query struct {
	Pos     Pos
	Select  *Select
	OrderBy []*OrderItem
	Limit   Expr // nil when absent
}

// Select is one SELECT block.
type Select struct {
	Pos      Pos
	Distinct bool
	Items    []*SelectItem
	From     TableExpr // nil for SELECT without FROM
	Where    Expr      // nil when absent
	GroupBy  []Expr
	Having   Expr // nil when absent
}

// SelectItem is `*`, `t.*` or `expr [AS alias]`.
type SelectItem struct {
	Pos       Pos
	Star      bool   // `*` or `t.*`
	StarTable *Ident // t in `t.*`; nil for a bare `*`
	Expr      Expr   // nil when Star
	Alias     *Ident // nil when absent
}

// OrderItem is `expr [ASC|DESC] [NULLS FIRST|LAST]`.
type OrderItem struct {
	Pos        Pos
	Expr       Expr
	Desc       bool
	NullsFirst *bool // nil when unspecified
}

// TableName is a named source or view in FROM, with an optional alias and
// `FOR SYSTEM_TIME AS OF expr` (temporal join).
type TableName struct {
	Pos           Pos
	Name          Ident
	Alias         *Ident
	ForSystemTime Expr
}

// SubqueryTable is `(query) [AS] alias` in FROM.
type SubqueryTable struct {
	Pos   Pos
	Query *Query
	Alias *Ident
}

// JoinKind says which rows of a join survive.
type JoinKind int

// Join kinds.
const (
	InnerJoin JoinKind = iota
	LeftJoin
	RightJoin
	FullJoin
	CrossJoin // also FROM a, b
)

func (k JoinKind) String() string {
	return [...]string{"INNER", "LEFT", "RIGHT", "FULL", "CROSS"}[k]
}

// JoinTable is `left [kind] JOIN right ON cond` (On nil for CROSS).
type JoinTable struct {
	Pos   Pos
	Kind  JoinKind
	Left  TableExpr
	Right TableExpr
	On    Expr
}

// WindowTable is the Flink windowing table function:
//
//	TABLE(TUMBLE(TABLE t, DESCRIPTOR(ts), size))
//	TABLE(HOP(TABLE t, DESCRIPTOR(ts), slide, size))
//	TABLE(CUMULATE(TABLE t, DESCRIPTOR(ts), step, size))
//	TABLE(SESSION(TABLE t, DESCRIPTOR(ts), gap))
type WindowTable struct {
	Pos     Pos
	Func    string // upper case: "TUMBLE", "HOP", "CUMULATE", "SESSION"
	Table   Ident
	TimeCol Ident
	Args    []Expr // the interval arguments after DESCRIPTOR(...)
	Alias   *Ident
}

// ---------------------------------------------------------------------------
// Expressions

// ColumnRef is `col` or `t.col`.
type ColumnRef struct {
	Pos    Pos
	Table  *Ident // nil when unqualified
	Column Ident
}

// LitKind is the kind of a Literal.
type LitKind int

// Literal kinds.
const (
	LitNull LitKind = iota
	LitBool
	LitInt
	LitFloat // has a '.' or an exponent
	LitString
)

// Literal is NULL, TRUE/FALSE, an integer, a float or a 'string'. Value is the
// source text with quotes removed and ” unescaped; for LitBool it is "TRUE"
// or "FALSE".
type Literal struct {
	Pos   Pos
	Kind  LitKind
	Value string
}

// IntervalLit is `INTERVAL '10' SECOND` (Value "10", Unit "SECOND") or
// `INTERVAL '1 minute'` (Value "1 minute", Unit ""). Unit is upper case and
// singular (SECOND, MINUTE, HOUR, DAY, MONTH, YEAR, MILLISECOND).
// A leading sign may appear inside the string.
type IntervalLit struct {
	Pos   Pos
	Value string
	Unit  string
}

// TypedLit is `TIMESTAMP '2024-01-01 00:00:00'` or `DATE '2024-01-01'`.
type TypedLit struct {
	Pos   Pos
	Type  string // upper case: "TIMESTAMP" or "DATE"
	Value string
}

// Binary is a binary operator. Op is one of
// + - * / % || = <> < <= > >= AND OR  (`!=` is normalized to `<>`).
type Binary struct {
	Pos   Pos // position of the left operand's start
	Op    string
	Left  Expr
	Right Expr
}

// Unary is `-x`, `+x` or `NOT x`.
type Unary struct {
	Pos Pos
	Op  string // "-", "+" or "NOT"
	X   Expr
}

// IsNull is `x IS [NOT] NULL`.
type IsNull struct {
	Pos Pos
	X   Expr
	Not bool
}

// IsBool is `x IS [NOT] TRUE|FALSE`.
type IsBool struct {
	Pos   Pos
	X     Expr
	Not   bool
	Value bool
}

// In is `x [NOT] IN (a, b, ...)`.
type In struct {
	Pos  Pos
	X    Expr
	List []Expr
	Not  bool
}

// Between is `x [NOT] BETWEEN lo AND hi`.
type Between struct {
	Pos Pos
	X   Expr
	Lo  Expr
	Hi  Expr
	Not bool
}

// Like is `x [NOT] LIKE pattern [ESCAPE 'c']`.
type Like struct {
	Pos     Pos
	X       Expr
	Pattern Expr
	Escape  Expr // nil when absent
	Not     bool
}

// Case is searched (`CASE WHEN c THEN r ... END`, Operand nil) or simple
// (`CASE x WHEN v THEN r ... END`).
type Case struct {
	Pos     Pos
	Operand Expr
	Whens   []*When
	Else    Expr // nil when absent
}

// When is one `WHEN cond THEN result` arm.
type When struct {
	Pos    Pos
	Cond   Expr
	Result Expr
}

// Cast is `CAST(x AS type)` (also `TRY_CAST`, Try set).
type Cast struct {
	Pos  Pos
	X    Expr
	Type *TypeName
	Try  bool
}

// Extract is `EXTRACT(unit FROM x)`; Unit is upper case (YEAR, MONTH, DAY,
// HOUR, MINUTE, SECOND, MILLISECOND, DOW, DOY, EPOCH, ...).
type Extract struct {
	Pos  Pos
	Unit string
	X    Expr
}

// FuncCall is `name([DISTINCT] args) [FILTER (WHERE cond)] [OVER (...)]`.
// Name is upper case. `COUNT(*)` has Star set and no Args. Special syntax is
// normalized into calls: `SUBSTRING(x FROM a FOR b)` → SUBSTRING(x, a, b);
// `TRIM([BOTH|LEADING|TRAILING] [c] FROM x)` → TRIM/LTRIM/RTRIM(x[, c]);
// `POSITION(a IN b)` → POSITION(a, b); niladic `CURRENT_TIMESTAMP`,
// `CURRENT_DATE`, `LOCALTIMESTAMP` → calls with no arguments.
type FuncCall struct {
	Pos      Pos
	Name     string
	Args     []Expr
	Star     bool
	Distinct bool
	Filter   Expr        // nil when absent
	Over     *WindowSpec // nil when absent
}

// WindowSpec is `OVER (PARTITION BY ... ORDER BY ... [frame])`.
type WindowSpec struct {
	Pos         Pos
	PartitionBy []Expr
	OrderBy     []*OrderItem
	Frame       *WindowFrame // nil when absent
}

// WindowFrame is `ROWS|RANGE BETWEEN start AND end`, or the short form
// `ROWS|RANGE start` (End nil), which means BETWEEN start AND CURRENT ROW.
type WindowFrame struct {
	Pos   Pos
	Unit  string // "ROWS" or "RANGE"
	Start *FrameBound
	End   *FrameBound // nil in the short form
}

// FrameBound is one end of a WindowFrame.
type FrameBound struct {
	Pos Pos
	// Kind is "UNBOUNDED PRECEDING", "PRECEDING", "CURRENT ROW",
	// "FOLLOWING" or "UNBOUNDED FOLLOWING".
	Kind string
	// Offset is n of `n PRECEDING` and `n FOLLOWING` (a number or an
	// interval); nil for the other kinds.
	Offset Expr
}

// TypeName is a SQL type as written: Name upper case with synonyms kept
// (INT, INTEGER, BIGINT, DOUBLE, DOUBLE PRECISION, VARCHAR, STRING,
// TIMESTAMP, TIMESTAMP_LTZ, ...); Params holds (p, s) of DECIMAL(p,s),
// the length of VARCHAR(n) and the precision of TIMESTAMP(3).
type TypeName struct {
	Pos    Pos
	Name   string
	Params []int
}

// Subquery is a parenthesized query used as an expression (`x IN (SELECT
// ...)`, scalar subquery). Parsed so the planner can reject it clearly.
type Subquery struct {
	Pos   Pos
	Query *Query
}

// Position implementations.

func (n *Ident) Position() Pos         { return n.Pos }
func (n *CreateSource) Position() Pos  { return n.Pos }
func (n *ColumnDef) Position() Pos     { return n.Pos }
func (n *WatermarkDef) Position() Pos  { return n.Pos }
func (n *Option) Position() Pos        { return n.Pos }
func (n *CreateView) Position() Pos    { return n.Pos }
func (n *CreateSink) Position() Pos    { return n.Pos }
func (n *Insert) Position() Pos        { return n.Pos }
func (n *Drop) Position() Pos          { return n.Pos }
func (n *Show) Position() Pos          { return n.Pos }
func (n *Describe) Position() Pos      { return n.Pos }
func (n *Explain) Position() Pos       { return n.Pos }
func (n *Set) Position() Pos           { return n.Pos }
func (n *QueryStmt) Position() Pos     { return n.Pos }
func (n *Query) Position() Pos         { return n.Pos }
func (n *Select) Position() Pos        { return n.Pos }
func (n *SelectItem) Position() Pos    { return n.Pos }
func (n *OrderItem) Position() Pos     { return n.Pos }
func (n *TableName) Position() Pos     { return n.Pos }
func (n *SubqueryTable) Position() Pos { return n.Pos }
func (n *JoinTable) Position() Pos     { return n.Pos }
func (n *WindowTable) Position() Pos   { return n.Pos }
func (n *ColumnRef) Position() Pos     { return n.Pos }
func (n *Literal) Position() Pos       { return n.Pos }
func (n *IntervalLit) Position() Pos   { return n.Pos }
func (n *TypedLit) Position() Pos      { return n.Pos }
func (n *Binary) Position() Pos        { return n.Pos }
func (n *Unary) Position() Pos         { return n.Pos }
func (n *IsNull) Position() Pos        { return n.Pos }
func (n *IsBool) Position() Pos        { return n.Pos }
func (n *In) Position() Pos            { return n.Pos }
func (n *Between) Position() Pos       { return n.Pos }
func (n *Like) Position() Pos          { return n.Pos }
func (n *Case) Position() Pos          { return n.Pos }
func (n *When) Position() Pos          { return n.Pos }
func (n *Cast) Position() Pos          { return n.Pos }
func (n *Extract) Position() Pos       { return n.Pos }
func (n *FuncCall) Position() Pos      { return n.Pos }
func (n *WindowSpec) Position() Pos    { return n.Pos }
func (n *WindowFrame) Position() Pos   { return n.Pos }
func (n *FrameBound) Position() Pos    { return n.Pos }
func (n *TypeName) Position() Pos      { return n.Pos }
func (n *Subquery) Position() Pos      { return n.Pos }

func (*CreateSource) stmtNode() {}
func (*CreateView) stmtNode()   {}
func (*CreateSink) stmtNode()   {}
func (*Insert) stmtNode()       {}
func (*Drop) stmtNode()         {}
func (*Show) stmtNode()         {}
func (*Describe) stmtNode()     {}
func (*Explain) stmtNode()      {}
func (*Set) stmtNode()          {}
func (*QueryStmt) stmtNode()    {}

func (*ColumnRef) exprNode()   {}
func (*Literal) exprNode()     {}
func (*IntervalLit) exprNode() {}
func (*TypedLit) exprNode()    {}
func (*Binary) exprNode()      {}
func (*Unary) exprNode()       {}
func (*IsNull) exprNode()      {}
func (*IsBool) exprNode()      {}
func (*In) exprNode()          {}
func (*Between) exprNode()     {}
func (*Like) exprNode()        {}
func (*Case) exprNode()        {}
func (*Cast) exprNode()        {}
func (*Extract) exprNode()     {}
func (*FuncCall) exprNode()    {}
func (*Subquery) exprNode()    {}

func (*TableName) tableNode()     {}
func (*SubqueryTable) tableNode() {}
func (*JoinTable) tableNode()     {}
func (*WindowTable) tableNode()   {}
