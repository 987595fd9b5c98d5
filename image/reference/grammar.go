package reference

// The reference grammar of github.com/distribution/reference, hand-written.
//
// Why not import the library: it compiles a dozen large regexps at package
// init, ~1 ms (and 400 KB) that every onggi process paid on every start,
// including the re-executed container init that never parses a reference.
// These scanners do no work until called. They accept exactly the language
// of its regexps (equivalence_test.go compares the two, table and fuzz):
//
//	reference  := name [":" tag] ["@" digest]
//	name       := [domain "/"] component ("/" component)*
//	domain     := host [":" [0-9]+]
//	host       := label ("." label)* | "[" [a-fA-F0-9:]+ "]"
//	label      := [a-zA-Z0-9] | [a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]
//	component  := [a-z0-9]+ (("." | "_" | "__" | "-"+) [a-z0-9]+)*
//	tag        := [\w][\w.-]{0,127}
//	digest     := algo ("[-_+.]" algo)* ":" [0-9a-fA-F]{32,}  (algo: [A-Za-z][A-Za-z0-9]*)

import "strings"

func isLower(c byte) bool { return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' }
func isAlnum(c byte) bool { return isLower(c) || c >= 'A' && c <= 'Z' }
func isWord(c byte) bool  { return isAlnum(c) || c == '_' }
func isHex(c byte) bool   { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

// splitRef splits s into name, tag and digest the way the library's
// ReferenceRegexp does. The split is unambiguous: only a digest follows
// '@', and a ':' after the last '/' can only start the tag (a port needs a
// path after it). ok is false when s is not a reference.
func splitRef(s string) (domain, path, tag, dgst string, ok bool) {
	if at := strings.IndexByte(s, '@'); at >= 0 {
		s, dgst = s[:at], s[at+1:]
		if !isDigest(dgst) {
			return "", "", "", "", false
		}
	}
	if c := strings.LastIndexByte(s, ':'); c > strings.LastIndexByte(s, '/') {
		s, tag = s[:c], s[c+1:]
		if !isTag(tag) {
			return "", "", "", "", false
		}
	}
	domain, path, ok = splitName(s)
	return domain, path, tag, dgst, ok
}

// splitName splits a repository name into domain and path. Like the
// library's greedy optional group, the first element is the domain when
// that parse works; otherwise the whole name must be a path (so
// "foo_bar.com/x" is a domain-less path, as docker has it).
func splitName(s string) (domain, path string, ok bool) {
	if d, p, found := strings.Cut(s, "/"); found && isDomain(d) && isPath(p) {
		return d, p, true
	}
	return "", s, isPath(s)
}

func isDomain(s string) bool {
	host, port := s, ""
	if strings.HasPrefix(s, "[") {
		end := strings.IndexByte(s, ']')
		if end < 2 {
			return false
		}
		for i := 1; i < end; i++ {
			if !isHex(s[i]) && s[i] != ':' {
				return false
			}
		}
		host, port = "", s[end+1:]
	} else if i := strings.IndexByte(s, ':'); i >= 0 {
		host, port = s[:i], s[i:]
	}
	if port != "" {
		if len(port) < 2 || port[0] != ':' || strings.IndexFunc(port[1:], notDigit) >= 0 {
			return false
		}
	}
	if host == "" {
		return strings.HasPrefix(s, "[")
	}
	for label := range strings.SplitSeq(host, ".") {
		if label == "" || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			if !isAlnum(label[i]) && label[i] != '-' {
				return false
			}
		}
	}
	return true
}

func notDigit(r rune) bool { return r < '0' || r > '9' }

func isPath(s string) bool {
	for c := range strings.SplitSeq(s, "/") {
		if !isComponent(c) {
			return false
		}
	}
	return true
}

// isComponent: lowercase alphanumeric runs joined by exactly one of ".",
// "_", "__" or any number of "-".
func isComponent(s string) bool {
	if s == "" || !isLower(s[0]) || !isLower(s[len(s)-1]) {
		return false
	}
	for i := 0; i < len(s); {
		if isLower(s[i]) {
			i++
			continue
		}
		j := i
		for j < len(s) && !isLower(s[j]) {
			j++
		}
		switch sep := s[i:j]; {
		case sep == "." || sep == "_" || sep == "__":
		case strings.Trim(sep, "-") == "":
		default:
			return false
		}
		i = j
	}
	return true
}

func isTag(s string) bool {
	if s == "" || len(s) > 128 || !isWord(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if !isWord(s[i]) && s[i] != '.' && s[i] != '-' {
			return false
		}
	}
	return true
}

// isDigest is the library's syntactic digest check; content rules (known
// algorithm, exact length, lowercase hex) are go-digest's, applied by the
// caller where the library applies them.
func isDigest(s string) bool {
	algo, hex, ok := strings.Cut(s, ":")
	if !ok || len(hex) < 32 {
		return false
	}
	for i := 0; i < len(hex); i++ {
		if !isHex(hex[i]) {
			return false
		}
	}
	for i := 0; i < len(algo); i++ {
		switch c := algo[i]; {
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
		case c >= '0' && c <= '9':
			if i == 0 || strings.IndexByte("-_+.", algo[i-1]) >= 0 {
				return false
			}
		case strings.IndexByte("-_+.", c) >= 0:
			if i == 0 || i == len(algo)-1 || strings.IndexByte("-_+.", algo[i-1]) >= 0 {
				return false
			}
		default:
			return false
		}
	}
	return algo != ""
}
