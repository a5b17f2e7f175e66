package jetstream

import (
	"strings"

	"github.com/nats-io/nats.go"
)

// Metadata entries travel as NATS headers, unchanged whenever NATS allows it
// (ce-type, ce-id, content-type… always do), so any NATS client reads
// pixmill's CloudEvents attributes as plain headers. What NATS does not carry
// as is gets escaped, reversibly:
//
//   - A key byte that is not allowed in a header name (space, control,
//     non-ASCII, and "()/,:;<=>?@[\]{} plus the quote) becomes %XX, and so
//     does % itself, so that decoding is exact.
//   - A value that NATS would change (it drops leading and trailing spaces
//     and turns CR and LF into spaces) is %XX-escaped as a whole, its control
//     characters, spaces and % signs, and its header name is prefixed with
//     "%!". Escaped names never contain "%!", because an escaped % is
//     followed by two hex digits, so the mark cannot be confused with a key.
const escapedValueMark = "%!"

// encodeMetadata turns metadata into headers.
func encodeMetadata(md map[string]string) (nats.Header, error) {
	if len(md) == 0 {
		return nil, nil
	}
	h := make(nats.Header, len(md))
	for k, v := range md {
		if k == "" {
			return nil, errEmptyKey
		}
		name := escape(k, keyNeedsEscape)
		if valueNeedsEscape(v) {
			name = escapedValueMark + name
			v = escape(v, valueByteNeedsEscape)
		}
		h[name] = []string{v}
	}
	return h, nil
}

// decodeMetadata turns headers back into metadata. A header sent with several
// values (by a client other than this driver) gives its first, as
// nats.Header.Get does. Names and values that are not valid escapes are
// taken as they are.
func decodeMetadata(h nats.Header) map[string]string {
	if len(h) == 0 {
		return nil
	}
	md := make(map[string]string, len(h))
	for name, vs := range h {
		if len(vs) == 0 {
			continue
		}
		v := vs[0]
		if rest, ok := strings.CutPrefix(name, escapedValueMark); ok {
			name = rest
			v = unescape(v)
		}
		md[unescape(name)] = v
	}
	return md
}

// keyNeedsEscape reports the bytes nats.go refuses in a header name (it
// allows printable ASCII except "()/,:;<=>?@[\]{} and the quote), and %.
func keyNeedsEscape(b byte) bool {
	if b <= ' ' || b >= 0x7f {
		return true
	}
	return strings.IndexByte(`"()/,:;<=>?@[\]{}%`, b) >= 0
}

// valueNeedsEscape reports whether NATS would deliver v changed: it trims
// ASCII whitespace at both ends (tabs, CR and LF are controls, below) and
// replaces CR and LF.
func valueNeedsEscape(v string) bool {
	if v != "" && (v[0] == ' ' || v[len(v)-1] == ' ') {
		return true
	}
	for i := 0; i < len(v); i++ {
		if v[i] < ' ' || v[i] == 0x7f {
			return true
		}
	}
	return false
}

// valueByteNeedsEscape is what an escaped value escapes. Spaces are escaped
// everywhere, not only at the ends, to keep the rule simple; non-ASCII bytes
// are not, because NATS carries UTF-8 values unchanged.
func valueByteNeedsEscape(b byte) bool {
	return b <= ' ' || b == 0x7f || b == '%'
}

const hexDigits = "0123456789ABCDEF"

func escape(s string, needs func(byte) bool) string {
	n := 0
	for i := 0; i < len(s); i++ {
		if needs(s[i]) {
			n++
		}
	}
	if n == 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 2*n)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if needs(c) {
			b.WriteByte('%')
			b.WriteByte(hexDigits[c>>4])
			b.WriteByte(hexDigits[c&0xf])
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// unescape decodes %XX. A string with a % that does not start a valid
// escape was not escaped by this driver and comes back unchanged.
func unescape(s string) string {
	if strings.IndexByte(s, '%') < 0 {
		return s
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			b = append(b, s[i])
			continue
		}
		if i+2 >= len(s) {
			return s
		}
		hi, ok1 := unhex(s[i+1])
		lo, ok2 := unhex(s[i+2])
		if !ok1 || !ok2 {
			return s
		}
		b = append(b, hi<<4|lo)
		i += 2
	}
	return string(b)
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	}
	return 0, false
}
