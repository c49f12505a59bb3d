package vtl

import (
	"fmt"
	"strconv"
	"strings"
)

// MaxTemplateSize bounds the source accepted by Compile.
const MaxTemplateSize = 1 << 20

// maxNesting bounds block and expression nesting at compile time.
const maxNesting = 128

// Error is a template error with the position where it was detected.
type Error struct {
	Line, Col int // 1-based; Col counts characters
	Msg       string
	err       error // cause, for errors.Is (ErrLoopLimit, ...)
}

// Unwrap returns the cause of a runtime error, if any.
func (e *Error) Unwrap() error { return e.err }

func (e *Error) Error() string { return fmt.Sprintf("vtl: %d:%d: %s", e.Line, e.Col, e.Msg) }

// position converts a byte offset into a 1-based line and column.
func position(src string, off int) (line, col int) {
	if off > len(src) {
		off = len(src)
	}
	line = 1 + strings.Count(src[:off], "\n")
	start := strings.LastIndexByte(src[:off], '\n') + 1
	col = 1 + len([]rune(src[start:off]))
	return line, col
}

type parser struct {
	src   string
	pos   int
	end   int // parsing stops here (the closing quote of a string literal)
	depth int
	inStr bool // parsing the inside of a double-quoted string literal
}

// parseError is raised (panic) inside the parser and recovered by Compile.
type parseError struct {
	off int
	msg string
}

func (p *parser) fail(off int, format string, args ...any) {
	panic(&parseError{off: off, msg: fmt.Sprintf(format, args...)})
}

func (p *parser) enter(off int) {
	p.depth++
	if p.depth > maxNesting {
		p.fail(off, "nesting deeper than %d", maxNesting)
	}
}

func (p *parser) leave() { p.depth-- }

// terminator kinds returned by parseNodes.
const (
	termEOF = iota
	termEnd
	termElse
	termElseIf
)

type term struct {
	kind int
	pos  int
	cond expr // for #elseif
}

var directives = map[string]bool{
	"set": true, "if": true, "elseif": true, "else": true, "end": true,
	"foreach": true, "break": true, "stop": true,
	"macro": true, "parse": true, "include": true, "evaluate": true, "define": true,
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isDigit(c byte) bool  { return c >= '0' && c <= '9' }
func isIdentStart(c byte) bool {
	return isLetter(c) || c == '_'
}
func isIdentChar(c byte) bool { return isLetter(c) || isDigit(c) || c == '_' || c == '-' }

func (p *parser) peek(off int) byte {
	if off < p.end {
		return p.src[off]
	}
	return 0
}

// parseNodes parses template text until EOF or a block terminator.
func (p *parser) parseNodes() ([]node, term) {
	var nodes []node
	var text strings.Builder
	flush := func() {
		if text.Len() > 0 {
			s := text.String()
			if p.inStr {
				s = strings.ReplaceAll(s, `""`, `"`)
			}
			nodes = append(nodes, &textNode{text: s})
			text.Reset()
		}
	}
	for p.pos < p.end {
		c := p.src[p.pos]
		switch c {
		case '\\':
			n := 0
			for p.pos+n < p.end && p.src[p.pos+n] == '\\' {
				n++
			}
			j := p.pos + n
			switch p.peek(j) {
			case '$':
				save := p.pos
				p.pos = j
				if rn, ok := p.tryRefNode(); ok {
					flush()
					rn.escapes = n
					nodes = append(nodes, rn)
					continue
				}
				p.pos = save
			case '#':
				if _, after, ok := p.directiveName(j); ok {
					flush()
					text.WriteString(strings.Repeat(`\`, n/2))
					if n%2 == 1 {
						nodes = append(nodes, &escNode{text: p.src[j:after]})
						p.pos = after
						continue
					}
					p.pos = j
					continue // the directive is handled on the next turn
				}
			}
			text.WriteString(p.src[p.pos:j])
			p.pos = j
		case '$':
			if rn, ok := p.tryRefNode(); ok {
				flush()
				nodes = append(nodes, rn)
				continue
			}
			text.WriteByte(c)
			p.pos++
		case '#':
			switch p.peek(p.pos + 1) {
			case '#':
				i := strings.IndexByte(p.src[p.pos:p.end], '\n')
				if i < 0 {
					p.pos = p.end
				} else {
					p.pos += i + 1
				}
				continue
			case '*':
				i := strings.Index(p.src[p.pos+2:p.end], "*#")
				if i < 0 {
					p.fail(p.pos, "unclosed #* comment")
				}
				p.pos += 2 + i + 2
				continue
			case '[':
				if p.peek(p.pos+2) == '[' {
					i := strings.Index(p.src[p.pos+3:p.end], "]]#")
					if i < 0 {
						p.fail(p.pos, "unclosed #[[ literal block")
					}
					text.WriteString(p.src[p.pos+3 : p.pos+3+i])
					p.pos += 3 + i + 3
					continue
				}
			}
			name, after, ok := p.directiveName(p.pos)
			if !ok {
				text.WriteByte(c)
				p.pos++
				continue
			}
			start := p.pos
			switch name {
			case "end", "else":
				flush()
				p.pos = after
				p.gobbleNewline()
				if name == "end" {
					return nodes, term{kind: termEnd, pos: start}
				}
				return nodes, term{kind: termElse, pos: start}
			case "elseif":
				flush()
				p.pos = after
				cond := p.directiveArg(start, name)
				return nodes, term{kind: termElseIf, pos: start, cond: cond}
			case "set":
				// Velocity 1.7 eats the blanks before #set.
				s := strings.TrimRight(text.String(), " \t")
				text.Reset()
				text.WriteString(s)
				flush()
				p.pos = after
				nodes = append(nodes, p.parseSet(start))
			case "if":
				flush()
				p.pos = after
				nodes = append(nodes, p.parseIf(start))
			case "foreach":
				flush()
				p.pos = after
				nodes = append(nodes, p.parseForeach(start))
			case "break":
				flush()
				p.pos = after
				nodes = append(nodes, &breakNode{})
			case "stop":
				flush()
				p.pos = after
				nodes = append(nodes, &stopNode{})
			default:
				p.fail(start, "unsupported directive #%s", name)
			}
		default:
			// Copy the run of plain characters in one go.
			i := p.pos + 1
			for i < p.end {
				b := p.src[i]
				if b == '\\' || b == '$' || b == '#' {
					break
				}
				i++
			}
			text.WriteString(p.src[p.pos:i])
			p.pos = i
		}
	}
	flush()
	return nodes, term{kind: termEOF, pos: p.pos}
}

// directiveName recognises #name or #{name} at off for a known directive.
func (p *parser) directiveName(off int) (name string, after int, ok bool) {
	i := off + 1
	braced := p.peek(i) == '{'
	if braced {
		i++
	}
	// The whole word counts (Velocity's WORD token): #end1 is not #end.
	j := i
	for j < p.end && (isLetter(p.src[j]) || isDigit(p.src[j]) || p.src[j] == '_' || p.src[j] == '@') {
		j++
	}
	name = p.src[i:j]
	if !directives[name] {
		return "", 0, false
	}
	if braced {
		if p.peek(j) != '}' {
			return "", 0, false
		}
		j++
	}
	return name, j, true
}

// gobbleNewline eats blanks and one newline after a directive, as
// Velocity 1.7 does; if something else follows nothing is eaten.
func (p *parser) gobbleNewline() {
	i := p.pos
	for i < p.end && (p.src[i] == ' ' || p.src[i] == '\t') {
		i++
	}
	switch {
	case i < p.end && p.src[i] == '\n':
		p.pos = i + 1
	case i < p.end && p.src[i] == '\r':
		p.pos = i + 1
		if p.peek(p.pos) == '\n' {
			p.pos++
		}
	}
}

// openParen skips blanks after a directive name and consumes '('.
func (p *parser) openParen(start int, name string) {
	p.skipSpace()
	if p.peek(p.pos) != '(' {
		p.fail(start, "#%s needs (...)", name)
	}
	p.pos++
}

// closeParen consumes ')' and the newline after it.
func (p *parser) closeParen(start int, name string) {
	p.skipSpace()
	if p.peek(p.pos) != ')' {
		p.fail(p.pos, "expected ) to close #%s", name)
	}
	p.pos++
	p.gobbleNewline()
}

func (p *parser) directiveArg(start int, name string) expr {
	p.openParen(start, name)
	e := p.parseExpr()
	p.closeParen(start, name)
	return e
}

func (p *parser) parseSet(start int) node {
	p.openParen(start, "set")
	p.skipSpace()
	if p.peek(p.pos) != '$' {
		p.fail(p.pos, "#set needs a reference on the left")
	}
	ref, _, ok := p.parseRef()
	if !ok {
		p.fail(p.pos, "#set needs a reference on the left")
	}
	p.skipSpace()
	if p.peek(p.pos) != '=' {
		p.fail(p.pos, "expected = in #set")
	}
	p.pos++
	v := p.parseExpr()
	p.closeParen(start, "set")
	if n := len(ref.parts); n > 0 && ref.parts[n-1].kind == methodPart {
		p.fail(start, "cannot assign to a method call")
	}
	return &setNode{pos: start, target: ref, value: v}
}

func (p *parser) parseIf(start int) node {
	p.enter(start)
	defer p.leave()
	n := &ifNode{}
	cond := p.directiveArg(start, "if")
	for {
		body, t := p.parseNodes()
		n.conds = append(n.conds, cond)
		n.blocks = append(n.blocks, body)
		switch t.kind {
		case termEOF:
			p.fail(start, "#if without #end")
		case termEnd:
			return n
		case termElseIf:
			cond = t.cond
		case termElse:
			body, t2 := p.parseNodes()
			switch t2.kind {
			case termEnd:
				if body == nil {
					body = []node{}
				}
				n.orElse = body
				return n
			case termEOF:
				p.fail(start, "#if without #end")
			default:
				p.fail(t2.pos, "#else or #elseif after #else")
			}
		}
	}
}

func (p *parser) parseForeach(start int) node {
	p.enter(start)
	defer p.leave()
	p.openParen(start, "foreach")
	p.skipSpace()
	ref, _, ok := p.parseRef()
	if !ok || len(ref.parts) > 0 {
		p.fail(p.pos, "#foreach needs a simple $variable")
	}
	p.skipSpace()
	if !p.word("in") {
		p.fail(p.pos, "expected 'in' in #foreach")
	}
	iter := p.parseExpr()
	p.closeParen(start, "foreach")
	body, t := p.parseNodes()
	switch t.kind {
	case termEOF:
		p.fail(start, "#foreach without #end")
	case termElse, termElseIf:
		p.fail(t.pos, "#else without #if")
	}
	return &foreachNode{pos: start, varName: ref.name, iter: iter, body: body}
}

// tryRefNode parses a reference at p.pos in text mode. On failure p.pos is
// unchanged.
func (p *parser) tryRefNode() (*refNode, bool) {
	start := p.pos
	ref, quiet, ok := p.parseRef()
	if !ok {
		p.pos = start
		return nil, false
	}
	return &refNode{ref: ref, quiet: quiet, raw: p.src[start:p.pos]}, true
}

// parseRef parses $name, $!name, ${name}, $!{name} with its tail.
func (p *parser) parseRef() (ref *refExpr, quiet, ok bool) {
	start := p.pos
	i := p.pos + 1
	if p.peek(i) == '!' {
		quiet = true
		i++
	}
	braced := p.peek(i) == '{'
	if braced {
		i++
	}
	if !isIdentStart(p.peek(i)) {
		return nil, false, false
	}
	j := i
	for j < p.end && isIdentChar(p.src[j]) {
		j++
	}
	ref = &refExpr{pos: start, name: p.src[i:j]}
	p.pos = j
	p.parseTail(ref)
	if braced {
		if p.peek(p.pos) != '}' {
			p.pos = start
			return nil, false, false
		}
		p.pos++
	}
	return ref, quiet, true
}

// parseTail parses .prop, .method(args) and [index] parts; a part that
// does not parse is left as text.
func (p *parser) parseTail(ref *refExpr) {
	for {
		save := p.pos
		switch p.peek(p.pos) {
		case '.':
			i := p.pos + 1
			if !isIdentStart(p.peek(i)) {
				return
			}
			j := i
			for j < p.end && isIdentChar(p.src[j]) {
				j++
			}
			name := p.src[i:j]
			p.pos = j
			if p.peek(j) == '(' {
				p.pos++
				args, ok := p.tryArgs()
				if !ok {
					p.pos = save
					return
				}
				ref.parts = append(ref.parts, refPart{kind: methodPart, name: name, args: args})
			} else {
				ref.parts = append(ref.parts, refPart{kind: propPart, name: name})
			}
		case '[':
			p.pos++
			e, ok := p.tryExpr()
			if !ok {
				p.pos = save
				return
			}
			p.skipSpace()
			if p.peek(p.pos) != ']' {
				p.pos = save
				return
			}
			p.pos++
			ref.parts = append(ref.parts, refPart{kind: indexPart, index: e})
		default:
			return
		}
	}
}

// tryArgs parses "a, b)" after the '('. A syntax error inside the arguments
// is a real error once at least the first token looks like an expression;
// otherwise the reference ends before the '.'.
func (p *parser) tryArgs() (args []expr, ok bool) {
	p.skipSpace()
	if p.peek(p.pos) == ')' {
		p.pos++
		return nil, true
	}
	for {
		e, ok := p.tryExpr()
		if !ok {
			return nil, false
		}
		args = append(args, e)
		p.skipSpace()
		switch p.peek(p.pos) {
		case ',':
			p.pos++
		case ')':
			p.pos++
			return args, true
		default:
			return nil, false
		}
	}
}

// tryExpr parses an expression, returning ok=false instead of failing when
// the text is not an expression (text mode backtracks then).
func (p *parser) tryExpr() (e expr, ok bool) {
	save := p.pos
	depth := p.depth
	defer func() {
		if r := recover(); r != nil {
			pe, isPE := r.(*parseError)
			if !isPE {
				panic(r)
			}
			if strings.HasPrefix(pe.msg, "nesting deeper") || strings.HasPrefix(pe.msg, "unclosed") {
				panic(r)
			}
			p.pos = save
			p.depth = depth
			e, ok = nil, false
		}
	}()
	return p.parseExpr(), true
}

func (p *parser) skipSpace() {
	for p.pos < p.end {
		switch p.src[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

// word consumes a keyword (and, or, in, ...) if it is next and not the
// start of a longer identifier.
func (p *parser) word(w string) bool {
	if !strings.HasPrefix(p.src[p.pos:p.end], w) {
		return false
	}
	if i := p.pos + len(w); i < p.end && isIdentChar(p.src[i]) {
		return false
	}
	p.pos += len(w)
	return true
}

// Expression grammar, lowest precedence first.

func (p *parser) parseExpr() expr {
	p.enter(p.pos)
	defer p.leave()
	return p.parseOr()
}

func (p *parser) parseOr() expr {
	l := p.parseAnd()
	for {
		p.skipSpace()
		if p.lit("||") || p.word("or") {
			l = &binExpr{op: "||", l: l, r: p.parseAnd()}
			continue
		}
		return l
	}
}

func (p *parser) parseAnd() expr {
	l := p.parseEq()
	for {
		p.skipSpace()
		if p.lit("&&") || p.word("and") {
			l = &binExpr{op: "&&", l: l, r: p.parseEq()}
			continue
		}
		return l
	}
}

func (p *parser) parseEq() expr {
	l := p.parseRel()
	for {
		p.skipSpace()
		switch {
		case p.lit("==") || p.word("eq"):
			l = &binExpr{op: "==", l: l, r: p.parseRel()}
		case p.lit("!=") || p.word("ne"):
			l = &binExpr{op: "!=", l: l, r: p.parseRel()}
		default:
			return l
		}
	}
}

func (p *parser) parseRel() expr {
	l := p.parseAdd()
	for {
		p.skipSpace()
		var op string
		switch {
		case p.lit("<=") || p.word("le"):
			op = "<="
		case p.lit(">=") || p.word("ge"):
			op = ">="
		case p.lit("<") || p.word("lt"):
			op = "<"
		case p.lit(">") || p.word("gt"):
			op = ">"
		default:
			return l
		}
		l = &binExpr{op: op, l: l, r: p.parseAdd()}
	}
}

func (p *parser) parseAdd() expr {
	l := p.parseMul()
	for {
		p.skipSpace()
		c := p.peek(p.pos)
		if c != '+' && c != '-' {
			return l
		}
		p.pos++
		l = &binExpr{op: string(c), l: l, r: p.parseMul()}
	}
}

func (p *parser) parseMul() expr {
	l := p.parseUnary()
	for {
		p.skipSpace()
		c := p.peek(p.pos)
		if c != '*' && c != '/' && c != '%' {
			return l
		}
		p.pos++
		l = &binExpr{op: string(c), l: l, r: p.parseUnary()}
	}
}

func (p *parser) parseUnary() expr {
	p.enter(p.pos)
	defer p.leave()
	p.skipSpace()
	switch {
	case p.peek(p.pos) == '!' && p.peek(p.pos+1) != '=':
		p.pos++
		return &notExpr{x: p.parseUnary()}
	case p.word("not"):
		return &notExpr{x: p.parseUnary()}
	case p.peek(p.pos) == '-' && !isDigit(p.peek(p.pos+1)):
		p.pos++
		return &negExpr{x: p.parseUnary()}
	}
	return p.parsePrimary()
}

func (p *parser) lit(s string) bool {
	if strings.HasPrefix(p.src[p.pos:p.end], s) {
		p.pos += len(s)
		return true
	}
	return false
}

func (p *parser) parsePrimary() expr {
	p.skipSpace()
	start := p.pos
	c := p.peek(p.pos)
	switch {
	case c == '$':
		ref, _, ok := p.parseRef()
		if !ok {
			p.fail(start, "invalid reference")
		}
		return ref
	case c == '"':
		return p.parseString('"')
	case c == '\'':
		return p.parseString('\'')
	case isDigit(c) || c == '-':
		return p.parseNumber()
	case c == '(':
		p.pos++
		e := p.parseExpr()
		p.skipSpace()
		if !p.lit(")") {
			p.fail(p.pos, "expected )")
		}
		return e
	case c == '[':
		return p.parseList()
	case c == '{':
		return p.parseMap()
	case p.word("true"):
		return &literal{v: true}
	case p.word("false"):
		return &literal{v: false}
	case p.word("null"):
		return &literal{v: nil}
	}
	if p.pos >= p.end {
		p.fail(start, "unexpected end of template in expression")
	}
	p.fail(start, "unexpected %q in expression", c)
	return nil
}

func (p *parser) parseNumber() expr {
	start := p.pos
	if p.peek(p.pos) == '-' {
		p.pos++
	}
	for isDigit(p.peek(p.pos)) {
		p.pos++
	}
	float := false
	if p.peek(p.pos) == '.' && isDigit(p.peek(p.pos+1)) {
		float = true
		p.pos++
		for isDigit(p.peek(p.pos)) {
			p.pos++
		}
	}
	if c := p.peek(p.pos); (c == 'e' || c == 'E') && float {
		i := p.pos + 1
		if c := p.peek(i); c == '+' || c == '-' {
			i++
		}
		if isDigit(p.peek(i)) {
			p.pos = i
			for isDigit(p.peek(p.pos)) {
				p.pos++
			}
		}
	}
	s := p.src[start:p.pos]
	if s == "-" {
		p.fail(start, "invalid number")
	}
	if float {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			p.fail(start, "invalid number %q", s)
		}
		return &literal{v: f}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		p.fail(start, "invalid number %q", s)
	}
	return &literal{v: n}
}

// parseString parses a string literal. Backslashes are kept as written
// and do not escape the quote (Velocity does not unescape them); a doubled
// quote stands for one.
func (p *parser) parseString(q byte) expr {
	start := p.pos
	i := p.pos + 1
	for {
		if i >= p.end {
			p.fail(start, "unclosed string literal")
		}
		// A backslash does not escape the quote (Velocity 1.7).
		if p.src[i] == q {
			if p.peek(i+1) == q {
				i += 2
				continue
			}
			break
		}
		i++
	}
	body := p.src[start+1 : i]
	p.pos = i + 1
	if q == '\'' || !strings.ContainsAny(body, "$#") {
		return &literal{v: strings.ReplaceAll(body, string([]byte{q, q}), string(q))}
	}
	sub := &parser{src: p.src, pos: start + 1, end: i, depth: p.depth, inStr: true}
	p.enter(start)
	defer p.leave()
	nodes, t := sub.parseNodes()
	if t.kind != termEOF {
		p.fail(t.pos, "#end or #else without an opening directive in string")
	}
	return &interpString{nodes: nodes, raw: strings.ReplaceAll(body, `""`, `"`)}
}

func (p *parser) parseList() expr {
	start := p.pos
	p.pos++ // [
	p.skipSpace()
	if p.lit("]") {
		return &listExpr{}
	}
	first := p.parseExpr()
	p.skipSpace()
	if p.lit("..") {
		to := p.parseExpr()
		p.skipSpace()
		if !p.lit("]") {
			p.fail(p.pos, "expected ] to close range")
		}
		return &rangeExpr{from: first, to: to}
	}
	l := &listExpr{items: []expr{first}}
	for {
		p.skipSpace()
		switch {
		case p.lit("]"):
			return l
		case p.lit(","):
			l.items = append(l.items, p.parseExpr())
		default:
			if p.pos >= p.end {
				p.fail(start, "unclosed list")
			}
			p.fail(p.pos, "expected , or ] in list")
		}
	}
}

func (p *parser) parseMap() expr {
	start := p.pos
	p.pos++ // {
	m := &mapExpr{}
	p.skipSpace()
	if p.lit("}") {
		return m
	}
	for {
		k := p.parseExpr()
		p.skipSpace()
		if !p.lit(":") {
			p.fail(p.pos, "expected : in map literal")
		}
		v := p.parseExpr()
		m.keys = append(m.keys, k)
		m.vals = append(m.vals, v)
		p.skipSpace()
		switch {
		case p.lit("}"):
			return m
		case p.lit(","):
		default:
			if p.pos >= p.end {
				p.fail(start, "unclosed map literal")
			}
			p.fail(p.pos, "expected , or } in map literal")
		}
	}
}
