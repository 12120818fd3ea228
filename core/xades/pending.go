package xades

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"time"

	"github.com/ksefkit/ksefkit/core/errs"
)

// Pending is a signature waiting for its SignatureValue from an external
// signer (smart card, HSM, remote service). Hand out Digest — the hash of
// the canonical SignedInfo — and call Complete with the value.
type Pending struct {
	// Digest is what the key must sign, already hashed with Hash
	// (sign it as a pre-hashed digest: PKCS#1 v1.5 with DigestInfo for RSA,
	// plain ECDSA for EC keys).
	Digest          []byte      `json:"digest"`
	Hash            crypto.Hash `json:"-"`
	HashName        string      `json:"hash"` // "SHA-256", "SHA-384", "SHA-512"
	SignatureMethod string      `json:"signatureMethod"`
	KeyType         string      `json:"keyType"` // "RSA" or "ECDSA"

	cc   *certContext
	out  []byte // the whole output with an empty SignatureValue
	head int    // offset of the SignatureValue text in out
	doc  []byte
	opts resolved
}

// Prepare lays out the signature of doc for cert without a key. Options as
// for Signer.Sign; fix the ids and the time in opts if the state must be
// reproducible elsewhere (MarshalState records them anyway).
func Prepare(doc []byte, cert *x509.Certificate, opts Options) (*Pending, error) {
	cc, err := newCertContext(cert)
	if err != nil {
		return nil, err
	}
	p, err := cc.prepare(doc, opts)
	if err != nil {
		return nil, err
	}
	p.HashName = p.Hash.String()
	return p, nil
}

func (p *Pending) assemble(sig []byte) []byte {
	n := base64.StdEncoding.EncodedLen(len(sig))
	out := make([]byte, 0, len(p.out)+n)
	out = append(out, p.out[:p.head]...)
	out = base64.StdEncoding.AppendEncode(out, sig)
	return append(out, p.out[p.head:]...)
}

// insertValue is assemble without the copy, for Signer.Sign: it moves the
// tail inside p.out's spare capacity, so p must not be used afterwards.
func (p *Pending) insertValue(sig []byte) []byte {
	n := base64.StdEncoding.EncodedLen(len(sig))
	out := p.out
	if cap(out)-len(out) < n {
		return p.assemble(sig)
	}
	out = out[:len(out)+n]
	copy(out[p.head+n:], out[p.head:len(out)-n])
	base64.StdEncoding.Encode(out[p.head:p.head+n], sig)
	p.out = nil
	return out
}

// Complete inserts the signature value and returns the signed document. For
// RSA it takes the PKCS#1 v1.5 signature; for ECDSA either raw r||s or ASN.1
// DER (what most tokens return), converted to r||s. The value is verified
// against the certificate first, so a wrong key or digest fails here and
// not as KSeF 9105.
func (p *Pending) Complete(signatureValue []byte) ([]byte, error) {
	sig := signatureValue
	ok := false
	switch pub := p.cc.cert.PublicKey.(type) {
	case *rsa.PublicKey:
		ok = rsa.VerifyPKCS1v15(pub, p.Hash, p.Digest, sig) == nil
	case *ecdsa.PublicKey:
		if len(sig) != 2*p.cc.alg.size {
			raw, converted := derToRaw(sig, p.cc.alg.size)
			if !converted {
				break
			}
			sig = raw
		}
		r, s := rawToInts(sig)
		ok = ecdsa.Verify(pub, p.Digest, r, s)
	}
	if !ok {
		e := errs.New(errs.Crypto, "the signature value does not verify against the certificate's public key and the digest")
		e.Findings = []string{FindingSignatureValueInvalid}
		return nil, e
	}
	return p.assemble(sig), nil
}

// pendingState is the JSON form of a Pending: the inputs, not the derived
// bytes, so a resumed Pending is rebuilt by the same code and checked
// against the recorded digest.
type pendingState struct {
	Version            int    `json:"version"`
	Document           []byte `json:"document"`
	Certificate        []byte `json:"certificate"`
	SigningTime        string `json:"signingTime"`
	SignatureID        string `json:"signatureId"`
	SignedPropertiesID string `json:"signedPropertiesId"`
	ReferenceID        string `json:"referenceId"`
	Digest             []byte `json:"digest"`
}

// MarshalState serializes the pending signature so that a step/resume
// driver can hand out the digest and finish later, in another process.
func (p *Pending) MarshalState() ([]byte, error) {
	return json.Marshal(pendingState{
		Version:            1,
		Document:           p.doc,
		Certificate:        p.cc.cert.Raw,
		SigningTime:        p.opts.time,
		SignatureID:        p.opts.sigID,
		SignedPropertiesID: p.opts.spID,
		ReferenceID:        p.opts.refID,
		Digest:             p.Digest,
	})
}

// ResumePending restores a Pending from MarshalState output.
func ResumePending(state []byte) (*Pending, error) {
	var s pendingState
	if err := json.Unmarshal(state, &s); err != nil {
		return nil, errs.Invalid("state", "not a pending XAdES signature state: %v", err)
	}
	if s.Version != 1 {
		return nil, errs.Invalid("state", "unsupported state version %d", s.Version)
	}
	cert, err := x509.ParseCertificate(s.Certificate)
	if err != nil {
		return nil, errs.Invalid("state", "certificate in state: %v", err)
	}
	t, err := time.Parse(SigningTimeLayout, s.SigningTime)
	if err != nil {
		return nil, errs.Invalid("state", "signing time in state: %v", err)
	}
	p, err := Prepare(s.Document, cert, Options{SigningTime: t, SignatureID: s.SignatureID, SignedPropertiesID: s.SignedPropertiesID, ReferenceID: s.ReferenceID})
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(p.Digest, s.Digest) {
		return nil, errs.Invalid("state", "the state was altered: its digest does not match its inputs")
	}
	return p, nil
}
