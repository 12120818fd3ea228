package certs

import (
	"encoding/asn1"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// DNStyle selects how FormatDN names attribute types.
type DNStyle int

const (
	// DNReadable also names the attributes Polish certificates carry —
	// givenName, SN (surname), serialNumber, organizationIdentifier — so that
	// a subject reads "CN=Jan Kowalski,serialNumber=TINPL-5265877635,…"
	// instead of "2.5.4.5=#13…".
	DNReadable DNStyle = iota
	// DNStrict uses only the short names of RFC 4514 Table 1 and prints every
	// other attribute as dotted OID=#<hex DER>. That is exactly what Java's
	// X500Principal.getName() produces and what every RFC 4514 parser can read
	// back (Java rejects "SN" or "organizationIdentifier" as keywords), so it
	// is the form for XAdES X509IssuerName, which EU DSS parses with Java.
	DNStrict
)

// Attribute type OIDs of the X.520 attributes KSeF looks at.
var (
	oidCommonName             = asn1.ObjectIdentifier{2, 5, 4, 3}
	oidSurname                = asn1.ObjectIdentifier{2, 5, 4, 4}
	oidSerialNumber           = asn1.ObjectIdentifier{2, 5, 4, 5}
	oidCountry                = asn1.ObjectIdentifier{2, 5, 4, 6}
	oidOrganization           = asn1.ObjectIdentifier{2, 5, 4, 10}
	oidGivenName              = asn1.ObjectIdentifier{2, 5, 4, 42}
	oidOrganizationIdentifier = asn1.ObjectIdentifier{2, 5, 4, 97}
)

// attrNames names the attribute types of a DN. strict: RFC 4514 Table 1,
// the names every reader knows; the others appear only in the readable
// style. Flat arrays, not maps: Go initializes map literals with code at
// start-up, which cost the wasm module (at its size budget) ~5 KB here.
var attrNames = [...]struct {
	oid, name string
	strict    bool
}{
	{"2.5.4.3", "CN", true},
	{"2.5.4.7", "L", true},
	{"2.5.4.8", "ST", true},
	{"2.5.4.10", "O", true},
	{"2.5.4.11", "OU", true},
	{"2.5.4.6", "C", true},
	{"2.5.4.9", "STREET", true},
	{"0.9.2342.19200300.100.1.25", "DC", true},
	{"0.9.2342.19200300.100.1.1", "UID", true},
	{"2.5.4.4", "SN", false},
	{"2.5.4.5", "serialNumber", false},
	{"2.5.4.12", "title", false},
	{"2.5.4.42", "givenName", false},
	{"2.5.4.43", "initials", false},
	{"2.5.4.44", "generationQualifier", false},
	{"2.5.4.46", "dnQualifier", false},
	{"2.5.4.65", "pseudonym", false},
	{"2.5.4.97", "organizationIdentifier", false},
	{"2.5.4.17", "postalCode", false},
	{"1.2.840.113549.1.9.1", "emailAddress", false},
}

// keywordAliases resolves, beside the names above, the attribute type
// keywords found in DN strings written by other tools (.NET, Java, OpenSSL,
// RFC 4514/4519). Keys are upper case.
var keywordAliases = [...]struct{ keyword, oid string }{
	{"GN", "2.5.4.42"}, {"G", "2.5.4.42"}, {"GIVENNAME", "2.5.4.42"},
	{"SN", "2.5.4.4"}, {"SURNAME", "2.5.4.4"},
	{"SERIALNUMBER", "2.5.4.5"},
	{"S", "2.5.4.8"},
	{"T", "2.5.4.12"}, {"TITLE", "2.5.4.12"},
	{"E", "1.2.840.113549.1.9.1"}, {"EMAIL", "1.2.840.113549.1.9.1"}, {"EMAILADDRESS", "1.2.840.113549.1.9.1"},
	{"ORGANIZATIONIDENTIFIER", "2.5.4.97"},
	{"DNQ", "2.5.4.46"}, {"DNQUALIFIER", "2.5.4.46"},
	{"INITIALS", "2.5.4.43"}, {"GENERATIONQUALIFIER", "2.5.4.44"}, {"PSEUDONYM", "2.5.4.65"},
	{"POSTALCODE", "2.5.4.17"},
}

// nameOfOID is the name a DN in the given style writes for an attribute type.
func nameOfOID(oid string, style DNStyle) (string, bool) {
	for _, n := range attrNames {
		if n.oid == oid && (n.strict || style == DNReadable) {
			return n.name, true
		}
	}
	return "", false
}

// oidOfKeyword resolves an upper-case attribute type keyword.
func oidOfKeyword(u string) (string, bool) {
	for _, a := range keywordAliases {
		if a.keyword == u {
			return a.oid, true
		}
	}
	for _, n := range attrNames {
		if strings.ToUpper(n.name) == u {
			return n.oid, true
		}
	}
	return "", false
}

// The DER shape of a Name, keeping each value raw: encoding/asn1 treats slice
// types whose name ends in SET as SET OF.
type rawATV struct {
	Type  asn1.ObjectIdentifier
	Value asn1.RawValue
}
type rawRDNSET []rawATV
type rawName []rawRDNSET

func parseRawName(der []byte) (rawName, error) {
	var n rawName
	rest, err := asn1.Unmarshal(der, &n)
	if err != nil {
		return nil, fmt.Errorf("distinguished name: %w", err)
	}
	if len(rest) != 0 {
		return nil, errors.New("distinguished name: trailing data")
	}
	return n, nil
}

// FormatDN renders a DER-encoded Name (e.g. cert.RawSubject, cert.RawIssuer)
// as an RFC 4514 string: most specific RDN first, "," between RDNs, "+"
// inside a multi-valued RDN.
func FormatDN(der []byte, style DNStyle) (string, error) {
	n, err := parseRawName(der)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	for i := len(n) - 1; i >= 0; i-- {
		if i != len(n)-1 {
			b.WriteByte(',')
		}
		for j, a := range n[i] {
			if j > 0 {
				b.WriteByte('+')
			}
			oid := a.Type.String()
			name, ok := nameOfOID(oid, style)
			s, isString := decodeString(a.Value)
			if !ok || !isString {
				if !ok {
					name = oid
				}
				b.WriteString(name)
				b.WriteString("=#")
				b.WriteString(strings.ToUpper(hex.EncodeToString(a.Value.FullBytes)))
				continue
			}
			b.WriteString(name)
			b.WriteByte('=')
			escapeDNValue(&b, s)
		}
	}
	return b.String(), nil
}

func escapeDNValue(b *strings.Builder, s string) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '+' || c == ',' || c == ';' || c == '<' || c == '>' || c == '\\',
			(c == ' ' || c == '#') && i == 0,
			c == ' ' && i == len(s)-1:
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < 0x20 || c == 0x7f:
			// Control characters would also be illegal in XML text.
			fmt.Fprintf(b, "\\%02X", c)
		default:
			b.WriteByte(c)
		}
	}
}

// decodeString returns the text of the directory string types, converting
// the legacy encodings to UTF-8.
func decodeString(v asn1.RawValue) (string, bool) {
	if v.Class != asn1.ClassUniversal || v.IsCompound {
		return "", false
	}
	b := v.Bytes
	switch v.Tag {
	case asn1.TagUTF8String, asn1.TagPrintableString, asn1.TagIA5String, asn1.TagNumericString, 26 /* VisibleString */ :
		if !utf8.Valid(b) {
			return "", false
		}
		return string(b), true
	case asn1.TagT61String:
		// In practice T.61 strings hold ISO 8859-1.
		r := make([]rune, len(b))
		for i, c := range b {
			r[i] = rune(c)
		}
		return string(r), true
	case asn1.TagBMPString:
		if len(b)%2 != 0 {
			return "", false
		}
		u := make([]uint16, len(b)/2)
		for i := range u {
			u[i] = uint16(b[2*i])<<8 | uint16(b[2*i+1])
		}
		return string(utf16.Decode(u)), true
	case 28: // UniversalString, UTF-32BE
		if len(b)%4 != 0 {
			return "", false
		}
		r := make([]rune, len(b)/4)
		for i := range r {
			r[i] = rune(uint32(b[4*i])<<24 | uint32(b[4*i+1])<<16 | uint32(b[4*i+2])<<8 | uint32(b[4*i+3]))
		}
		return string(r), true
	}
	return "", false
}

// nameAttributes returns the string values of one attribute type, in DER order.
func nameAttributes(der []byte, oid asn1.ObjectIdentifier) []string {
	n, err := parseRawName(der)
	if err != nil {
		return nil
	}
	var out []string
	for _, rdn := range n {
		for _, a := range rdn {
			if a.Type.Equal(oid) {
				if s, ok := decodeString(a.Value); ok {
					out = append(out, s)
				}
			}
		}
	}
	return out
}

// MatchDN reports whether the DN string dn — as written by any common tool:
// RFC 4514/2253, .NET ("CN=x, O=y"), Java, OpenSSL, with keywords, OID.n.n
// or dotted OIDs, quoted or #hex values — names the DER-encoded Name der.
//
// Names are compared as names: RDN by RDN, each RDN the same multiset of
// attribute type/value pairs (the order inside a multi-valued RDN is
// free, as it is a SET), with the RDNs either in RFC 4514's order (most
// specific first) or in the certificate's own DER order ("C=PL, …, CN=x"),
// which some signing tools write into XAdES X509IssuerName and KSeF
// accepts. Any other arrangement is a different name: RDNs in some third
// order, attributes moved from one RDN to another, values swapped between
// attribute types. Values are compared case-insensitively with whitespace
// runs collapsed, the matching rule of every string attribute a
// certificate subject uses.
func MatchDN(dn string, der []byte) (bool, error) {
	parsed, err := parseDNString(dn)
	if err != nil {
		return false, err
	}
	n, err := parseRawName(der)
	if err != nil {
		return false, err
	}
	if len(parsed) != len(n) {
		return false, nil
	}
	want := make([][]string, len(n)) // in DER order
	for i, rdn := range n {
		want[i] = make([]string, len(rdn))
		for j, a := range rdn {
			want[i][j] = a.Type.String() + "=" + normalizeValue(a.Value)
		}
		sort.Strings(want[i])
	}
	for _, rdn := range parsed {
		sort.Strings(rdn)
	}
	rfcOrder, derOrder := true, true
	for i := range want {
		rfcOrder = rfcOrder && slices.Equal(want[i], parsed[len(parsed)-1-i])
		derOrder = derOrder && slices.Equal(want[i], parsed[i])
	}
	return rfcOrder || derOrder, nil
}

func normalizeValue(v asn1.RawValue) string {
	s, ok := decodeString(v)
	if !ok {
		return "#" + hex.EncodeToString(v.FullBytes)
	}
	return strings.ToLower(strings.Join(strings.Fields(s), " "))
}

// parseDNString splits an RFC 4514-like string into RDNs (in string order),
// each a list of "oid=normalized value".
func parseDNString(s string) ([][]string, error) {
	var rdns [][]string
	var cur []string
	i := 0
	for {
		for i < len(s) && s[i] == ' ' {
			i++
		}
		if i == len(s) {
			if len(rdns) == 0 && len(cur) == 0 {
				return nil, nil // the empty DN
			}
			return nil, errors.New("distinguished name ends after a separator")
		}
		eq := strings.IndexByte(s[i:], '=')
		if eq < 0 {
			return nil, fmt.Errorf("distinguished name: no '=' after %q", s[i:])
		}
		oid, err := resolveAttributeType(strings.TrimSpace(s[i : i+eq]))
		if err != nil {
			return nil, err
		}
		i += eq + 1
		for i < len(s) && s[i] == ' ' {
			i++
		}
		val, next, err := parseDNValue(s, i)
		if err != nil {
			return nil, err
		}
		cur = append(cur, oid+"="+val)
		i = next
		for i < len(s) && s[i] == ' ' {
			i++
		}
		if i == len(s) {
			return append(rdns, cur), nil
		}
		switch s[i] {
		case '+':
		case ',', ';':
			rdns = append(rdns, cur)
			cur = nil
		default:
			return nil, fmt.Errorf("distinguished name: unexpected %q", s[i])
		}
		i++
	}
}

func resolveAttributeType(t string) (string, error) {
	u := strings.ToUpper(t)
	u = strings.TrimPrefix(u, "OID.")
	if oid, ok := oidOfKeyword(u); ok {
		return oid, nil
	}
	if u == "" || strings.Trim(u, "0123456789.") != "" || strings.Contains(u, "..") || u[0] == '.' || u[len(u)-1] == '.' {
		return "", fmt.Errorf("distinguished name: unknown attribute type %q", t)
	}
	return u, nil
}

// parseDNValue reads one attribute value starting at s[i] and returns its
// normalized form and the index of the next separator (or len(s)).
func parseDNValue(s string, i int) (string, int, error) {
	if i < len(s) && s[i] == '#' {
		j := i + 1
		for j < len(s) && strings.IndexByte("0123456789abcdefABCDEF", s[j]) >= 0 {
			j++
		}
		der, err := hex.DecodeString(s[i+1 : j])
		if err != nil {
			return "", 0, fmt.Errorf("distinguished name: bad #hex value")
		}
		var v asn1.RawValue
		if rest, err := asn1.Unmarshal(der, &v); err != nil || len(rest) != 0 {
			return "", 0, fmt.Errorf("distinguished name: #hex value is not DER")
		}
		return normalizeValue(v), j, nil
	}
	var raw []byte
	quoted := i < len(s) && s[i] == '"'
	if quoted {
		i++
	}
	lastSignificant := 0 // length of raw up to the last escaped or non-space byte
	for i < len(s) {
		c := s[i]
		if quoted && c == '"' {
			i++
			return normalizeText(raw), i, nil
		}
		if !quoted && (c == ',' || c == ';' || c == '+') {
			break
		}
		if c == '\\' {
			if i+1 >= len(s) {
				return "", 0, errors.New("distinguished name: dangling '\\'")
			}
			if i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
				b, _ := hex.DecodeString(s[i+1 : i+3])
				raw = append(raw, b[0])
				i += 3
			} else {
				raw = append(raw, s[i+1])
				i += 2
			}
			lastSignificant = len(raw)
			continue
		}
		raw = append(raw, c)
		if c != ' ' {
			lastSignificant = len(raw)
		}
		i++
	}
	if quoted {
		return "", 0, errors.New("distinguished name: unterminated quoted value")
	}
	return normalizeText(raw[:lastSignificant]), i, nil
}

func normalizeText(b []byte) string {
	return strings.ToLower(strings.Join(strings.Fields(string(b)), " "))
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}
