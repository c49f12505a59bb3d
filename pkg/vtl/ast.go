package vtl

// Template syntax tree. Nodes are immutable after Compile, so one tree is
// shared by concurrent executions.

type node interface{}

// textNode is literal output.
type textNode struct{ text string }

// refNode prints a reference.
type refNode struct {
	ref     *refExpr
	quiet   bool   // $!ref
	raw     string // source text, printed when the value is null
	escapes int    // backslashes written before the '$'
}

// escNode is an escaped directive such as \#if: the text is printed as is.
type escNode struct{ text string }

type setNode struct {
	pos    int
	target *refExpr
	value  expr
}

type ifNode struct {
	conds  []expr
	blocks [][]node
	orElse []node // nil when there is no #else
}

type foreachNode struct {
	pos     int
	varName string
	iter    expr
	body    []node
}

type breakNode struct{}

type stopNode struct{}

// Expressions.

type expr interface{}

type literal struct{ v any }

// interpString is a double-quoted string containing references or
// directives; it is rendered on every evaluation.
type interpString struct {
	nodes []node
	raw   string // the literal's text, used when rendering it fails
}

type listExpr struct{ items []expr }

type mapExpr struct{ keys, vals []expr }

type rangeExpr struct{ from, to expr }

type binExpr struct {
	op   string // canonical: + - * / % == != < > <= >= && ||
	l, r expr
}

type notExpr struct{ x expr }

type negExpr struct{ x expr }

type partKind uint8

const (
	propPart partKind = iota
	methodPart
	indexPart
)

type refPart struct {
	kind  partKind
	name  string // property or method name
	args  []expr // method arguments
	index expr   // index expression
}

// refExpr is $name followed by properties, method calls and indexes.
type refExpr struct {
	pos   int
	name  string
	parts []refPart
}
