package c14n

import "github.com/beevik/etree"

// The algorithm identifiers XML-DSig uses for the methods.
const (
	AlgInclusive10             = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
	AlgInclusive10WithComments = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments"
	AlgExclusive10             = "http://www.w3.org/2001/10/xml-exc-c14n#"
	AlgExclusive10WithComments = "http://www.w3.org/2001/10/xml-exc-c14n#WithComments"
	AlgInclusive11             = "http://www.w3.org/2006/12/xml-c14n11"
	AlgInclusive11WithComments = "http://www.w3.org/2006/12/xml-c14n11#WithComments"
)

// Method is a canonicalization algorithm. The zero value is Canonical XML
// 1.0, which XML-DSig applies when a node-set must become octets and no
// method is named.
type Method uint8

const (
	Inclusive10 Method = iota // Canonical XML 1.0
	Exclusive10               // Exclusive XML Canonicalization 1.0
	Inclusive11               // Canonical XML 1.1
)

func (m Method) String() string {
	switch m {
	case Inclusive10:
		return "c14n10"
	case Exclusive10:
		return "exc-c14n10"
	case Inclusive11:
		return "c14n11"
	}
	return "unknown"
}

// URI is the algorithm identifier of m, or "" for an unknown method.
func (m Method) URI(withComments bool) string {
	var plain, comments string
	switch m {
	case Inclusive10:
		plain, comments = AlgInclusive10, AlgInclusive10WithComments
	case Exclusive10:
		plain, comments = AlgExclusive10, AlgExclusive10WithComments
	case Inclusive11:
		plain, comments = AlgInclusive11, AlgInclusive11WithComments
	default:
		return ""
	}
	if withComments {
		return comments
	}
	return plain
}

// ByAlgorithm maps an algorithm identifier to its method; ok is false for
// identifiers this package does not implement.
func ByAlgorithm(uri string) (m Method, withComments, ok bool) {
	switch uri {
	case AlgInclusive10:
		return Inclusive10, false, true
	case AlgInclusive10WithComments:
		return Inclusive10, true, true
	case AlgExclusive10:
		return Exclusive10, false, true
	case AlgExclusive10WithComments:
		return Exclusive10, true, true
	case AlgInclusive11:
		return Inclusive11, false, true
	case AlgInclusive11WithComments:
		return Inclusive11, true, true
	}
	return 0, false, false
}

// Options select the method and shape the node-set.
type Options struct {
	Method Method
	// WithComments keeps comment nodes. XML-DSig drops them for
	// same-document references whatever the method says, so callers
	// canonicalizing a Reference pass false there.
	WithComments bool
	// InclusivePrefixes is the exclusive method's InclusiveNamespaces
	// PrefixList, one prefix per entry, "#default" for the default
	// namespace (SplitPrefixList reads the attribute). Those namespaces
	// are rendered the way Canonical XML renders them. Ignored by the
	// inclusive methods, which render every namespace in scope anyway.
	InclusivePrefixes []string
	// Exclude, when set, is asked about every element of the node-set
	// (apex or root included); a true answer leaves out that element and
	// everything below it. Namespace rendering below is worked out as if
	// the element had never been in the node-set.
	Exclude func(*etree.Element) bool
}

// SplitPrefixList splits an InclusiveNamespaces PrefixList attribute value
// (xsd:NMTOKENS) at XML whitespace.
func SplitPrefixList(s string) []string {
	var out []string
	start := -1
	for i := 0; i <= len(s); i++ {
		if i == len(s) || isSpace(s[i]) {
			if start >= 0 {
				out = append(out, s[start:i])
				start = -1
			}
		} else if start < 0 {
			start = i
		}
	}
	return out
}

func isSpace(b byte) bool { return b == ' ' || b == '\t' || b == '\n' || b == '\r' }
