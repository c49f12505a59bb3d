package waf

import (
	"bytes"
	"encoding/base64"
	"strconv"
	"unicode/utf8"
)

// transformFunc appends the transformation of src to dst (which is empty, and never aliases src)
// and returns it.
type transformFunc func(dst, src []byte) []byte

// transforms are the text transformations Portico implements; NONE maps to nil.
var transforms = map[string]transformFunc{
	"NONE":                 nil,
	"LOWERCASE":            lowercase,
	"UPPERCASE":            uppercase,
	"URL_DECODE":           urlDecode,
	"URL_DECODE_UNI":       urlDecodeUni,
	"COMPRESS_WHITE_SPACE": compressWhiteSpace,
	"HTML_ENTITY_DECODE":   htmlEntityDecode,
	"BASE64_DECODE":        base64Decode,
	"BASE64_DECODE_EXT":    base64DecodeExt,
	"HEX_DECODE":           hexDecode,
	"REMOVE_NULLS":         removeNulls,
	"REPLACE_NULLS":        replaceNulls,
	"TRIM":                 trim,
	"TRIM_LEFT":            trimLeft,
	"TRIM_RIGHT":           trimRight,
	"REMOVE_WHITESPACE":    removeWhitespace,
	"CMD_LINE":             cmdLine,
}

// knownTransforms are AWS's other transformation types, rejected as unsupported rather than unknown.
var knownTransforms = map[string]bool{
	"MD5": true, "REPLACE_COMMENTS": true, "ESCAPE_SEQ_DECODE": true, "SQL_HEX_DECODE": true,
	"CSS_DECODE": true, "JS_DECODE": true, "NORMALIZE_PATH": true, "NORMALIZE_PATH_WIN": true,
	"UTF8_TO_UNICODE": true, "REMOVE_COMMENTS_CHAR": true, "CMD_LINE_WIN": true,
	"CMD_LINE_UNIX": true, "JS_DECODE_EXT": true, "SHA256": true,
}

func lowercase(dst, src []byte) []byte {
	for _, c := range src {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst = append(dst, c)
	}
	return dst
}

func uppercase(dst, src []byte) []byte {
	for _, c := range src {
		if 'a' <= c && c <= 'z' {
			c -= 'a' - 'A'
		}
		dst = append(dst, c)
	}
	return dst
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// urlDecode decodes %XX and '+'; a malformed escape is kept as it is.
func urlDecode(dst, src []byte) []byte { return percentDecode(dst, src, false) }

// urlDecodeUni also decodes Microsoft's %uXXXX escapes to UTF-8.
func urlDecodeUni(dst, src []byte) []byte { return percentDecode(dst, src, true) }

func percentDecode(dst, src []byte, uni bool) []byte {
	for i := 0; i < len(src); i++ {
		c := src[i]
		switch {
		case c == '+':
			dst = append(dst, ' ')
			continue
		case c != '%':
			dst = append(dst, c)
			continue
		}
		if uni && i+5 < len(src) && (src[i+1] == 'u' || src[i+1] == 'U') {
			r, ok := 0, true
			for _, h := range src[i+2 : i+6] {
				v, good := unhex(h)
				ok = ok && good
				r = r<<4 | int(v)
			}
			if ok {
				dst = utf8.AppendRune(dst, rune(r))
				i += 5
				continue
			}
		}
		if i+2 < len(src) {
			hi, ok1 := unhex(src[i+1])
			lo, ok2 := unhex(src[i+2])
			if ok1 && ok2 {
				dst = append(dst, hi<<4|lo)
				i += 2
				continue
			}
		}
		dst = append(dst, c)
	}
	return dst
}

func isWhite(c byte) bool {
	switch c {
	case ' ', '\t', '\n', '\r', '\f', '\v', 0xa0:
		return true
	}
	return false
}

// compressWhiteSpace turns \t \n \r \f \v and non-breaking space (byte 160) into spaces and
// collapses runs of spaces into one.
func compressWhiteSpace(dst, src []byte) []byte {
	space := false
	for _, c := range src {
		if isWhite(c) {
			if !space {
				dst = append(dst, ' ')
			}
			space = true
			continue
		}
		space = false
		dst = append(dst, c)
	}
	return dst
}

var entities = map[string]rune{"quot": '"', "amp": '&', "lt": '<', "gt": '>', "nbsp": 0xa0, "apos": '\''}

// htmlEntityDecode decodes &quot; &amp; &lt; &gt; &nbsp; &apos; and numeric &#NNN; / &#xHHH;
// references; anything else stays as it is.
func htmlEntityDecode(dst, src []byte) []byte {
	for i := 0; i < len(src); i++ {
		if src[i] != '&' {
			dst = append(dst, src[i])
			continue
		}
		end := bytes.IndexByte(src[i+1:min(len(src), i+12)], ';')
		if end < 1 {
			dst = append(dst, '&')
			continue
		}
		ref := src[i+1 : i+1+end]
		if r, ok := entityRune(ref); ok {
			if r == 0xa0 {
				dst = append(dst, 0xa0) // AWS turns &nbsp; into the byte 160
			} else {
				dst = utf8.AppendRune(dst, r)
			}
			i += end + 1
			continue
		}
		dst = append(dst, '&')
	}
	return dst
}

func entityRune(ref []byte) (rune, bool) {
	if ref[0] != '#' {
		r, ok := entities[string(ref)]
		return r, ok
	}
	digits, base := ref[1:], 10
	if len(digits) > 0 && (digits[0] == 'x' || digits[0] == 'X') {
		digits, base = digits[1:], 16
	}
	n, err := strconv.ParseUint(string(digits), base, 21)
	if err != nil || len(digits) == 0 || n > utf8.MaxRune {
		return 0, false
	}
	return rune(n), true
}

// base64Decode decodes standard (or URL-safe) base64, padded or not; input that does not decode
// is left as it is.
func base64Decode(dst, src []byte) []byte {
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if out, err := enc.AppendDecode(dst, src); err == nil {
			return out
		}
	}
	return append(dst, src...)
}

// base64DecodeExt is the forgiving variant: it drops every byte outside the base64 alphabets and
// decodes what is left.
func base64DecodeExt(dst, src []byte) []byte {
	clean := make([]byte, 0, len(src))
	for _, c := range src {
		switch {
		case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '+', c == '/':
			clean = append(clean, c)
		case c == '-':
			clean = append(clean, '+')
		case c == '_':
			clean = append(clean, '/')
		}
	}
	if len(clean)%4 == 1 {
		clean = clean[:len(clean)-1]
	}
	out, err := base64.RawStdEncoding.AppendDecode(dst, clean)
	if err != nil {
		return dst
	}
	return out
}

// hexDecode decodes pairs of hexadecimal digits; other bytes stay as they are.
func hexDecode(dst, src []byte) []byte {
	for i := 0; i < len(src); i++ {
		if i+1 < len(src) {
			hi, ok1 := unhex(src[i])
			lo, ok2 := unhex(src[i+1])
			if ok1 && ok2 {
				dst = append(dst, hi<<4|lo)
				i++
				continue
			}
		}
		dst = append(dst, src[i])
	}
	return dst
}

func removeNulls(dst, src []byte) []byte {
	for _, c := range src {
		if c != 0 {
			dst = append(dst, c)
		}
	}
	return dst
}

func replaceNulls(dst, src []byte) []byte {
	for _, c := range src {
		if c == 0 {
			c = ' '
		}
		dst = append(dst, c)
	}
	return dst
}

func trim(dst, src []byte) []byte { return trimRight(dst, trimmedLeft(src)) }

func trimLeft(dst, src []byte) []byte { return append(dst, trimmedLeft(src)...) }

func trimRight(dst, src []byte) []byte {
	end := len(src)
	for end > 0 && isWhite(src[end-1]) {
		end--
	}
	return append(dst, src[:end]...)
}

func trimmedLeft(src []byte) []byte {
	for len(src) > 0 && isWhite(src[0]) {
		src = src[1:]
	}
	return src
}

func removeWhitespace(dst, src []byte) []byte {
	for _, c := range src {
		if !isWhite(c) {
			dst = append(dst, c)
		}
	}
	return dst
}

// cmdLine follows AWS's CMD_LINE: delete \ " ' ^, delete spaces before / and (, turn , and ;
// into spaces, compress white space and lowercase.
func cmdLine(dst, src []byte) []byte {
	for _, c := range src {
		switch {
		case c == '\\' || c == '"' || c == '\'' || c == '^':
			continue
		case c == ',' || c == ';' || isWhite(c):
			c = ' '
		case c == '/' || c == '(':
			for len(dst) > 0 && dst[len(dst)-1] == ' ' {
				dst = dst[:len(dst)-1]
			}
		case 'A' <= c && c <= 'Z':
			c += 'a' - 'A'
		}
		if c == ' ' && len(dst) > 0 && dst[len(dst)-1] == ' ' {
			continue
		}
		dst = append(dst, c)
	}
	return dst
}
