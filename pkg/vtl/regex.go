package vtl

import (
	"fmt"
	"regexp"
	"strings"
	"sync"
)

// Java regular expressions are run with Go's regexp (RE2). The common
// subset is the same; constructs RE2 lacks (backreferences, lookaround,
// possessive quantifiers) make the method fail with an error.

const regexCacheSize = 256

var regexCache = struct {
	sync.Mutex
	m map[string]*regexp.Regexp
}{m: make(map[string]*regexp.Regexp)}

func compileJavaRegex(pat string, whole bool) (*regexp.Regexp, error) {
	key := pat
	if whole {
		key = "\x00" + pat
	}
	regexCache.Lock()
	re, ok := regexCache.m[key]
	regexCache.Unlock()
	if ok {
		return re, nil
	}
	src := pat
	if whole {
		src = `^(?:` + pat + `)$`
	}
	re, err := regexp.Compile(src)
	if err != nil {
		return nil, fmt.Errorf("regular expression %q: %w", pat, err)
	}
	regexCache.Lock()
	if len(regexCache.m) >= regexCacheSize {
		clear(regexCache.m)
	}
	regexCache.m[key] = re
	regexCache.Unlock()
	return re, nil
}

// javaReplacement converts a java.util.regex replacement ($1, \$) into
// Go's expansion syntax (${1}, $$).
func javaReplacement(r string) string {
	if !strings.ContainsAny(r, `$\`) {
		return r
	}
	var b strings.Builder
	for i := 0; i < len(r); i++ {
		c := r[i]
		switch {
		case c == '\\' && i+1 < len(r):
			i++
			if r[i] == '$' {
				b.WriteString("$$")
			} else {
				b.WriteByte(r[i])
			}
		case c == '$':
			j := i + 1
			for j < len(r) && r[j] >= '0' && r[j] <= '9' {
				j++
			}
			if j > i+1 {
				b.WriteString("${" + r[i+1:j] + "}")
				i = j - 1
			} else if j < len(r) && r[j] == '{' {
				k := strings.IndexByte(r[j:], '}')
				if k < 0 {
					b.WriteString("$$")
					continue
				}
				b.WriteString("$" + r[j:j+k+1])
				i = j + k
			} else {
				b.WriteString("$$")
			}
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func replaceRegex(s, pat, repl string, firstOnly bool, max int) (any, error) {
	re, err := compileJavaRegex(pat, false)
	if err != nil {
		return nil, err
	}
	tmpl := javaReplacement(repl)
	var b []byte
	last := 0
	for _, m := range re.FindAllStringSubmatchIndex(s, -1) {
		b = append(b, s[last:m[0]]...)
		b = re.ExpandString(b, tmpl, s, m)
		last = m[1]
		if len(b) > max {
			return nil, fmt.Errorf("replaceAll: %w", ErrOutputLimit)
		}
		if firstOnly {
			break
		}
	}
	if b == nil && last == 0 {
		return s, nil
	}
	b = append(b, s[last:]...)
	if len(b) > max {
		return nil, fmt.Errorf("replaceAll: %w", ErrOutputLimit)
	}
	return string(b), nil
}

// splitJava follows String.split: limit > 0 caps the parts, limit == 0
// drops trailing empty strings, limit < 0 keeps them.
func splitJava(s, pat string, limit int) (any, error) {
	var parts []string
	if len(pat) == 1 && !strings.ContainsAny(pat, `.$|()[{^?*+\`) {
		n := -1
		if limit > 0 {
			n = limit
		}
		parts = strings.SplitN(s, pat, n)
	} else {
		re, err := compileJavaRegex(pat, false)
		if err != nil {
			return nil, err
		}
		n := -1
		if limit > 0 {
			n = limit
		}
		parts = re.Split(s, n)
		// Java drops a leading empty string produced by a zero-width match
		// at the start.
		if len(parts) > 1 && parts[0] == "" && len(s) > 0 {
			if loc := re.FindStringIndex(s); loc != nil && loc[0] == 0 && loc[1] == 0 {
				parts = parts[1:]
			}
		}
	}
	if limit == 0 {
		for len(parts) > 1 && parts[len(parts)-1] == "" {
			parts = parts[:len(parts)-1]
		}
		if len(parts) == 1 && parts[0] == "" && s != "" {
			parts = nil
		}
	}
	l := &List{Items: make([]any, len(parts))}
	for i, p := range parts {
		l.Items[i] = p
	}
	return l, nil
}
