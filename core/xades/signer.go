package xades

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/ksefkit/ksefkit/core/c14n"
	"github.com/ksefkit/ksefkit/core/certs"
	"github.com/ksefkit/ksefkit/core/errs"
	"github.com/ksefkit/ksefkit/core/secret"
)

// Options are the per-signature inputs. Zero values are filled in: signing
// time = now − 1 minute (UTC, whole seconds; absorbs clock skew as the
// official C# client does), random NCName ids, crypto/rand.
type Options struct {
	SigningTime        time.Time
	SignatureID        string
	SignedPropertiesID string
	ReferenceID        string
	// Rand feeds the random ids and the signer. Since Go 1.26 the standard
	// library's ECDSA ignores it; RSA PKCS#1 v1.5 is deterministic anyway.
	Rand io.Reader
}

// SigningTimeLayout is how SigningTime is written: xsd:dateTime in UTC.
const SigningTimeLayout = "2006-01-02T15:04:05Z"

// algorithm is the signature algorithm chosen for a key.
type algorithm struct {
	keyType string // "RSA" or "ECDSA"
	method  string // SignatureMethod URI
	hash    crypto.Hash
	size    int // ECDSA: bytes of r and of s; RSA: modulus bytes
}

func algorithmFor(pub crypto.PublicKey) (algorithm, error) {
	if err := certs.CheckPublicKey(pub); err != nil {
		return algorithm{}, err
	}
	switch k := pub.(type) {
	case *rsa.PublicKey:
		// PKCS#1 v1.5: KSeF answered PSS with 9105 (ksef-api#162).
		return algorithm{"RSA", AlgRSASHA256, crypto.SHA256, k.Size()}, nil
	case *ecdsa.PublicKey:
		// The digest matches the curve strength, as EU DSS does.
		size := (k.Curve.Params().BitSize + 7) / 8
		switch k.Curve {
		case elliptic.P384():
			return algorithm{"ECDSA", AlgECDSASHA384, crypto.SHA384, size}, nil
		case elliptic.P521():
			return algorithm{"ECDSA", AlgECDSASHA512, crypto.SHA512, size}, nil
		}
		return algorithm{"ECDSA", AlgECDSASHA256, crypto.SHA256, size}, nil
	}
	return algorithm{}, errs.New(errs.InputInvalid, "unsupported key type %T", pub)
}

// certContext is everything about the certificate that goes into every
// signature, computed once.
type certContext struct {
	cert       *x509.Certificate
	alg        algorithm
	keyInfo    []byte // <ds:KeyInfo>…</ds:KeyInfo>
	certDigest []byte // base64 SHA-256 of the DER
	issuer     []byte // XML-escaped RFC 4514 issuer
	serial     []byte // decimal
}

func newCertContext(cert *x509.Certificate) (*certContext, error) {
	if cert == nil {
		return nil, errs.Invalid("certificate", "no certificate")
	}
	alg, err := algorithmFor(cert.PublicKey)
	if err != nil {
		return nil, err
	}
	// DNStrict: EU DSS (KSeF's likely validator) parses X509IssuerName with
	// Java's X500Principal, which rejects keywords like SN or
	// organizationIdentifier but reads OID=#hex exactly.
	issuer, err := certs.FormatDN(cert.RawIssuer, certs.DNStrict)
	if err != nil {
		return nil, errs.Wrap(errs.InputInvalid, err, "certificate issuer")
	}
	sum := sha256.Sum256(cert.Raw)
	c := &certContext{cert: cert, alg: alg}
	c.certDigest = base64.StdEncoding.AppendEncode(nil, sum[:])
	c.issuer = appendEscapedText(nil, issuer)
	c.serial = cert.SerialNumber.Append(nil, 10)
	c.keyInfo = append(c.keyInfo, "<ds:KeyInfo><ds:X509Data><ds:X509Certificate>"...)
	c.keyInfo = base64.StdEncoding.AppendEncode(c.keyInfo, cert.Raw)
	c.keyInfo = append(c.keyInfo, "</ds:X509Certificate></ds:X509Data></ds:KeyInfo>"...)
	return c, nil
}

// Signer signs AuthTokenRequest documents with one key and certificate.
// It is safe for concurrent use if the key is.
type Signer struct {
	key crypto.Signer
	cc  *certContext
}

// NewSigner checks that key belongs to cert and is a key KSeF accepts, and
// precomputes the per-certificate parts of the signature.
func NewSigner(key crypto.Signer, cert *x509.Certificate) (*Signer, error) {
	if key == nil {
		return nil, errs.Invalid("key", "no signing key")
	}
	cc, err := newCertContext(cert)
	if err != nil {
		return nil, err
	}
	if k, ok := cert.PublicKey.(interface{ Equal(crypto.PublicKey) bool }); !ok || !k.Equal(key.Public()) {
		e := errs.New(errs.Crypto, "the signing key does not belong to the certificate")
		e.Findings = []string{certs.FindingKeyMismatch}
		return nil, e
	}
	return &Signer{key: key, cc: cc}, nil
}

// Certificate returns the signing certificate.
func (s *Signer) Certificate() *x509.Certificate { return s.cc.cert }

// SignatureMethod returns the SignatureMethod URI used for this key.
func (s *Signer) SignatureMethod() string { return s.cc.alg.method }

// Sign returns doc with the enveloped signature inserted before the root's
// closing tag. Every other byte of doc is kept; post the result as is.
func (s *Signer) Sign(doc []byte, opts Options) ([]byte, error) {
	p, err := s.cc.prepare(doc, opts)
	if err != nil {
		return nil, err
	}
	r := opts.Rand
	if r == nil {
		r = rand.Reader
	}
	sig, err := s.key.Sign(r, p.Digest, p.Hash)
	if err != nil {
		return nil, errs.Wrap(errs.Crypto, err, "signing")
	}
	if s.cc.alg.keyType == "ECDSA" {
		// crypto.Signer gives ASN.1 DER; XML-DSig wants fixed-width r||s.
		raw, ok := derToRaw(sig, s.cc.alg.size)
		if !ok {
			return nil, errs.New(errs.Crypto, "the signer returned a malformed ECDSA signature")
		}
		sig = raw
	}
	return p.insertValue(sig), nil
}

// resolved are the options with defaults applied.
type resolved struct {
	time               string
	sigID, spID, refID string
}

func resolveOptions(opts Options) (resolved, time.Time, error) {
	t := opts.SigningTime
	if t.IsZero() {
		t = time.Now().Add(-time.Minute)
	}
	t = t.UTC().Truncate(time.Second)
	r := resolved{time: t.Format(SigningTimeLayout), sigID: opts.SignatureID, spID: opts.SignedPropertiesID, refID: opts.ReferenceID}
	if r.sigID == "" || r.spID == "" || r.refID == "" {
		var b [24]byte
		src := opts.Rand
		if src == nil {
			src = rand.Reader
		}
		if _, err := io.ReadFull(src, b[:]); err != nil {
			return r, t, errs.Wrap(errs.Crypto, err, "reading random ids")
		}
		if r.sigID == "" {
			r.sigID = "Signature-" + hex.EncodeToString(b[0:8])
		}
		if r.spID == "" {
			r.spID = "SignedProperties-" + hex.EncodeToString(b[8:16])
		}
		if r.refID == "" {
			r.refID = "Reference-" + hex.EncodeToString(b[16:24])
		}
	}
	for _, id := range [...]struct{ field, v string }{{"signatureId", r.sigID}, {"signedPropertiesId", r.spID}, {"referenceId", r.refID}} {
		if !isNCName(id.v) {
			return r, t, errs.Invalid(id.field, "id (%s) is not an XML NCName (letter or _ first, then letters, digits, . - _)", errs.Shape(id.v))
		}
	}
	if r.sigID == r.spID || r.sigID == r.refID || r.spID == r.refID {
		return r, t, errs.Invalid("signatureId", "the three ids must differ")
	}
	return r, t, nil
}

// isNCName accepts the ASCII subset of NCName, which is all we generate and
// keeps ids free of anything needing escaping.
func isNCName(s string) bool {
	if s == "" || len(s) > 256 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', c == '_':
		case i > 0 && ('0' <= c && c <= '9' || c == '-' || c == '.'):
		default:
			return false
		}
	}
	return true
}

// excC14N is the canonicalization the signer names everywhere (AlgExcC14N).
var excC14N = c14n.Options{Method: c14n.Exclusive10}

// prepare computes both reference digests and the SignedInfo digest, and
// lays out the output around the SignatureValue.
func (c *certContext) prepare(doc []byte, opts Options) (*Pending, error) {
	o, t, err := resolveOptions(opts)
	if err != nil {
		return nil, err
	}
	if err := certs.CheckValidity(c.cert, t); err != nil {
		return nil, err
	}
	d, err := parseDocument(doc)
	if err != nil {
		return nil, err
	}
	if sigs := findAll(d.Root(), NamespaceDSig, "Signature", nil); len(sigs) > 0 {
		e := errs.Invalid("document", "the document already contains a ds:Signature; KSeF accepts exactly one (9103)")
		e.Findings = []string{FindingDocumentAlreadySigned}
		return nil, e
	}
	canon, err := canonicalDocument(d, excC14N, nil)
	if err != nil {
		return nil, invalidDoc("canonicalization failed: %v", err)
	}
	docDigest := sha256.Sum256(canon)
	off, err := rootEndOffset(doc)
	if err != nil {
		return nil, err
	}

	// One scratch buffer holds the canonical SignedProperties, then the
	// canonical SignedInfo.
	// Sized for both fragments so that it never regrows.
	scratch := make([]byte, 0, 2560+2*len(c.issuer)+3*(len(o.sigID)+len(o.spID)+len(o.refID)))
	scratch = c.appendSignedProperties(scratch, true, o)
	spDigest := sha256.Sum256(scratch)

	siStart := len(scratch)
	scratch = append(scratch, `<ds:SignedInfo xmlns:ds="`+NamespaceDSig+`">`...)
	bodyStart := len(scratch)
	scratch = c.appendSignedInfoBody(scratch, o, docDigest[:], spDigest[:])
	body := scratch[bodyStart:]
	scratch = append(scratch, "</ds:SignedInfo>"...)
	var digest []byte
	if c.alg.hash == crypto.SHA256 {
		sum := sha256.Sum256(scratch[siStart:]) // no hash.Hash allocation
		digest = sum[:]
	} else {
		h := c.alg.hash.New()
		h.Write(scratch[siStart:])
		digest = h.Sum(nil)
	}

	// The capacity leaves room for the base64 SignatureValue, which
	// insertValue fills in place.
	out := make([]byte, 0, len(doc)+len(scratch)+len(c.keyInfo)+300+base64.StdEncoding.EncodedLen(2*c.alg.size))
	out = append(out, doc[:off]...)
	out = append(out, `<ds:Signature xmlns:ds="`+NamespaceDSig+`" Id="`...)
	out = append(out, o.sigID...)
	out = append(out, `"><ds:SignedInfo>`...)
	out = append(out, body...)
	out = append(out, "</ds:SignedInfo><ds:SignatureValue>"...)
	head := len(out)
	out = append(out, "</ds:SignatureValue>"...)
	out = append(out, c.keyInfo...)
	out = append(out, `<ds:Object><xades:QualifyingProperties xmlns:xades="`+NamespaceXAdES+`" Target="#`...)
	out = append(out, o.sigID...)
	out = append(out, `">`...)
	out = c.appendSignedProperties(out, false, o)
	out = append(out, "</xades:QualifyingProperties></ds:Object></ds:Signature>"...)
	out = append(out, doc[off:]...)

	return &Pending{
		Digest:          digest,
		Hash:            c.alg.hash,
		SignatureMethod: c.alg.method,
		KeyType:         c.alg.keyType,
		cc:              c,
		out:             out,
		head:            head,
		doc:             doc,
		opts:            o,
	}, nil
}

// appendSignedProperties writes SignedProperties. With canonical set it
// adds the namespace declarations exclusive C14N puts on the subtree apex
// and on each ds: element (no output ancestor declares ds there); without,
// they are inherited from QualifyingProperties and Signature. Attribute
// order is canonical in both forms.
func (c *certContext) appendSignedProperties(b []byte, canonical bool, o resolved) []byte {
	ds := ""
	if canonical {
		ds = ` xmlns:ds="` + NamespaceDSig + `"`
		b = append(b, `<xades:SignedProperties xmlns:xades="`+NamespaceXAdES+`" Id="`...)
	} else {
		b = append(b, `<xades:SignedProperties Id="`...)
	}
	b = append(b, o.spID...)
	b = append(b, `"><xades:SignedSignatureProperties><xades:SigningTime>`...)
	b = append(b, o.time...)
	b = append(b, `</xades:SigningTime><xades:SigningCertificate><xades:Cert><xades:CertDigest><ds:DigestMethod`...)
	b = append(b, ds...)
	b = append(b, ` Algorithm="`+AlgSHA256+`"></ds:DigestMethod><ds:DigestValue`...)
	b = append(b, ds...)
	b = append(b, '>')
	b = append(b, c.certDigest...)
	b = append(b, `</ds:DigestValue></xades:CertDigest><xades:IssuerSerial><ds:X509IssuerName`...)
	b = append(b, ds...)
	b = append(b, '>')
	b = append(b, c.issuer...)
	b = append(b, `</ds:X509IssuerName><ds:X509SerialNumber`...)
	b = append(b, ds...)
	b = append(b, '>')
	b = append(b, c.serial...)
	b = append(b, `</ds:X509SerialNumber></xades:IssuerSerial></xades:Cert></xades:SigningCertificate></xades:SignedSignatureProperties>`+
		`<xades:SignedDataObjectProperties><xades:DataObjectFormat ObjectReference="#`...)
	b = append(b, o.refID...)
	b = append(b, `"><xades:MimeType>text/xml</xades:MimeType></xades:DataObjectFormat></xades:SignedDataObjectProperties></xades:SignedProperties>`...)
	return b
}

// appendSignedInfoBody writes the children of SignedInfo, identical in the
// document and in canonical form (all ds:, namespace declared above).
func (c *certContext) appendSignedInfoBody(b []byte, o resolved, docDigest, spDigest []byte) []byte {
	b = append(b, `<ds:CanonicalizationMethod Algorithm="`+AlgExcC14N+`"></ds:CanonicalizationMethod><ds:SignatureMethod Algorithm="`...)
	b = append(b, c.alg.method...)
	b = append(b, `"></ds:SignatureMethod><ds:Reference Id="`...)
	b = append(b, o.refID...)
	b = append(b, `" URI=""><ds:Transforms><ds:Transform Algorithm="`+AlgEnveloped+`"></ds:Transform><ds:Transform Algorithm="`+AlgExcC14N+`"></ds:Transform></ds:Transforms>`+
		`<ds:DigestMethod Algorithm="`+AlgSHA256+`"></ds:DigestMethod><ds:DigestValue>`...)
	b = base64.StdEncoding.AppendEncode(b, docDigest)
	b = append(b, `</ds:DigestValue></ds:Reference><ds:Reference Type="`+TypeSignedProperties+`" URI="#`...)
	b = append(b, o.spID...)
	b = append(b, `"><ds:Transforms><ds:Transform Algorithm="`+AlgExcC14N+`"></ds:Transform></ds:Transforms>`+
		`<ds:DigestMethod Algorithm="`+AlgSHA256+`"></ds:DigestMethod><ds:DigestValue>`...)
	b = base64.StdEncoding.AppendEncode(b, spDigest)
	b = append(b, `</ds:DigestValue></ds:Reference>`...)
	return b
}

// appendEscapedText escapes character data the way canonical XML does.
func appendEscapedText(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '&':
			b = append(b, "&amp;"...)
		case '<':
			b = append(b, "&lt;"...)
		case '>':
			b = append(b, "&gt;"...)
		case '\r':
			b = append(b, "&#xD;"...)
		default:
			b = append(b, c)
		}
	}
	return b
}

// The printed forms of a Signer name its certificate and never its key
// (value receivers, so a Signer and a *Signer print alike; a zero Signer
// prints too).
func (s Signer) String() string {
	if s.cc == nil {
		return "xades.Signer{}"
	}
	return "xades.Signer{" + s.cc.alg.keyType + ", " + certs.Inspect(s.cc.cert).Subject + ", key " + secret.Redacted + "}"
}
func (s Signer) GoString() string             { return s.String() }
func (s Signer) Format(f fmt.State, _ rune)   { _, _ = io.WriteString(f, s.String()) }
func (s Signer) LogValue() slog.Value         { return slog.StringValue(s.String()) }
func (s Signer) MarshalJSON() ([]byte, error) { return json.Marshal(s.String()) }
