package vtl

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Values seen by templates are:
//
//	nil, bool, int64, float64, string, *Map, *List
//
// plus the built-in objects ($input, $util) and loop state ($foreach).
// Integers are Java ints/longs, floats Java doubles.

// Map is an insertion-ordered string-keyed map, the template-side equivalent
// of Java's LinkedHashMap. It implements jp.Keyed so JSONPath can walk it.
type Map struct {
	keys []string
	vals []any
	idx  map[string]int // built once the map outgrows a linear scan
}

// linearMax is the size up to which lookups scan the keys.
const linearMax = 8

// NewMap returns an empty Map.
func NewMap() *Map { return &Map{} }

// Len returns the number of entries.
func (m *Map) Len() int { return len(m.keys) }

// Keys returns the keys in insertion order. Part of jp.Keyed.
func (m *Map) Keys() []string { return m.keys }

func (m *Map) find(key string) int {
	if m.idx != nil {
		if i, ok := m.idx[key]; ok {
			return i
		}
		return -1
	}
	for i, k := range m.keys {
		if k == key {
			return i
		}
	}
	return -1
}

// Get returns the value for key and whether it is present.
func (m *Map) Get(key string) (any, bool) {
	if i := m.find(key); i >= 0 {
		return m.vals[i], true
	}
	return nil, false
}

// at returns the value for key, nil when absent.
func (m *Map) at(key string) any {
	v, _ := m.Get(key)
	return v
}

// Set stores a value, appending the key if it is new.
func (m *Map) Set(key string, v any) {
	if i := m.find(key); i >= 0 {
		m.vals[i] = v
		return
	}
	m.keys = append(m.keys, key)
	m.vals = append(m.vals, v)
	switch {
	case m.idx != nil:
		m.idx[key] = len(m.keys) - 1
	case len(m.keys) > linearMax:
		m.idx = make(map[string]int, len(m.keys)*2)
		for i, k := range m.keys {
			m.idx[k] = i
		}
	}
}

// Delete removes a key.
func (m *Map) Delete(key string) {
	i := m.find(key)
	if i < 0 {
		return
	}
	m.keys = append(m.keys[:i], m.keys[i+1:]...)
	m.vals = append(m.vals[:i], m.vals[i+1:]...)
	if m.idx != nil {
		delete(m.idx, key)
		for j := i; j < len(m.keys); j++ {
			m.idx[m.keys[j]] = j
		}
	}
}

// ValueForKey is part of jp.Keyed.
func (m *Map) ValueForKey(key string) (any, bool) { return m.Get(key) }

// SetValueForKey is part of jp.Keyed.
func (m *Map) SetValueForKey(key string, v any) { m.Set(key, v) }

// RemoveValueForKey is part of jp.Keyed.
func (m *Map) RemoveValueForKey(key string) { m.Delete(key) }

// String renders the map as Java's AbstractMap.toString does: {a=1, b=x}.
func (m *Map) String() string { return toString(m) }

// List is a mutable list, the template-side equivalent of Java's ArrayList.
// It implements jp.Indexed.
type List struct {
	Items []any
}

// ValueAtIndex is part of jp.Indexed (negative indexes count from the end).
func (l *List) ValueAtIndex(i int) any {
	if i < 0 {
		i += len(l.Items)
	}
	if i < 0 || i >= len(l.Items) {
		return nil
	}
	return l.Items[i]
}

// SetValueAtIndex is part of jp.Indexed.
func (l *List) SetValueAtIndex(i int, v any) {
	if i >= 0 && i < len(l.Items) {
		l.Items[i] = v
	}
}

// Size is part of jp.Indexed.
func (l *List) Size() int { return len(l.Items) }

// String renders the list as Java's AbstractCollection.toString: [a, b].
func (l *List) String() string { return toString(l) }

// maxRenderDepth bounds the nesting rendered by toString and toJSON, so a
// map that contains itself cannot recurse forever.
const maxRenderDepth = 64

// renderBudget bounds the number of values visited when rendering or
// comparing one value, and maxRenderBytes the text produced, so a
// collection holding itself many times cannot blow up exponentially.
const (
	renderBudget   = 1 << 20
	maxRenderBytes = 1 << 26
)

func toString(v any) string {
	var b strings.Builder
	budget := renderBudget
	writeString(&b, v, 0, &budget)
	return b.String()
}

func writeString(b *strings.Builder, v any, depth int, budget *int) {
	*budget--
	if depth > maxRenderDepth || *budget < 0 || b.Len() > maxRenderBytes {
		b.WriteString("...")
		return
	}
	switch x := v.(type) {
	case nil:
		b.WriteString("null")
	case string:
		b.WriteString(x)
	case bool:
		b.WriteString(strconv.FormatBool(x))
	case int64:
		b.WriteString(strconv.FormatInt(x, 10))
	case int:
		b.WriteString(strconv.Itoa(x))
	case float64:
		b.WriteString(formatDouble(x))
	case *Map:
		b.WriteByte('{')
		for i, k := range x.keys {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(k)
			b.WriteByte('=')
			if e := x.vals[i]; e == v {
				b.WriteString("(this Map)")
			} else {
				writeString(b, e, depth+1, budget)
			}
		}
		b.WriteByte('}')
	case *List:
		b.WriteByte('[')
		for i, e := range x.Items {
			if i > 0 {
				b.WriteString(", ")
			}
			if e == v {
				b.WriteString("(this Collection)")
			} else {
				writeString(b, e, depth+1, budget)
			}
		}
		b.WriteByte(']')
	case interface{ String() string }:
		b.WriteString(x.String())
	default:
		fmt.Fprint(b, x)
	}
}

// formatDouble formats like Java's Double.toString.
func formatDouble(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	case f == 0:
		if math.Signbit(f) {
			return "-0.0"
		}
		return "0.0"
	}
	abs := math.Abs(f)
	if abs >= 1e-3 && abs < 1e7 {
		s := strconv.FormatFloat(f, 'f', -1, 64)
		if !strings.ContainsRune(s, '.') {
			s += ".0"
		}
		return s
	}
	s := strconv.FormatFloat(f, 'E', -1, 64) // 1.2345E+08
	mant, exp, _ := strings.Cut(s, "E")
	if !strings.ContainsRune(mant, '.') {
		mant += ".0"
	}
	exp = strings.TrimPrefix(exp, "+")
	neg := strings.HasPrefix(exp, "-")
	exp = strings.TrimLeft(strings.TrimPrefix(exp, "-"), "0")
	if exp == "" {
		exp = "0"
	}
	if neg {
		exp = "-" + exp
	}
	return mant + "E" + exp
}

// truthy follows Velocity 1.7: null and false are false, everything else
// (including "" and empty collections) is true.
func truthy(v any) bool {
	switch x := v.(type) {
	case nil:
		return false
	case bool:
		return x
	}
	return true
}

// isNumber reports whether v is an int64 or float64.
func isNumber(v any) bool {
	switch v.(type) {
	case int64, float64:
		return true
	}
	return false
}

func toFloat(v any) float64 {
	switch x := v.(type) {
	case int64:
		return float64(x)
	case float64:
		return x
	}
	return 0
}

// toInt converts a numeric (or numeric string) argument to an int, as
// Velocity does when calling a method that takes an int.
func toInt(v any) (int, bool) {
	switch x := v.(type) {
	case int64:
		if x > math.MaxInt32 || x < math.MinInt32 {
			return 0, false
		}
		return int(x), true
	case float64:
		if x != math.Trunc(x) || math.Abs(x) > math.MaxInt32 {
			return 0, false
		}
		return int(x), true
	case string:
		n, err := strconv.Atoi(strings.TrimSpace(x))
		return n, err == nil
	}
	return 0, false
}

// valuesEqual implements Velocity 1.7's == : numbers compare numerically,
// values of the same kind with equals, anything else by their string forms.
func valuesEqual(a, b any) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	if isNumber(a) && isNumber(b) {
		ai, aok := a.(int64)
		bi, bok := b.(int64)
		if aok && bok {
			return ai == bi
		}
		return toFloat(a) == toFloat(b)
	}
	switch x := a.(type) {
	case string:
		if y, ok := b.(string); ok {
			return x == y
		}
	case bool:
		if y, ok := b.(bool); ok {
			return x == y
		}
	case *Map:
		if y, ok := b.(*Map); ok {
			budget := renderBudget
			return mapsEqual(x, y, 0, &budget)
		}
	case *List:
		if y, ok := b.(*List); ok {
			budget := renderBudget
			return listsEqual(x, y, 0, &budget)
		}
	}
	return toString(a) == toString(b)
}

func deepEqual(a, b any, depth int, budget *int) bool {
	*budget--
	if depth > maxRenderDepth || *budget < 0 {
		return false
	}
	switch x := a.(type) {
	case *Map:
		y, ok := b.(*Map)
		return ok && mapsEqual(x, y, depth+1, budget)
	case *List:
		y, ok := b.(*List)
		return ok && listsEqual(x, y, depth+1, budget)
	}
	if isNumber(a) && isNumber(b) {
		return valuesEqual(a, b)
	}
	return a == b
}

func mapsEqual(x, y *Map, depth int, budget *int) bool {
	if x == y {
		return true
	}
	if x.Len() != y.Len() {
		return false
	}
	for _, k := range x.keys {
		yv, ok := y.Get(k)
		if !ok || !deepEqual(x.at(k), yv, depth, budget) {
			return false
		}
	}
	return true
}

func listsEqual(x, y *List, depth int, budget *int) bool {
	if x == y {
		return true
	}
	if len(x.Items) != len(y.Items) {
		return false
	}
	for i := range x.Items {
		if !deepEqual(x.Items[i], y.Items[i], depth, budget) {
			return false
		}
	}
	return true
}

// compareNumbers returns -1, 0, 1 and ok=false when either side is not a
// number (Velocity 1.7 only orders numbers).
func compareNumbers(a, b any) (int, bool) {
	if !isNumber(a) || !isNumber(b) {
		return 0, false
	}
	ai, aok := a.(int64)
	bi, bok := b.(int64)
	if aok && bok {
		switch {
		case ai < bi:
			return -1, true
		case ai > bi:
			return 1, true
		}
		return 0, true
	}
	af, bf := toFloat(a), toFloat(b)
	switch {
	case af < bf:
		return -1, true
	case af > bf:
		return 1, true
	}
	return 0, true
}

// normalize converts Go values supplied by callers (map[string]any,
// []any, []string, int, float32, ...) into template values.
func normalize(v any, depth int) any {
	if depth > maxRenderDepth {
		return nil
	}
	switch x := v.(type) {
	case nil, bool, int64, float64, string, *Map, *List:
		return x
	case int:
		return int64(x)
	case int32:
		return int64(x)
	case uint32:
		return int64(x)
	case float32:
		return float64(x)
	case []byte:
		return string(x)
	case []string:
		l := &List{Items: make([]any, len(x))}
		for i, s := range x {
			l.Items[i] = s
		}
		return l
	case []any:
		l := &List{Items: make([]any, len(x))}
		for i, e := range x {
			l.Items[i] = normalize(e, depth+1)
		}
		return l
	case map[string]string:
		m := NewMap()
		for _, k := range sortedKeys(x) {
			m.Set(k, x[k])
		}
		return m
	case map[string]any:
		m := NewMap()
		for _, k := range sortedKeys(x) {
			m.Set(k, normalize(x[k], depth+1))
		}
		return m
	}
	return v
}

func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}
