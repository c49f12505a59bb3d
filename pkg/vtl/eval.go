package vtl

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
)

// Control flow signals, never returned to callers.
var (
	errBreak = errors.New("vtl: #break")
	errStop  = errors.New("vtl: #stop")
)

type executor struct {
	ctx      context.Context
	src      string
	lim      Limits
	deadline time.Time
	vars     map[string]any
	loop     *loopState
	depth    int
	total    int // loop iterations so far
	alloc    int // bytes of strings built so far
}

// isLimit reports whether err is a bound being hit, which always ends the
// execution.
func isLimit(err error) bool {
	return errors.Is(err, ErrOutputLimit) || errors.Is(err, ErrLoopLimit) ||
		errors.Is(err, ErrDepthLimit) || errors.Is(err, ErrTimeout)
}

// allocFactor times MaxOutputBytes bounds the bytes of all strings one
// execution may build (interpolations, concatenations, replacements), so
// a loop cannot pile up copies of a large string.
const allocFactor = 16

// charge accounts for a string of n bytes built by the template.
func (e *executor) charge(n int) error {
	e.alloc += n
	if n > e.lim.MaxOutputBytes || e.alloc > allocFactor*e.lim.MaxOutputBytes {
		return ErrOutputLimit
	}
	return nil
}

// errorAt wraps err with the position of a node.
func (e *executor) errorAt(off int, err error) error {
	var pe *Error
	if errors.As(err, &pe) || err == errBreak || err == errStop {
		return err
	}
	line, col := position(e.src, off)
	return &Error{Line: line, Col: col, Msg: strings.TrimPrefix(err.Error(), "vtl: "), err: err}
}

func (e *executor) checkTime() error {
	if err := e.ctx.Err(); err != nil {
		return fmt.Errorf("%w: %v", ErrTimeout, err)
	}
	if time.Now().After(e.deadline) {
		return ErrTimeout
	}
	return nil
}

func (e *executor) render(nodes []node, out *outBuf) error {
	e.depth++
	defer func() { e.depth-- }()
	if e.depth > e.lim.MaxDepth {
		return ErrDepthLimit
	}
	for _, n := range nodes {
		if err := e.renderNode(n, out); err != nil {
			return err
		}
	}
	return nil
}

func (e *executor) renderNode(n node, out *outBuf) error {
	switch n := n.(type) {
	case *textNode:
		return out.WriteString(n.text)
	case *escNode:
		return out.WriteString(n.text)
	case *refNode:
		return e.renderRef(n, out)
	case *setNode:
		return e.execSet(n)
	case *ifNode:
		for i, c := range n.conds {
			v, err := e.eval(c)
			if err != nil {
				return err
			}
			if truthy(v) {
				return e.render(n.blocks[i], out)
			}
		}
		if n.orElse != nil {
			return e.render(n.orElse, out)
		}
		return nil
	case *foreachNode:
		return e.execForeach(n, out)
	case *breakNode:
		return errBreak
	case *stopNode:
		return errStop
	}
	return fmt.Errorf("vtl: unknown node %T", n)
}

// awsRoots are the variables API Gateway provides; a null reference rooted
// at one of them renders as empty text, as API Gateway does.
var awsRoots = map[string]bool{"input": true, "util": true, "context": true, "stageVariables": true}

func (e *executor) renderRef(n *refNode, out *outBuf) error {
	v, err := e.evalRef(n.ref)
	if err != nil {
		return err
	}
	if n.escapes > 0 {
		// \$x prints "$x" when $x is defined, "\$x" when it is not.
		if v == nil {
			return out.WriteString(strings.Repeat(`\`, n.escapes) + n.raw)
		}
		if err := out.WriteString(strings.Repeat(`\`, n.escapes/2)); err != nil {
			return err
		}
		if n.escapes%2 == 1 {
			return out.WriteString(n.raw)
		}
	}
	if v == nil {
		if n.quiet {
			return nil
		}
		if _, ok := e.vars[n.ref.name]; ok && awsRoots[n.ref.name] {
			return nil
		}
		return out.WriteString(n.raw)
	}
	if s, ok := v.(string); ok {
		return out.WriteString(s)
	}
	return out.WriteString(toString(v))
}

func (e *executor) execSet(n *setNode) error {
	v, err := e.eval(n.value)
	if err != nil {
		return err
	}
	if v == nil {
		// Velocity 1.7: a null right-hand side leaves the target unchanged.
		return nil
	}
	ref := n.target
	if len(ref.parts) == 0 {
		e.vars[ref.name] = v
		return nil
	}
	obj, ok := e.vars[ref.name]
	if !ok {
		return nil
	}
	last := len(ref.parts) - 1
	for _, part := range ref.parts[:last] {
		obj, err = e.applyPart(obj, part)
		if err != nil {
			return err
		}
		if obj == nil {
			return nil
		}
	}
	part := ref.parts[last]
	switch part.kind {
	case propPart:
		if m, ok := obj.(*Map); ok {
			m.Set(part.name, v)
		}
	case indexPart:
		idx, err := e.eval(part.index)
		if err != nil {
			return err
		}
		switch c := obj.(type) {
		case *Map:
			c.Set(toString(idx), v)
		case *List:
			if i, ok := toInt(idx); ok && i >= 0 && i < len(c.Items) {
				c.Items[i] = v
			} else {
				return e.errorAt(n.pos, fmt.Errorf("index %v out of range", idx))
			}
		}
	}
	return nil
}

// loopState is $foreach.
type loopState struct {
	index   int
	hasNext bool
	parent  *loopState
}

func (l *loopState) get(name string) (any, bool) {
	switch name {
	case "index":
		return int64(l.index), true
	case "count":
		return int64(l.index + 1), true
	case "hasNext":
		return l.hasNext, true
	case "first":
		return l.index == 0, true
	case "last":
		return !l.hasNext, true
	case "parent":
		if l.parent == nil {
			return nil, true
		}
		return l.parent, true
	}
	return nil, false
}

func (e *executor) execForeach(n *foreachNode, out *outBuf) error {
	coll, err := e.eval(n.iter)
	if err != nil {
		return err
	}
	var items []any
	switch c := coll.(type) {
	case *List:
		items = c.Items
	case *Map:
		// Velocity iterates a map's values.
		items = make([]any, len(c.keys))
		for i := range c.keys {
			items[i] = c.vals[i]
		}
	case nil:
		return nil
	default:
		return nil
	}
	if len(items) == 0 {
		return nil
	}
	saved, hadSaved := e.vars[n.varName]
	savedCount, hadCount := e.vars["velocityCount"]
	state := &loopState{parent: e.loop}
	e.loop = state
	defer func() {
		e.loop = state.parent
		if hadSaved {
			e.vars[n.varName] = saved
		} else {
			delete(e.vars, n.varName)
		}
		if hadCount {
			e.vars["velocityCount"] = savedCount
		} else {
			delete(e.vars, "velocityCount")
		}
	}()
	for i, it := range items {
		if i >= e.lim.MaxLoopIterations {
			return e.errorAt(n.pos, fmt.Errorf("%w (%d)", ErrLoopLimit, e.lim.MaxLoopIterations))
		}
		e.total++
		if e.total > e.lim.MaxTotalIterations {
			return e.errorAt(n.pos, fmt.Errorf("%w (%d in total)", ErrLoopLimit, e.lim.MaxTotalIterations))
		}
		if e.total%64 == 0 {
			if err := e.checkTime(); err != nil {
				return e.errorAt(n.pos, err)
			}
		}
		state.index = i
		state.hasNext = i+1 < len(items)
		if it == nil {
			delete(e.vars, n.varName)
		} else {
			e.vars[n.varName] = it
		}
		e.vars["velocityCount"] = int64(i + 1)
		err := e.render(n.body, out)
		if err == errBreak {
			return nil
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// eval evaluates an expression.
func (e *executor) eval(x expr) (any, error) {
	switch x := x.(type) {
	case *literal:
		return x.v, nil
	case *refExpr:
		return e.evalRef(x)
	case *interpString:
		buf := &outBuf{max: e.lim.MaxOutputBytes}
		err := e.render(x.nodes, buf)
		switch {
		case err == nil || err == errBreak || err == errStop:
		case isLimit(err):
			return nil, err
		default:
			// Velocity logs a failure inside a string literal and uses
			// the literal's text instead.
			return x.raw, nil
		}
		if err := e.charge(len(buf.b)); err != nil {
			return nil, err
		}
		return buf.String(), nil
	case *listExpr:
		l := &List{Items: make([]any, 0, len(x.items))}
		for _, it := range x.items {
			v, err := e.eval(it)
			if err != nil {
				return nil, err
			}
			l.Items = append(l.Items, v)
		}
		return l, nil
	case *mapExpr:
		m := NewMap()
		for i := range x.keys {
			k, err := e.eval(x.keys[i])
			if err != nil {
				return nil, err
			}
			v, err := e.eval(x.vals[i])
			if err != nil {
				return nil, err
			}
			m.Set(toString(k), v)
		}
		return m, nil
	case *rangeExpr:
		return e.evalRange(x)
	case *notExpr:
		v, err := e.eval(x.x)
		if err != nil {
			return nil, err
		}
		return !truthy(v), nil
	case *negExpr:
		v, err := e.eval(x.x)
		if err != nil {
			return nil, err
		}
		switch n := v.(type) {
		case int64:
			return -n, nil
		case float64:
			return -n, nil
		}
		return nil, nil
	case *binExpr:
		return e.evalBin(x)
	}
	return nil, fmt.Errorf("vtl: unknown expression %T", x)
}

func (e *executor) evalRange(x *rangeExpr) (any, error) {
	a, err := e.eval(x.from)
	if err != nil {
		return nil, err
	}
	b, err := e.eval(x.to)
	if err != nil {
		return nil, err
	}
	from, ok1 := toInt(a)
	to, ok2 := toInt(b)
	if !ok1 || !ok2 {
		return nil, nil
	}
	n := to - from
	if n < 0 {
		n = -n
	}
	if n >= e.lim.MaxTotalIterations {
		return nil, fmt.Errorf("%w: range of %d elements", ErrLoopLimit, n+1)
	}
	l := &List{Items: make([]any, 0, n+1)}
	step := 1
	if to < from {
		step = -1
	}
	for i := from; ; i += step {
		l.Items = append(l.Items, int64(i))
		if i == to {
			break
		}
	}
	return l, nil
}

func (e *executor) evalBin(x *binExpr) (any, error) {
	l, err := e.eval(x.l)
	if err != nil {
		return nil, err
	}
	switch x.op {
	case "&&":
		if !truthy(l) {
			return false, nil
		}
		r, err := e.eval(x.r)
		return truthy(r), err
	case "||":
		if truthy(l) {
			return true, nil
		}
		r, err := e.eval(x.r)
		return truthy(r), err
	}
	r, err := e.eval(x.r)
	if err != nil {
		return nil, err
	}
	switch x.op {
	case "==":
		return valuesEqual(l, r), nil
	case "!=":
		return !valuesEqual(l, r), nil
	case "<", ">", "<=", ">=":
		c, ok := compareNumbers(l, r)
		if !ok {
			return false, nil
		}
		switch x.op {
		case "<":
			return c < 0, nil
		case ">":
			return c > 0, nil
		case "<=":
			return c <= 0, nil
		}
		return c >= 0, nil
	case "+":
		if l == nil || r == nil {
			return nil, nil
		}
		if isNumber(l) && isNumber(r) {
			return arith('+', l, r), nil
		}
		_, ls := l.(string)
		_, rs := r.(string)
		if ls || rs {
			a, b := toString(l), toString(r)
			if err := e.charge(len(a) + len(b)); err != nil {
				return nil, err
			}
			return a + b, nil
		}
		return nil, nil
	case "-", "*", "/", "%":
		if !isNumber(l) || !isNumber(r) {
			return nil, nil
		}
		return arith(x.op[0], l, r), nil
	}
	return nil, fmt.Errorf("vtl: unknown operator %s", x.op)
}

// arith does Java arithmetic: integer operations on two integers (falling
// back to floating point on overflow), double otherwise. Division or
// modulo by zero gives null, as Velocity does.
func arith(op byte, l, r any) any {
	a, aok := l.(int64)
	b, bok := r.(int64)
	if aok && bok {
		switch op {
		case '+':
			s := a + b
			if (s > a) == (b > 0) {
				return s
			}
		case '-':
			d := a - b
			if (d < a) == (b > 0) {
				return d
			}
		case '*':
			if a == 0 || b == 0 {
				return int64(0)
			}
			p := a * b
			if p/b == a && !(a == -1 && b == math.MinInt64) && !(b == -1 && a == math.MinInt64) {
				return p
			}
		case '/':
			if b == 0 {
				return nil
			}
			if a == math.MinInt64 && b == -1 {
				return float64(a) / float64(b)
			}
			return a / b
		case '%':
			if b == 0 {
				return nil
			}
			if b == -1 {
				return int64(0)
			}
			return a % b
		}
	}
	x, y := toFloat(l), toFloat(r)
	switch op {
	case '+':
		return x + y
	case '-':
		return x - y
	case '*':
		return x * y
	case '/':
		if y == 0 {
			return nil
		}
		return x / y
	case '%':
		if y == 0 {
			return nil
		}
		return math.Mod(x, y)
	}
	return nil
}

// evalRef resolves a reference; an undefined variable or a null step
// yields nil.
func (e *executor) evalRef(ref *refExpr) (any, error) {
	var v any
	if ref.name == "foreach" && e.loop != nil {
		if _, set := e.vars["foreach"]; !set {
			v = e.loop
		}
	}
	if v == nil {
		v = e.vars[ref.name]
	}
	for _, part := range ref.parts {
		if v == nil {
			return nil, nil
		}
		var err error
		v, err = e.applyPart(v, part)
		if err != nil {
			return nil, e.errorAt(ref.pos, err)
		}
	}
	return v, nil
}

func (e *executor) applyPart(v any, part refPart) (any, error) {
	switch part.kind {
	case propPart:
		return getProperty(v, part.name), nil
	case indexPart:
		idx, err := e.eval(part.index)
		if err != nil {
			return nil, err
		}
		return getIndex(v, idx), nil
	}
	args := make([]any, len(part.args))
	for i, a := range part.args {
		x, err := e.eval(a)
		if err != nil {
			return nil, err
		}
		args[i] = x
	}
	return e.call(v, part.name, args)
}

func getIndex(v, idx any) any {
	switch c := v.(type) {
	case *Map:
		x, _ := c.Get(toString(idx))
		return x
	case *List:
		i, ok := toInt(idx)
		if !ok {
			return nil
		}
		if i < 0 {
			i += len(c.Items)
		}
		if i < 0 || i >= len(c.Items) {
			return nil
		}
		return c.Items[i]
	}
	return nil
}
