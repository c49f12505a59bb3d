package vtl

import (
	"context"
	"errors"
	"io"
	"time"
)

// Limits bound one execution. Zero fields take the defaults.
type Limits struct {
	// MaxOutputBytes bounds the rendered output, and every string built
	// while rendering (default 10 MiB, API Gateway's payload limit).
	MaxOutputBytes int
	// MaxLoopIterations bounds the iterations of one #foreach (default
	// 1000, as API Gateway).
	MaxLoopIterations int
	// MaxTotalIterations bounds the iterations of all loops of one
	// execution together (default 100000).
	MaxTotalIterations int
	// MaxDepth bounds how deeply blocks (#if, #foreach, string
	// interpolation) nest while executing (default 64).
	MaxDepth int
	// Timeout bounds one execution in addition to the context's deadline
	// (default 1s).
	Timeout time.Duration
}

// DefaultLimits returns the limits used for zero fields.
func DefaultLimits() Limits {
	return Limits{
		MaxOutputBytes:     10 << 20,
		MaxLoopIterations:  1000,
		MaxTotalIterations: 100_000,
		MaxDepth:           64,
		Timeout:            time.Second,
	}
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	if l.MaxOutputBytes <= 0 {
		l.MaxOutputBytes = d.MaxOutputBytes
	}
	if l.MaxLoopIterations <= 0 {
		l.MaxLoopIterations = d.MaxLoopIterations
	}
	if l.MaxTotalIterations <= 0 {
		l.MaxTotalIterations = d.MaxTotalIterations
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = d.MaxDepth
	}
	if l.Timeout <= 0 {
		l.Timeout = d.Timeout
	}
	return l
}

// Errors returned by Execute when a bound is hit (wrapped in *Error when
// the position is known).
var (
	ErrOutputLimit = errors.New("vtl: output limit exceeded")
	ErrLoopLimit   = errors.New("vtl: loop iteration limit exceeded")
	ErrDepthLimit  = errors.New("vtl: nesting depth limit exceeded")
	ErrTimeout     = errors.New("vtl: execution deadline exceeded")
)

// Template is a compiled template. It is immutable and safe for concurrent
// use by many goroutines.
type Template struct {
	src   string
	nodes []node
}

// Compile parses a template. Syntax errors are *Error values carrying the
// line and column.
func Compile(src string) (t *Template, err error) {
	if len(src) > MaxTemplateSize {
		return nil, &Error{Line: 1, Col: 1, Msg: "template larger than 1 MiB"}
	}
	p := &parser{src: src, end: len(src)}
	defer func() {
		if r := recover(); r != nil {
			pe, ok := r.(*parseError)
			if !ok {
				panic(r)
			}
			line, col := position(src, pe.off)
			t, err = nil, &Error{Line: line, Col: col, Msg: pe.msg}
		}
	}()
	nodes, tm := p.parseNodes()
	switch tm.kind {
	case termEnd:
		p.fail(tm.pos, "#end without a matching #if or #foreach")
	case termElse, termElseIf:
		p.fail(tm.pos, "#else or #elseif without #if")
	}
	return &Template{src: src, nodes: nodes}, nil
}

// MustCompile is Compile that panics on error, for templates in code.
func MustCompile(src string) *Template {
	t, err := Compile(src)
	if err != nil {
		panic(err)
	}
	return t
}

// Source returns the template text.
func (t *Template) Source() string { return t.src }

// Execute renders the template with vars (nil means no variables) and
// writes the output to w. Nothing is written when an error occurs. The
// returned Overrides hold what the template set under
// $context.requestOverride and $context.responseOverride.
func (t *Template) Execute(ctx context.Context, w io.Writer, vars *Vars) (*Overrides, error) {
	out, ov, err := t.run(ctx, vars)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(out); err != nil {
		return nil, err
	}
	return ov, nil
}

// Render is Execute returning the output as a string.
func (t *Template) Render(ctx context.Context, vars *Vars) (string, *Overrides, error) {
	out, ov, err := t.run(ctx, vars)
	if err != nil {
		return "", nil, err
	}
	return string(out), ov, nil
}

func (t *Template) run(ctx context.Context, vars *Vars) ([]byte, *Overrides, error) {
	if vars == nil {
		vars = &Vars{}
	}
	if ctx == nil {
		ctx = context.Background()
	}
	lim := vars.Limits.withDefaults()
	e := &executor{
		ctx:      ctx,
		src:      t.src,
		lim:      lim,
		deadline: time.Now().Add(lim.Timeout),
		vars:     make(map[string]any, 8),
	}
	ctxMap := vars.bind(e)
	out := &outBuf{max: lim.MaxOutputBytes}
	err := e.render(t.nodes, out)
	switch {
	case err == errBreak || err == errStop:
		err = nil
	case err != nil:
		return nil, nil, err
	}
	return out.b, readOverrides(ctxMap), nil
}

// outBuf is a bounded output buffer.
type outBuf struct {
	b   []byte
	max int
}

func (o *outBuf) WriteString(s string) error {
	if len(o.b)+len(s) > o.max {
		return ErrOutputLimit
	}
	o.b = append(o.b, s...)
	return nil
}

func (o *outBuf) String() string { return string(o.b) }
