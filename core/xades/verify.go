package xades

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	_ "crypto/sha1" // registers the hashes named by DigestMethod URIs
	_ "crypto/sha256"
	_ "crypto/sha3"
	_ "crypto/sha512"
	"crypto/x509"
	"encoding/asn1"
	"encoding/base64"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/beevik/etree"
	"github.com/ksefkit/ksefkit/core/c14n"
	"github.com/ksefkit/ksefkit/core/certs"
	"github.com/ksefkit/ksefkit/core/errs"
)

// VerifyOptions tune Verify.
type VerifyOptions struct {
	// Now is the time certificate validity is checked at (default
	// time.Now); the signing time is checked too.
	Now time.Time
	// Receipt verifies a document KSeF signed and handed out (a UPO)
	// rather than one a client sends to KSeF. A receipt outlives its
	// signer's certificate, so the certificate must have been valid at the
	// SigningTime, not at Now; and the findings about what KSeF accepts
	// from clients (RSA-PSS, answered with 9105 on auth requests) are
	// warnings, since they say nothing about whether the signature holds.
	Receipt bool
}

// Finding is one named problem. Severity "error" makes the signature
// invalid; "warning" does not.
type Finding struct {
	Code     string `json:"code"`
	Message  string `json:"message"`
	Severity string `json:"severity"`
}

// Report is the outcome of Verify.
type Report struct {
	Valid           bool        `json:"valid"`
	Findings        []Finding   `json:"findings"`
	Certificate     *certs.Info `json:"certificate,omitempty"`
	SigningTime     time.Time   `json:"signingTime,omitzero"`
	SignatureMethod string      `json:"signatureMethod,omitempty"`
	// SubjectIdentifierType is read from the AuthTokenRequest, when the
	// document is one.
	SubjectIdentifierType string `json:"subjectIdentifierType,omitempty"`
	// Identity is the identity KSeF would authenticate: the NIP/PESEL of
	// the subject for certificateSubject, the fingerprint otherwise.
	Identity *certs.Identity `json:"identity,omitempty"`
	// Certificates are the KeyInfo certificates that parse, the signing
	// one first: the material for building a chain to trusted roots.
	Certificates []*x509.Certificate `json:"-"`
}

func (r *Report) add(severity, code, format string, args ...any) {
	r.Findings = append(r.Findings, Finding{Code: code, Message: fmt.Sprintf(format, args...), Severity: severity})
}
func (r *Report) fail(code, format string, args ...any) { r.add("error", code, format, args...) }
func (r *Report) warn(code, format string, args ...any) { r.add("warning", code, format, args...) }

// Has reports whether a finding with code is present.
func (r *Report) Has(code string) bool {
	for _, f := range r.Findings {
		if f.Code == code {
			return true
		}
	}
	return false
}

// Err is nil for a valid report, else an errs.Error with code
// errs.Signature whose Findings are the codes of the error findings.
func (r *Report) Err() error {
	if r.Valid {
		return nil
	}
	e := &errs.Error{Code: errs.Signature}
	var msgs []string
	for _, f := range r.Findings {
		if f.Severity == "error" {
			e.Findings = append(e.Findings, f.Code)
			msgs = append(msgs, f.Message)
		}
	}
	e.Message = "XAdES signature invalid: " + strings.Join(msgs, "; ")
	return e
}

// Verify checks an enveloped XAdES signature the way KSeF does, and more
// strictly where KSeF is known to reject: both reference digests, the
// SignatureValue against the KeyInfo certificate, CertDigest and
// IssuerSerial against that certificate (X509IssuerName compared as a name,
// in RFC 4514 or the certificate's own RDN order: certs.MatchDN), the
// SigningTime when there is one (XAdES-BES makes it optional: a warning
// when absent), the Target/Id links, the
// SignedProperties reference Type, algorithms, key size, validity and the
// subject identity. It also reads signatures made by other tools (inclusive
// C14N 1.0/1.1 or exclusive C14N, with or without comments, XPath and
// XPath-Filter2 forms of the enveloped transform).
//
// The error is non-nil only when the input is not XML at all; signature
// problems are Findings (use Report.Err for an error value).
func Verify(signed []byte, opts VerifyOptions) (*Report, error) {
	r := &Report{}
	now := opts.Now
	if now.IsZero() {
		now = time.Now()
	}
	doc, err := parseDocument(signed)
	if err != nil {
		r.fail(FindingMalformedDocument, "%s", errs.As(err).Message)
		return r, err
	}
	v := &verifier{r: r, doc: doc, now: now, receipt: opts.Receipt}
	v.run()
	r.Valid = true
	for _, f := range r.Findings {
		if f.Severity == "error" {
			r.Valid = false
		}
	}
	return r, nil
}

type verifier struct {
	r       *Report
	doc     *etree.Document
	now     time.Time
	receipt bool
	sig     *etree.Element
	cert    *x509.Certificate
}

func (v *verifier) run() {
	root := v.doc.Root()
	sigs := findAll(root, NamespaceDSig, "Signature", nil)
	switch len(sigs) {
	case 0:
		v.r.fail(FindingNoSignature, "the document has no ds:Signature (KSeF 9102)")
		return
	case 1:
	default:
		v.r.fail(FindingMultipleSignatures, "the document has %d ds:Signature elements; KSeF accepts exactly one (9103)", len(sigs))
		return
	}
	v.sig = sigs[0]
	if v.sig.Parent() != root {
		v.r.fail(FindingNotEnveloped, "ds:Signature must be a child of the root element (enveloped)")
	} else if els := root.ChildElements(); els[len(els)-1] != v.sig {
		v.r.warn(FindingSignatureNotLastChild, "ds:Signature is not the last child of the root element")
	}
	if t, ok := v.subjectType(root); ok {
		v.r.SubjectIdentifierType = t
	}

	si := child(v.sig, NamespaceDSig, "SignedInfo")
	sv := child(v.sig, NamespaceDSig, "SignatureValue")
	if si == nil || sv == nil {
		v.r.fail(FindingMalformedSignature, "ds:Signature lacks SignedInfo or SignatureValue")
		return
	}
	v.cert = v.keyInfoCertificate()
	if v.cert != nil {
		info := certs.Inspect(v.cert)
		v.r.Certificate = &info
		v.checkCertificate()
	}
	refs := v.checkReferences(si)
	v.checkQualifyingProperties(refs)
	v.checkSignatureValue(si, sv)
}

func child(el *etree.Element, ns, local string) *etree.Element {
	if el == nil {
		return nil
	}
	for _, c := range el.ChildElements() {
		if isElement(c, ns, local) {
			return c
		}
	}
	return nil
}

func children(el *etree.Element, ns, local string) []*etree.Element {
	var out []*etree.Element
	if el == nil {
		return nil
	}
	for _, c := range el.ChildElements() {
		if isElement(c, ns, local) {
			out = append(out, c)
		}
	}
	return out
}

func attr(el *etree.Element, key string) (string, bool) {
	if el == nil {
		return "", false
	}
	for _, a := range el.Attr {
		if a.Space == "" && a.Key == key {
			return a.Value, true
		}
	}
	return "", false
}

// b64 decodes base64 element text, ignoring the whitespace and line breaks
// other tools put in it.
func b64(el *etree.Element) ([]byte, bool) {
	if el == nil {
		return nil, false
	}
	s := strings.Map(func(r rune) rune {
		if r == ' ' || r == '\t' || r == '\n' || r == '\r' {
			return -1
		}
		return r
	}, el.Text())
	b, err := base64.StdEncoding.DecodeString(s)
	return b, err == nil
}

func (v *verifier) subjectType(root *etree.Element) (string, bool) {
	if root.Tag != "AuthTokenRequest" {
		return "", false
	}
	for _, c := range root.ChildElements() {
		if c.Tag == "SubjectIdentifierType" && c.NamespaceURI() == root.NamespaceURI() {
			return strings.TrimSpace(c.Text()), true
		}
	}
	return "", false
}

func (v *verifier) keyInfoCertificate() *x509.Certificate {
	ki := child(v.sig, NamespaceDSig, "KeyInfo")
	for _, xd := range children(ki, NamespaceDSig, "X509Data") {
		for _, xc := range children(xd, NamespaceDSig, "X509Certificate") {
			der, ok := b64(xc)
			if !ok {
				continue
			}
			if c, err := x509.ParseCertificate(der); err == nil {
				v.r.Certificates = append(v.r.Certificates, c)
			}
		}
	}
	if len(v.r.Certificates) == 0 {
		v.r.fail(FindingMissingCertificate, "KeyInfo carries no readable X509Certificate; KSeF needs the signing certificate there")
		return nil
	}
	return v.r.Certificates[0] // the leaf comes first in KeyInfo by convention
}

func (v *verifier) checkCertificate() {
	switch k := v.cert.PublicKey.(type) {
	case *rsa.PublicKey:
		if k.N.BitLen() < 2048 {
			v.r.fail(FindingKeyTooSmall, "RSA key of %d bits; KSeF requires at least 2048", k.N.BitLen())
		}
	case *ecdsa.PublicKey:
		if k.Curve.Params().BitSize < 256 {
			v.r.fail(FindingKeyTooSmall, "ECDSA curve of %d bits; KSeF requires at least 256", k.Curve.Params().BitSize)
		}
	default:
		v.r.fail(FindingUnsupportedAlgorithm, "certificate key type %s is not accepted", v.cert.PublicKeyAlgorithm)
	}
	if err := certs.CheckValidity(v.cert, v.now); err != nil && !v.receipt {
		e := errs.As(err)
		v.r.fail(e.Findings[0], "%s", e.Message)
	}
	fp := certs.Fingerprint(v.cert)
	switch v.r.SubjectIdentifierType {
	case "certificateFingerprint":
		v.r.Identity = &certs.Identity{Type: "Fingerprint", Value: fp}
	case "certificateSubject":
		id := certs.SubjectIdentity(v.cert)
		v.r.Identity = &id
		if id.Type == "Fingerprint" {
			v.r.fail(FindingSubjectIdentityMismatch, "SubjectIdentifierType is certificateSubject but the certificate subject has no PNOPL/PESEL or TINPL/NIP serialNumber and no VATPL organizationIdentifier (KSeF 21406); use certificateFingerprint")
		}
		if certs.SealWithPersonalNames(v.cert) {
			v.r.fail(FindingSubjectIdentityMismatch, "a seal certificate (organizationIdentifier) must not carry givenName or surname")
		}
	}
}

// reference is a checked ds:Reference.
type reference struct {
	el     *etree.Element
	uri    string
	target *etree.Element // nil for URI=""
}

var digestAlgs = [...]struct {
	uri  string
	hash crypto.Hash
}{
	{AlgSHA1, crypto.SHA1},
	{AlgSHA224, crypto.SHA224},
	{AlgSHA256, crypto.SHA256},
	{AlgSHA384, crypto.SHA384},
	{AlgSHA512, crypto.SHA512},
	{"http://www.w3.org/2007/05/xmldsig-more#sha3-256", crypto.SHA3_256},
	{"http://www.w3.org/2007/05/xmldsig-more#sha3-384", crypto.SHA3_384},
	{"http://www.w3.org/2007/05/xmldsig-more#sha3-512", crypto.SHA3_512},
}

func digestAlgOf(uri string) (crypto.Hash, bool) {
	for _, d := range digestAlgs {
		if d.uri == uri {
			return d.hash, true
		}
	}
	return 0, false
}

// digestOf hashes data with the DigestMethod of el's parent, reporting SHA-1.
func (v *verifier) digestOf(dm *etree.Element, data []byte, what string) ([]byte, bool) {
	if dm == nil {
		v.r.fail(FindingMalformedSignature, "%s has no DigestMethod", what)
		return nil, false
	}
	alg, _ := attr(dm, "Algorithm")
	h, ok := digestAlgOf(alg)
	if !ok {
		v.r.fail(FindingUnsupportedAlgorithm, "%s: unsupported digest algorithm %q", what, alg)
		return nil, false
	}
	if h == crypto.SHA1 {
		v.r.fail(FindingSHA1Digest, "%s uses SHA-1; KSeF PRD/DEMO reject SHA-1 digests (9105)", what)
	}
	hh := h.New()
	hh.Write(data)
	return hh.Sum(nil), true
}

func (v *verifier) checkReferences(si *etree.Element) []reference {
	var refs []reference
	sawDoc := false
	for _, ref := range children(si, NamespaceDSig, "Reference") {
		uri, hasURI := attr(ref, "URI")
		rf := reference{el: ref, uri: uri}
		what := fmt.Sprintf("Reference URI=%q", uri)
		var data []byte
		var err error
		isDoc := false
		switch {
		case hasURI && uri == "":
			isDoc = true
			data, err = v.transform(ref, nil)
		case strings.HasPrefix(uri, "#"):
			targets := v.byID(uri[1:])
			if len(targets) != 1 {
				v.r.fail(FindingReferenceNotFound, "%s matches %d elements, want exactly 1", what, len(targets))
				continue
			}
			rf.target = targets[0]
			isDoc = rf.target == v.doc.Root()
			data, err = v.transform(ref, rf.target)
		default:
			v.r.fail(FindingReferenceNotFound, "%s: only same-document references are supported", what)
			continue
		}
		if err != nil {
			v.r.fail(FindingUnsupportedTransform, "%s: %v", what, err)
			continue
		}
		refs = append(refs, rf)
		got, ok := v.digestOf(child(ref, NamespaceDSig, "DigestMethod"), data, what)
		if !ok {
			continue
		}
		want, ok := b64(child(ref, NamespaceDSig, "DigestValue"))
		if !ok || !bytes.Equal(got, want) {
			code := FindingReferenceDigestMismatch
			msg := "%s: digest does not match the referenced content"
			switch {
			case isDoc:
				code, msg = FindingDocumentDigestMismatch, "%s: the document changed after signing (a re-indent or added whitespace is enough)"
			case rf.target != nil && isElement(rf.target, NamespaceXAdES, "SignedProperties"):
				code, msg = FindingSignedPropertiesDigestMismatch, "%s: SignedProperties changed after signing"
			}
			v.r.fail(code, msg, what)
		}
		sawDoc = sawDoc || isDoc
	}
	if !sawDoc {
		v.r.fail(FindingMissingDocumentReference, "no Reference covers the document (URI=\"\" with the enveloped-signature transform)")
	}
	return refs
}

// byID finds the elements whose Id (or ID/id) attribute is id. More than
// one is an ambiguity that signature-wrapping attacks exploit.
func (v *verifier) byID(id string) []*etree.Element {
	var out []*etree.Element
	var walk func(*etree.Element)
	walk = func(el *etree.Element) {
		for _, a := range el.Attr {
			if a.Space == "" && (a.Key == "Id" || a.Key == "ID" || a.Key == "id") && a.Value == id {
				out = append(out, el)
				break
			}
		}
		for _, c := range el.ChildElements() {
			walk(c)
		}
	}
	walk(v.doc.Root())
	return out
}

// canonicalizer returns the options for a C14N algorithm URI. comments
// says whether the caller may keep comments at all: a Reference's
// transforms may not (XML-DSig §4.4.3.3), SignedInfo's method may. The
// PrefixList applies to exclusive C14N only.
func canonicalizer(alg, prefixList string, comments bool) (c14n.Options, bool) {
	m, withComments, ok := c14n.ByAlgorithm(alg)
	if !ok {
		return c14n.Options{}, false
	}
	o := c14n.Options{Method: m, WithComments: withComments && comments}
	if m == c14n.Exclusive10 {
		o.InclusivePrefixes = c14n.SplitPrefixList(prefixList)
	}
	return o, true
}

func prefixListOf(el *etree.Element) string {
	for _, c := range el.ChildElements() {
		if c.Tag == "InclusiveNamespaces" {
			p, _ := attr(c, "PrefixList")
			return p
		}
	}
	return ""
}

// transform applies a Reference's transforms to target (nil: the whole
// document) and returns the octets to digest. Same-document references
// exclude comments whatever the C14N variant says (XML-DSig §4.4.3.3).
func (v *verifier) transform(ref, target *etree.Element) ([]byte, error) {
	removeSignature, removeAll := false, false
	var c c14n.Options // C14N 1.0, the default for node-sets
	canonicalized := false
	for i, t := range children(child(ref, NamespaceDSig, "Transforms"), NamespaceDSig, "Transform") {
		if canonicalized {
			return nil, fmt.Errorf("transform %d follows canonicalization", i+1)
		}
		alg, _ := attr(t, "Algorithm")
		switch alg {
		case AlgEnveloped:
			removeSignature = true
		case AlgXPath:
			x := child(t, NamespaceDSig, "XPath")
			if x == nil || !isNotAncestorOrSelfSignature(x) {
				return nil, fmt.Errorf("only the XPath not(ancestor-or-self::ds:Signature) is supported")
			}
			removeAll = true
		case AlgXPathFilter2:
			x := child(t, AlgXPathFilter2, "XPath")
			f, _ := attr(x, "Filter")
			if x == nil || f != "subtract" || !isDescendantSignature(x) {
				return nil, fmt.Errorf("only the XPath-Filter2 subtract /descendant::ds:Signature is supported")
			}
			removeAll = true
		default:
			cc, ok := canonicalizer(alg, prefixListOf(t), false)
			if !ok {
				return nil, fmt.Errorf("transform %q is not supported", alg)
			}
			c, canonicalized = cc, true
		}
	}
	var exclude func(*etree.Element) bool
	switch {
	case removeAll:
		exclude = isSignature
	case removeSignature:
		// The enveloped-signature transform removes the signature that
		// holds it, which is v.sig (run checked there is exactly one).
		exclude = func(el *etree.Element) bool { return el == v.sig }
	}
	if target == nil {
		return canonicalDocument(v.doc, c, exclude)
	}
	return canonicalSubtree(target, c, exclude)
}

// isSignature selects the ds:Signature elements, which the XPath forms of
// the enveloped transform remove.
func isSignature(el *etree.Element) bool { return isElement(el, NamespaceDSig, "Signature") }

func isNotAncestorOrSelfSignature(x *etree.Element) bool {
	s := strings.Join(strings.Fields(x.Text()), "")
	p, ok := strings.CutPrefix(s, "not(ancestor-or-self::")
	if !ok {
		return false
	}
	prefix, ok := strings.CutSuffix(p, ":Signature)")
	return ok && prefixBoundTo(x, prefix, NamespaceDSig)
}

func isDescendantSignature(x *etree.Element) bool {
	s := strings.TrimSpace(x.Text())
	p, ok := strings.CutPrefix(s, "/descendant::")
	if !ok {
		return false
	}
	prefix, ok := strings.CutSuffix(p, ":Signature")
	return ok && prefixBoundTo(x, prefix, NamespaceDSig)
}

func prefixBoundTo(el *etree.Element, prefix, ns string) bool {
	for e := el; e != nil; e = e.Parent() {
		for _, a := range e.Attr {
			if a.Space == "xmlns" && a.Key == prefix {
				return a.Value == ns
			}
		}
	}
	return false
}

func (v *verifier) checkQualifyingProperties(refs []reference) {
	var qp *etree.Element
	for _, obj := range children(v.sig, NamespaceDSig, "Object") {
		if q := child(obj, NamespaceXAdES, "QualifyingProperties"); q != nil {
			qp = q
			break
		}
	}
	sp := child(qp, NamespaceXAdES, "SignedProperties")
	if sp == nil {
		v.r.fail(FindingMissingSignedProperties, "no ds:Object/xades:QualifyingProperties/xades:SignedProperties (XAdES 1.3.2); KSeF requires a XAdES profile")
		v.r.fail(FindingMissingSigningCertificate, "no SigningCertificate")
		v.noSigningTime("no SigningTime")
		return
	}
	sigID, _ := attr(v.sig, "Id")
	if target, _ := attr(qp, "Target"); sigID == "" || target != "#"+sigID {
		v.r.fail(FindingTargetMismatch, "QualifyingProperties Target %q does not point at the Signature Id %q", target, sigID)
	}
	spID, _ := attr(sp, "Id")
	var spRef *reference
	for i := range refs {
		if refs[i].target == sp {
			spRef = &refs[i]
		}
	}
	switch {
	case spRef == nil:
		v.r.fail(FindingMissingSignedPropertiesRef, "SignedInfo has no Reference to SignedProperties (Id %q)", spID)
	default:
		if typ, _ := attr(spRef.el, "Type"); typ != TypeSignedProperties {
			v.r.fail(FindingReferenceTypeMissing, "the Reference to SignedProperties lacks Type=%q", TypeSignedProperties)
		}
	}

	ssp := child(sp, NamespaceXAdES, "SignedSignatureProperties")
	if st := child(ssp, NamespaceXAdES, "SigningTime"); st == nil {
		v.noSigningTime("SignedSignatureProperties has no SigningTime")
	} else if t, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(st.Text())); err != nil {
		v.r.fail(FindingMalformedSignature, "SigningTime %q is not an xsd:dateTime with a time zone", st.Text())
	} else {
		v.r.SigningTime = t.UTC()
		if t.After(v.now.Add(5 * time.Minute)) {
			v.r.warn(FindingSigningTimeInFuture, "SigningTime %s is in the future", t.UTC().Format(SigningTimeLayout))
		}
		if v.cert != nil && (t.Before(v.cert.NotBefore) || t.After(v.cert.NotAfter)) {
			v.r.fail(FindingCertificateExpired, "the certificate was not valid at SigningTime %s", t.UTC().Format(SigningTimeLayout))
		}
	}
	sc := child(ssp, NamespaceXAdES, "SigningCertificate")
	v2 := false
	if sc == nil {
		sc, v2 = child(ssp, NamespaceXAdES, "SigningCertificateV2"), true
	}
	if sc == nil {
		v.r.fail(FindingMissingSigningCertificate, "SignedSignatureProperties has no SigningCertificate (or V2)")
		return
	}
	if v.cert != nil {
		v.checkSigningCertificate(sc, v2)
	}
}

// noSigningTime reports a signature without SigningTime. XAdES-BES makes
// the property optional and KSeF accepts such signatures (with its sig-001
// warning at most), so it is a warning; the checks against the signing
// time do not apply. A receipt's certificate, which would be checked at
// the signing time, is checked at Now instead: without a claimed time
// there is nothing earlier to hold it to.
func (v *verifier) noSigningTime(msg string) {
	v.r.warn(FindingMissingSigningTime, "%s (optional in XAdES-BES; KSeF accepts it with the sig-001 warning)", msg)
	if v.receipt && v.cert != nil {
		if err := certs.CheckValidity(v.cert, v.now); err != nil {
			e := errs.As(err)
			v.r.fail(e.Findings[0], "%s (the signature claims no SigningTime)", e.Message)
		}
	}
}

// checkSigningCertificate finds the Cert entry whose digest matches the
// KeyInfo certificate and checks its IssuerSerial.
func (v *verifier) checkSigningCertificate(sc *etree.Element, v2 bool) {
	for _, c := range children(sc, NamespaceXAdES, "Cert") {
		cd := child(c, NamespaceXAdES, "CertDigest")
		got, ok := v.digestOf(child(cd, NamespaceDSig, "DigestMethod"), v.cert.Raw, "CertDigest")
		if !ok {
			return
		}
		want, ok := b64(child(cd, NamespaceDSig, "DigestValue"))
		if !ok || !bytes.Equal(got, want) {
			continue
		}
		if v2 {
			v.checkIssuerSerialV2(child(c, NamespaceXAdES, "IssuerSerialV2"))
		} else {
			v.checkIssuerSerial(child(c, NamespaceXAdES, "IssuerSerial"))
		}
		return
	}
	v.r.fail(FindingCertDigestMismatch, "no SigningCertificate CertDigest matches the KeyInfo certificate")
}

func (v *verifier) checkIssuerSerial(is *etree.Element) {
	if is == nil {
		v.r.fail(FindingIssuerSerialMismatch, "SigningCertificate/Cert has no IssuerSerial")
		return
	}
	name := child(is, NamespaceDSig, "X509IssuerName")
	serial := child(is, NamespaceDSig, "X509SerialNumber")
	var n *big.Int
	ok := false
	if serial != nil {
		n, ok = new(big.Int).SetString(strings.TrimSpace(serial.Text()), 10)
	}
	if !ok || n.Cmp(v.cert.SerialNumber) != 0 {
		v.r.fail(FindingIssuerSerialMismatch, "X509SerialNumber does not match the certificate serial %s", v.cert.SerialNumber)
		return
	}
	if name == nil {
		v.r.fail(FindingIssuerSerialMismatch, "IssuerSerial has no X509IssuerName")
		return
	}
	ok, err := certs.MatchDN(name.Text(), v.cert.RawIssuer)
	switch {
	case err != nil:
		v.r.warn(FindingIssuerSerialMismatch, "X509IssuerName %q could not be parsed (%v)", name.Text(), err)
	case !ok:
		v.r.fail(FindingIssuerSerialMismatch, "X509IssuerName %q does not name the certificate issuer", name.Text())
	}
}

// checkIssuerSerialV2 reads base64 DER IssuerSerial{GeneralNames, serial}.
func (v *verifier) checkIssuerSerialV2(el *etree.Element) {
	if el == nil {
		return // optional in SigningCertificateV2
	}
	der, ok := b64(el)
	var is struct {
		Issuer asn1.RawValue
		Serial *big.Int
	}
	if ok {
		_, err := asn1.Unmarshal(der, &is)
		ok = err == nil && is.Serial != nil
	}
	if !ok || is.Serial.Cmp(v.cert.SerialNumber) != 0 || !bytes.Contains(is.Issuer.Bytes, v.cert.RawIssuer) {
		v.r.fail(FindingIssuerSerialMismatch, "IssuerSerialV2 does not match the certificate issuer and serial")
	}
}

type sigMethod struct {
	hash crypto.Hash
	key  string // "RSA", "ECDSA"
	pss  bool
}

// sigMethods is a flat array, not a map: Go builds map literals with code
// at start-up, and the wasm module sits at its size budget.
var sigMethods = [...]struct {
	uri string
	sigMethod
}{
	{AlgRSASHA1, sigMethod{crypto.SHA1, "RSA", false}},
	{"http://www.w3.org/2001/04/xmldsig-more#rsa-sha224", sigMethod{crypto.SHA224, "RSA", false}},
	{AlgRSASHA256, sigMethod{crypto.SHA256, "RSA", false}},
	{AlgRSASHA384, sigMethod{crypto.SHA384, "RSA", false}},
	{AlgRSASHA512, sigMethod{crypto.SHA512, "RSA", false}},
	{AlgECDSASHA1, sigMethod{crypto.SHA1, "ECDSA", false}},
	{"http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha224", sigMethod{crypto.SHA224, "ECDSA", false}},
	{AlgECDSASHA256, sigMethod{crypto.SHA256, "ECDSA", false}},
	{AlgECDSASHA384, sigMethod{crypto.SHA384, "ECDSA", false}},
	{AlgECDSASHA512, sigMethod{crypto.SHA512, "ECDSA", false}},
	{"http://www.w3.org/2007/05/xmldsig-more#sha1-rsa-MGF1", sigMethod{crypto.SHA1, "RSA", true}},
	{"http://www.w3.org/2007/05/xmldsig-more#sha224-rsa-MGF1", sigMethod{crypto.SHA224, "RSA", true}},
	{"http://www.w3.org/2007/05/xmldsig-more#sha256-rsa-MGF1", sigMethod{crypto.SHA256, "RSA", true}},
	{"http://www.w3.org/2007/05/xmldsig-more#sha384-rsa-MGF1", sigMethod{crypto.SHA384, "RSA", true}},
	{"http://www.w3.org/2007/05/xmldsig-more#sha512-rsa-MGF1", sigMethod{crypto.SHA512, "RSA", true}},
	{"http://www.w3.org/2007/05/xmldsig-more#sha3-256-rsa-MGF1", sigMethod{crypto.SHA3_256, "RSA", true}},
	{"http://www.w3.org/2021/04/xmldsig-more#ecdsa-sha3-256", sigMethod{crypto.SHA3_256, "ECDSA", false}},
	{"http://www.w3.org/2021/04/xmldsig-more#ecdsa-sha3-384", sigMethod{crypto.SHA3_384, "ECDSA", false}},
	{"http://www.w3.org/2021/04/xmldsig-more#ecdsa-sha3-512", sigMethod{crypto.SHA3_512, "ECDSA", false}},
}

func sigMethodOf(uri string) (sigMethod, bool) {
	for _, m := range sigMethods {
		if m.uri == uri {
			return m.sigMethod, true
		}
	}
	return sigMethod{}, false
}

func (v *verifier) checkSignatureValue(si, sv *etree.Element) {
	cm := child(si, NamespaceDSig, "CanonicalizationMethod")
	smEl := child(si, NamespaceDSig, "SignatureMethod")
	if cm == nil || smEl == nil {
		v.r.fail(FindingMalformedSignature, "SignedInfo lacks CanonicalizationMethod or SignatureMethod")
		return
	}
	method, _ := attr(smEl, "Algorithm")
	v.r.SignatureMethod = method
	sm, ok := sigMethodOf(method)
	if !ok {
		v.r.fail(FindingUnsupportedAlgorithm, "SignatureMethod %q is not supported", method)
		return
	}
	if sm.pss && v.receipt {
		v.r.warn(FindingRSAPSS, "an RSA-PSS signature: sound, though KSeF rejects it on requests from clients (ksef-api#162)")
	} else if sm.pss {
		v.r.fail(FindingRSAPSS, "RSA-PSS signatures were rejected by KSeF with 9105 (ksef-api#162); use rsa-sha256 (PKCS#1 v1.5)")
	}
	if sm.hash == crypto.SHA1 {
		v.r.fail(FindingSHA1Signature, "SignatureMethod uses SHA-1; KSeF PRD/DEMO reject it (9105)")
	}
	calg, _ := attr(cm, "Algorithm")
	c, ok := canonicalizer(calg, prefixListOf(cm), true)
	if !ok {
		v.r.fail(FindingUnsupportedAlgorithm, "CanonicalizationMethod %q is not supported", calg)
		return
	}
	if v.cert == nil {
		return
	}
	canon, err := canonicalSubtree(si, c, nil)
	if err != nil {
		v.r.fail(FindingMalformedSignature, "SignedInfo cannot be canonicalized: %v", err)
		return
	}
	h := sm.hash.New()
	h.Write(canon)
	digest := h.Sum(nil)
	sig, ok := b64(sv)
	if !ok {
		v.r.fail(FindingSignatureValueInvalid, "SignatureValue is not base64")
		return
	}
	valid := false
	switch pub := v.cert.PublicKey.(type) {
	case *rsa.PublicKey:
		if sm.key != "RSA" {
			break
		}
		if sm.pss {
			valid = rsa.VerifyPSS(pub, sm.hash, digest, sig, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthAuto}) == nil
		} else {
			valid = rsa.VerifyPKCS1v15(pub, sm.hash, digest, sig) == nil
		}
	case *ecdsa.PublicKey:
		if sm.key != "ECDSA" {
			break
		}
		size := (pub.Curve.Params().BitSize + 7) / 8
		if len(sig) != 2*size {
			if raw, isDER := derToRaw(sig, size); isDER {
				v.r.fail(FindingECDSADERSignature, "the ECDSA SignatureValue is ASN.1 DER; XML-DSig and KSeF require raw r||s of %d bytes", 2*size)
				r, s := rawToInts(raw)
				if !ecdsa.Verify(pub, digest, r, s) {
					v.r.fail(FindingSignatureValueInvalid, "the DER ECDSA signature does not verify either")
				}
				return
			}
			break
		}
		r, s := rawToInts(sig)
		valid = ecdsa.Verify(pub, digest, r, s)
	}
	if !valid {
		v.r.fail(FindingSignatureValueInvalid, "SignatureValue does not verify with the KeyInfo certificate's key (%s)", method)
	}
}
