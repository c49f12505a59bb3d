package vtl

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// object is a value with its own properties and methods ($input, $util).
type object interface {
	property(name string) any
	method(e *executor, name string, args []any) (any, error)
}

// entry is a Map.Entry from entrySet().
type entry struct {
	key string
	val any
}

func (en *entry) String() string { return en.key + "=" + toString(en.val) }

// getProperty resolves $v.name the way Velocity does: a map lookup for
// maps, otherwise a getter (getName/isName) of the object.
func getProperty(v any, name string) any {
	switch x := v.(type) {
	case *Map:
		r, _ := x.Get(name)
		return r
	case *loopState:
		r, _ := x.get(name)
		return r
	case object:
		return x.property(name)
	case *entry:
		switch name {
		case "key":
			return x.key
		case "value":
			return x.val
		}
	case *List:
		if name == "empty" {
			return len(x.Items) == 0
		}
	case string:
		switch name {
		case "empty":
			return x == ""
		case "bytes":
			return x
		}
	}
	return nil
}

// call invokes $v.name(args). An unknown method yields nil (the reference
// then renders as written); a method that Java would make throw (index out
// of range, bad regex) returns an error.
func (e *executor) call(v any, name string, args []any) (any, error) {
	switch x := v.(type) {
	case string:
		return e.stringMethod(x, name, args)
	case *Map:
		return mapMethod(x, name, args), nil
	case *List:
		return listMethod(x, name, args)
	case *loopState:
		if len(args) == 0 {
			if r, ok := x.get(strings.TrimPrefix(name, "get")); ok {
				return r, nil
			}
			if r, ok := x.get(lowerFirst(strings.TrimPrefix(name, "get"))); ok {
				return r, nil
			}
			if r, ok := x.get(lowerFirst(strings.TrimPrefix(name, "is"))); ok {
				return r, nil
			}
		}
	case object:
		return x.method(e, name, args)
	case *entry:
		switch name {
		case "getKey":
			return x.key, nil
		case "getValue":
			return x.val, nil
		case "toString":
			return x.String(), nil
		}
	case int64, float64, bool:
		switch name {
		case "toString":
			return toString(x), nil
		case "equals":
			if len(args) == 1 {
				return valuesEqual(x, args[0]), nil
			}
		case "intValue", "longValue":
			if len(args) == 0 {
				switch n := x.(type) {
				case int64:
					return n, nil
				case float64:
					return int64(n), nil
				}
			}
		case "doubleValue", "floatValue":
			if len(args) == 0 && isNumber(x) {
				return toFloat(x), nil
			}
		}
	}
	return nil, nil
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}

func argString(args []any, i int) (string, bool) {
	if i >= len(args) || args[i] == nil {
		return "", false
	}
	if s, ok := args[i].(string); ok {
		return s, true
	}
	return toString(args[i]), true
}

// text indexes a string by characters (runes) rather than bytes; for ASCII
// the two agree and no conversion happens.
type text struct {
	s     string
	runes []rune
}

func newText(s string) text {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return text{s: s, runes: []rune(s)}
		}
	}
	return text{s: s}
}

func (t text) len() int {
	if t.runes != nil {
		return len(t.runes)
	}
	return len(t.s)
}

func (t text) slice(i, j int) string {
	if t.runes != nil {
		return string(t.runes[i:j])
	}
	return t.s[i:j]
}

// charIndex converts a byte offset into a character index.
func (t text) charIndex(b int) int {
	if t.runes == nil || b < 0 {
		return b
	}
	return utf8.RuneCountInString(t.s[:b])
}

// byteOffset converts a character index into a byte offset.
func (t text) byteOffset(c int) int {
	if t.runes == nil {
		return c
	}
	return len(string(t.runes[:c]))
}

func (e *executor) stringMethod(s, name string, args []any) (any, error) {
	n := len(args)
	switch name {
	case "length":
		return int64(newText(s).len()), nil
	case "isEmpty":
		return s == "", nil
	case "toString", "trim", "toLowerCase", "toUpperCase":
		switch name {
		case "trim":
			return strings.TrimFunc(s, func(r rune) bool { return r <= ' ' }), nil
		case "toLowerCase":
			return strings.ToLower(s), nil
		case "toUpperCase":
			return strings.ToUpper(s), nil
		}
		return s, nil
	case "equals":
		if n == 1 {
			o, ok := args[0].(string)
			return ok && o == s, nil
		}
	case "equalsIgnoreCase":
		if n == 1 {
			o, ok := args[0].(string)
			return ok && strings.EqualFold(o, s), nil
		}
	case "contains", "startsWith", "endsWith", "concat":
		a, ok := argString(args, 0)
		if !ok || n != 1 {
			return nil, nil
		}
		switch name {
		case "contains":
			return strings.Contains(s, a), nil
		case "startsWith":
			return strings.HasPrefix(s, a), nil
		case "endsWith":
			return strings.HasSuffix(s, a), nil
		}
		if err := e.charge(len(s) + len(a)); err != nil {
			return nil, err
		}
		return s + a, nil
	case "charAt":
		t := newText(s)
		i, ok := intArg(args, 0)
		if !ok || n != 1 {
			return nil, nil
		}
		if i < 0 || i >= t.len() {
			return nil, fmt.Errorf("charAt(%d): index out of range for length %d", i, t.len())
		}
		return t.slice(i, i+1), nil
	case "substring":
		t := newText(s)
		begin, ok := intArg(args, 0)
		if !ok || n < 1 || n > 2 {
			return nil, nil
		}
		end := t.len()
		if n == 2 {
			if end, ok = intArg(args, 1); !ok {
				return nil, nil
			}
		}
		if begin < 0 || end > t.len() || begin > end {
			return nil, fmt.Errorf("substring(%d, %d): out of range for length %d", begin, end, t.len())
		}
		return t.slice(begin, end), nil
	case "indexOf", "lastIndexOf":
		a, ok := argString(args, 0)
		if !ok || n < 1 || n > 2 {
			return nil, nil
		}
		t := newText(s)
		if name == "lastIndexOf" {
			if n == 2 {
				return nil, nil
			}
			return int64(t.charIndex(strings.LastIndex(s, a))), nil
		}
		from := 0
		if n == 2 {
			if from, ok = intArg(args, 1); !ok {
				return nil, nil
			}
		}
		if from < 0 {
			from = 0
		}
		if from > t.len() {
			return int64(-1), nil
		}
		off := t.byteOffset(from)
		i := strings.Index(s[off:], a)
		if i < 0 {
			return int64(-1), nil
		}
		return int64(t.charIndex(off + i)), nil
	case "replace":
		a, ok1 := argString(args, 0)
		b, ok2 := argString(args, 1)
		if !ok1 || !ok2 || n != 2 {
			return nil, nil
		}
		if a == "" {
			return s, nil
		}
		if err := e.charge(len(s) + strings.Count(s, a)*(len(b)-len(a))); err != nil {
			return nil, err
		}
		return strings.ReplaceAll(s, a, b), nil
	case "replaceAll", "replaceFirst":
		pat, ok1 := argString(args, 0)
		repl, ok2 := argString(args, 1)
		if !ok1 || !ok2 || n != 2 {
			return nil, nil
		}
		r, err := replaceRegex(s, pat, repl, name == "replaceFirst", e.lim.MaxOutputBytes)
		if err != nil {
			return nil, err
		}
		if rs, ok := r.(string); ok {
			if err := e.charge(len(rs)); err != nil {
				return nil, err
			}
		}
		return r, nil
	case "matches":
		pat, ok := argString(args, 0)
		if !ok || n != 1 {
			return nil, nil
		}
		re, err := compileJavaRegex(pat, true)
		if err != nil {
			return nil, err
		}
		return re.MatchString(s), nil
	case "split":
		pat, ok := argString(args, 0)
		if !ok || n < 1 || n > 2 {
			return nil, nil
		}
		limit := 0
		if n == 2 {
			if limit, ok = intArg(args, 1); !ok {
				return nil, nil
			}
		}
		return splitJava(s, pat, limit)
	}
	return nil, nil
}

func intArg(args []any, i int) (int, bool) {
	if i >= len(args) {
		return 0, false
	}
	return toInt(args[i])
}

func mapMethod(m *Map, name string, args []any) any {
	n := len(args)
	switch name {
	case "get":
		if n == 1 && args[0] != nil {
			v, _ := m.Get(toString(args[0]))
			return v
		}
	case "put":
		if n == 2 && args[0] != nil {
			k := toString(args[0])
			old, _ := m.Get(k)
			m.Set(k, args[1])
			return old
		}
	case "putAll":
		if o, ok := args0(args).(*Map); ok && n == 1 {
			for i, k := range o.keys {
				m.Set(k, o.vals[i])
			}
			return nil
		}
	case "containsKey":
		if n == 1 && args[0] != nil {
			_, ok := m.Get(toString(args[0]))
			return ok
		}
	case "containsValue":
		if n == 1 {
			for _, k := range m.keys {
				if valuesEqual(m.at(k), args[0]) {
					return true
				}
			}
			return false
		}
	case "remove":
		if n == 1 && args[0] != nil {
			k := toString(args[0])
			old, _ := m.Get(k)
			m.Delete(k)
			return old
		}
	case "keySet":
		l := &List{Items: make([]any, len(m.keys))}
		for i, k := range m.keys {
			l.Items[i] = k
		}
		return l
	case "values":
		l := &List{Items: make([]any, len(m.keys))}
		for i := range m.keys {
			l.Items[i] = m.vals[i]
		}
		return l
	case "entrySet":
		l := &List{Items: make([]any, len(m.keys))}
		for i, k := range m.keys {
			l.Items[i] = &entry{key: k, val: m.vals[i]}
		}
		return l
	case "size":
		return int64(m.Len())
	case "isEmpty":
		return m.Len() == 0
	case "clear":
		m.keys, m.vals, m.idx = nil, nil, nil
		return nil
	case "toString":
		return m.String()
	}
	return nil
}

func args0(args []any) any {
	if len(args) == 0 {
		return nil
	}
	return args[0]
}

func listMethod(l *List, name string, args []any) (any, error) {
	n := len(args)
	switch name {
	case "get":
		if i, ok := intArg(args, 0); ok && n == 1 {
			if i < 0 || i >= len(l.Items) {
				return nil, fmt.Errorf("get(%d): index out of range for size %d", i, len(l.Items))
			}
			return l.Items[i], nil
		}
	case "size":
		return int64(len(l.Items)), nil
	case "isEmpty":
		return len(l.Items) == 0, nil
	case "add":
		switch n {
		case 1:
			l.Items = append(l.Items, args[0])
			return true, nil
		case 2:
			i, ok := intArg(args, 0)
			if !ok {
				return nil, nil
			}
			if i < 0 || i > len(l.Items) {
				return nil, fmt.Errorf("add(%d): index out of range for size %d", i, len(l.Items))
			}
			l.Items = append(l.Items, nil)
			copy(l.Items[i+1:], l.Items[i:])
			l.Items[i] = args[1]
			return nil, nil
		}
	case "addAll":
		if o, ok := args0(args).(*List); ok && n == 1 {
			l.Items = append(l.Items, o.Items...)
			return true, nil
		}
	case "set":
		if i, ok := intArg(args, 0); ok && n == 2 {
			if i < 0 || i >= len(l.Items) {
				return nil, fmt.Errorf("set(%d): index out of range for size %d", i, len(l.Items))
			}
			old := l.Items[i]
			l.Items[i] = args[1]
			return old, nil
		}
	case "contains", "indexOf":
		if n == 1 {
			idx := -1
			for i, it := range l.Items {
				if valuesEqual(it, args[0]) {
					idx = i
					break
				}
			}
			if name == "contains" {
				return idx >= 0, nil
			}
			return int64(idx), nil
		}
	case "remove":
		if n != 1 {
			return nil, nil
		}
		if i, ok := args[0].(int64); ok {
			if i < 0 || int(i) >= len(l.Items) {
				return nil, fmt.Errorf("remove(%d): index out of range for size %d", i, len(l.Items))
			}
			old := l.Items[i]
			l.Items = append(l.Items[:i], l.Items[i+1:]...)
			return old, nil
		}
		for i, it := range l.Items {
			if valuesEqual(it, args[0]) {
				l.Items = append(l.Items[:i], l.Items[i+1:]...)
				return true, nil
			}
		}
		return false, nil
	case "clear":
		l.Items = nil
		return nil, nil
	case "toString":
		return l.String(), nil
	}
	return nil, nil
}
