package certs

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"io"
	"math/big"
	"time"

	"github.com/ksefkit/ksefkit/core/errs"
	"github.com/ksefkit/ksefkit/core/ids"
	"github.com/ksefkit/ksefkit/core/secret"
	"software.sslmate.com/src/go-pkcs12"
)

// TestOptions describes a self-signed certificate for the KSeF TEST
// environment, shaped like the ones MF's own tools generate (protocol.md
// §5.4). Only TEST accepts self-signed certificates.
type TestOptions struct {
	// Kind is "personal" (default) or "seal".
	Kind string
	// NIP: a personal certificate carries serialNumber TINPL-<NIP>, a seal
	// organizationIdentifier VATPL-<NIP>. A personal certificate takes
	// either NIP or PESEL (serialNumber PNOPL-<PESEL>).
	NIP   string
	PESEL string
	// GivenName and Surname of a personal certificate (default Jan Kowalski).
	GivenName, Surname string
	// Organization of a seal (default "Testowa Firma <NIP>").
	Organization string
	// CommonName defaults to "GivenName Surname" or Organization.
	CommonName string
	// KeyType is "ECDSA" (P-256, default) or "RSA" (2048 bits).
	KeyType string
	// Key, when set, is used instead of a fresh key. Since Go 1.26 key
	// generation ignores custom randomness, so this is the way to make the
	// output reproducible.
	Key crypto.Signer
	// NotBefore defaults to Now() − 61 min (absorbs clock skew, as MF's
	// generator does); NotAfter to Now() + 2 years.
	NotBefore, NotAfter time.Time
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Rand supplies the serial number and the PKCS#12 salts (default
	// crypto/rand.Reader).
	Rand io.Reader
	// Password protects the PKCS#12 output (pkcs12.Modern: AES-256 +
	// PBKDF2-SHA-256, SHA-256 MAC). Empty gives an unencrypted PKCS#12.
	Password secret.String
}

// TestCertificate is the generated certificate in every output form.
type TestCertificate struct {
	Credential     *Credential
	CertificatePEM []byte // "CERTIFICATE"
	KeyPEM         []byte // unencrypted PKCS#8 "PRIVATE KEY"
	PKCS12         []byte
	Info           Info
}

// GenerateTest creates a self-signed test certificate. The NIP or PESEL is
// validated first, so a typo fails here rather than as a KSeF 21115.
func GenerateTest(opts TestOptions) (*TestCertificate, error) {
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	r := opts.Rand
	if r == nil {
		r = rand.Reader
	}
	subject, err := testSubject(&opts)
	if err != nil {
		return nil, err
	}
	key := opts.Key
	if key == nil {
		switch opts.KeyType {
		case "", "ECDSA", "EC", "ecdsa":
			key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		case "RSA", "rsa":
			key, err = rsa.GenerateKey(rand.Reader, 2048)
		default:
			return nil, errs.Invalid("keyType", "key type (%s): use ECDSA or RSA", errs.Shape(opts.KeyType))
		}
		if err != nil {
			return nil, errs.Wrap(errs.Crypto, err, "generating the key")
		}
	}
	if err := CheckPublicKey(key.Public()); err != nil {
		return nil, err
	}
	t := now()
	nb, na := opts.NotBefore, opts.NotAfter
	if nb.IsZero() {
		nb = t.Add(-61 * time.Minute)
	}
	if na.IsZero() {
		na = t.AddDate(2, 0, 0)
	}
	if !na.After(nb) {
		return nil, errs.Invalid("notAfter", "NotAfter must be after NotBefore")
	}
	// A positive serial below 2^127 (RFC 5280 allows 20 octets).
	serial, err := rand.Int(r, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, errs.Wrap(errs.Crypto, err, "drawing the serial number")
	}
	serial.Add(serial, big.NewInt(1))
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		RawSubject:   subject,
		NotBefore:    nb.UTC().Truncate(time.Second),
		NotAfter:     na.UTC().Truncate(time.Second),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment,
	}
	der, err := x509.CreateCertificate(r, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, errs.Wrap(errs.Crypto, err, "creating the certificate")
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, errs.Wrap(errs.Internal, err, "parsing the generated certificate")
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, errs.Wrap(errs.InputInvalid, err, "the key cannot be written as PKCS#8")
	}
	enc := pkcs12.Passwordless
	if !opts.Password.IsZero() {
		enc = pkcs12.Modern.WithRand(r)
	}
	pfx, err := enc.Encode(key, cert, nil, opts.Password.Reveal())
	if err != nil {
		return nil, errs.Wrap(errs.Crypto, err, "writing PKCS#12")
	}
	return &TestCertificate{
		Credential:     &Credential{Certificate: cert, Signer: key},
		CertificatePEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		KeyPEM:         pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8}),
		PKCS12:         pfx,
		Info:           Inspect(cert),
	}, nil
}

// testSubject validates the identity and builds the DER subject, least
// specific attribute first so it prints as CN=…,…,C=PL.
func testSubject(o *TestOptions) ([]byte, error) {
	var rdn pkix.RDNSequence
	add := func(oid asn1.ObjectIdentifier, v string) {
		rdn = append(rdn, pkix.RelativeDistinguishedNameSET{{Type: oid, Value: v}})
	}
	add(oidCountry, "PL")
	switch o.Kind {
	case "", "personal":
		var serial string
		switch {
		case o.NIP != "" && o.PESEL != "":
			return nil, errs.Invalid("pesel", "a personal certificate carries either a NIP or a PESEL, not both")
		case o.NIP != "":
			if err := ids.ValidateNIP(o.NIP); err != nil {
				return nil, errs.Invalid("nip", "%v", err)
			}
			serial = "TINPL-" + o.NIP
		case o.PESEL != "":
			if err := ids.ValidatePESEL(o.PESEL); err != nil {
				return nil, errs.Invalid("pesel", "%v", err)
			}
			serial = "PNOPL-" + o.PESEL
		default:
			return nil, errs.Invalid("nip", "a personal certificate needs a NIP or a PESEL")
		}
		gn, sn := orDefault(o.GivenName, "Jan"), orDefault(o.Surname, "Kowalski")
		add(oidGivenName, gn)
		add(oidSurname, sn)
		add(oidSerialNumber, serial)
		add(oidCommonName, orDefault(o.CommonName, gn+" "+sn))
	case "seal":
		if o.PESEL != "" || o.GivenName != "" || o.Surname != "" {
			return nil, errs.Invalid("kind", "a seal carries no PESEL, givenName or surname")
		}
		if err := ids.ValidateNIP(o.NIP); err != nil {
			return nil, errs.Invalid("nip", "%v", err)
		}
		org := orDefault(o.Organization, "Testowa Firma "+o.NIP)
		add(oidOrganization, org)
		add(oidOrganizationIdentifier, "VATPL-"+o.NIP)
		add(oidCommonName, orDefault(o.CommonName, org))
	default:
		return nil, errs.Invalid("kind", "certificate kind (%s): use personal or seal", errs.Shape(o.Kind))
	}
	der, err := asn1.Marshal(rdn)
	if err != nil {
		return nil, errs.Invalid("subject", "subject attributes cannot be encoded: %v", err)
	}
	return der, nil
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}
