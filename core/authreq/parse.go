package authreq

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/ksefkit/ksefkit/core/errs"
	"github.com/ksefkit/ksefkit/core/ids"
	"github.com/ksefkit/ksefkit/core/ippolicy"
)

const dsigNamespace = "http://www.w3.org/2000/09/xmldsig#"

// Parse reads an AuthTokenRequest, unsigned or with its enveloped
// ds:Signature (which is skipped). It checks the structure — root, namespace,
// element names and order, text-only leaves — and returns errs.InputInvalid
// naming the offending element; the values themselves are checked by
// Validate, so that a caller such as the simulator can tell a schema
// violation (21401) from a bad challenge (21111).
func Parse(doc []byte) (*Request, error) {
	p := &parser{d: xml.NewDecoder(bytes.NewReader(doc))}
	p.d.CharsetReader = func(charset string, r io.Reader) (io.Reader, error) {
		if strings.EqualFold(charset, "utf-8") || strings.EqualFold(charset, "utf8") {
			return r, nil
		}
		return nil, fmt.Errorf("encoding %q is not UTF-8", charset)
	}
	r, err := p.document()
	if err != nil {
		var e *errs.Error
		if errors.As(err, &e) {
			return nil, e
		}
		return nil, errs.Invalid("document", "not a well-formed AuthTokenRequest: %v", err)
	}
	return r, nil
}

type parser struct {
	d *xml.Decoder
}

// next returns the next start or end element, skipping comments,
// processing instructions and whitespace; other text is an error.
func (p *parser) next() (xml.Token, error) {
	for {
		tok, err := p.d.Token()
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement, xml.EndElement:
			return t, nil
		case xml.CharData:
			if len(bytes.TrimSpace(t)) != 0 {
				return nil, errs.Invalid("document", "unexpected text (%s) between elements", errs.Shape(string(t)))
			}
		case xml.Directive:
			return nil, errs.Invalid("document", "DOCTYPE and other directives are not allowed")
		}
	}
}

func (p *parser) document() (*Request, error) {
	tok, err := p.next()
	if err != nil {
		return nil, err
	}
	root, ok := tok.(xml.StartElement)
	if !ok || root.Name.Local != "AuthTokenRequest" {
		return nil, errs.Invalid("document", "root element must be AuthTokenRequest")
	}
	ns := root.Name.Space
	if ns != Namespace20 && ns != Namespace21 {
		return nil, errs.Invalid("document", "AuthTokenRequest namespace %q: expected %s or %s", ns, Namespace20, Namespace21)
	}
	r := &Request{Namespace: ns}
	if r.Challenge, err = p.leaf(ns, "Challenge"); err != nil {
		return nil, err
	}
	r.Challenge = strings.TrimSpace(r.Challenge) // xsd:token
	if err := p.open(ns, "ContextIdentifier"); err != nil {
		return nil, err
	}
	tok, err = p.next()
	if err != nil {
		return nil, err
	}
	st, ok := tok.(xml.StartElement)
	if !ok || st.Name.Space != ns {
		return nil, errs.Invalid("contextIdentifier", "ContextIdentifier must contain Nip, InternalId, NipVatUe or PeppolId")
	}
	ct, err := ids.ParseContextType(st.Name.Local)
	if err != nil || string(ct) != st.Name.Local {
		return nil, errs.Invalid("contextIdentifier", "ContextIdentifier must contain Nip, InternalId, NipVatUe or PeppolId, not %s", st.Name.Local)
	}
	v, err := p.text(st)
	if err != nil {
		return nil, err
	}
	r.Context = ids.ContextIdentifier{Type: ct, Value: v}
	if err := p.close("ContextIdentifier"); err != nil {
		return nil, err
	}
	s, err := p.leaf(ns, "SubjectIdentifierType")
	if err != nil {
		return nil, err
	}
	r.SubjectType = SubjectType(strings.TrimSpace(s))

	// Optional AuthorizationPolicy, then an optional signature, then the end.
	tok, err = p.next()
	if err != nil {
		return nil, err
	}
	if st, ok := tok.(xml.StartElement); ok && st.Name.Space == ns && st.Name.Local == "AuthorizationPolicy" {
		if r.Policy, err = p.policy(ns); err != nil {
			return nil, err
		}
		if tok, err = p.next(); err != nil {
			return nil, err
		}
	}
	if st, ok := tok.(xml.StartElement); ok && st.Name.Space == dsigNamespace && st.Name.Local == "Signature" {
		if err := p.d.Skip(); err != nil {
			return nil, err
		}
		if tok, err = p.next(); err != nil {
			return nil, err
		}
	}
	if _, ok := tok.(xml.EndElement); !ok {
		return nil, errs.Invalid("document", "unexpected element %s after SubjectIdentifierType", name(tok))
	}
	// Only comments, PIs and whitespace (next skips them) may follow the root.
	tok, err = p.next()
	if err == io.EOF {
		return r, nil
	}
	if err != nil {
		return nil, err
	}
	return nil, errs.Invalid("document", "unexpected %s after the root element", name(tok))
}

func (p *parser) policy(ns string) (*ippolicy.Policy, error) {
	if err := p.open(ns, "AllowedIps"); err != nil {
		return nil, err
	}
	a := &ippolicy.AllowedIPs{}
	order := map[string]int{"Ip4Address": 0, "Ip4Range": 1, "Ip4Mask": 2}
	last := 0
	for {
		tok, err := p.next()
		if err != nil {
			return nil, err
		}
		st, ok := tok.(xml.StartElement)
		if !ok {
			break // </AllowedIps>
		}
		rank, known := order[st.Name.Local]
		if !known || st.Name.Space != ns {
			return nil, errs.Invalid("authorizationPolicy", "unexpected element %s in AllowedIps", st.Name.Local)
		}
		if rank < last {
			return nil, errs.Invalid("authorizationPolicy", "%s after a later AllowedIps element (order is Ip4Address, Ip4Range, Ip4Mask)", st.Name.Local)
		}
		last = rank
		v, err := p.text(st)
		if err != nil {
			return nil, err
		}
		v = strings.TrimSpace(v) // xsd:token
		switch rank {
		case 0:
			a.Addresses = append(a.Addresses, v)
		case 1:
			a.Ranges = append(a.Ranges, v)
		case 2:
			a.Masks = append(a.Masks, v)
		}
	}
	if err := p.close("AuthorizationPolicy"); err != nil {
		return nil, err
	}
	pol := &ippolicy.Policy{AllowedIPs: a}
	if pol.Empty() {
		// An empty AllowedIps is schema-valid; ksefkit reads an empty
		// policy as no policy everywhere (ippolicy.Empty), so the request
		// holds none — and renders as it parsed (found by FuzzParse).
		return nil, nil
	}
	return pol, nil
}

func (p *parser) open(ns, local string) error {
	tok, err := p.next()
	if err != nil {
		return err
	}
	if st, ok := tok.(xml.StartElement); !ok || st.Name.Space != ns || st.Name.Local != local {
		return errs.Invalid(fieldOf(local), "expected element %s, found %s", local, name(tok))
	}
	return nil
}

func (p *parser) close(local string) error {
	tok, err := p.next()
	if err != nil {
		return err
	}
	if _, ok := tok.(xml.EndElement); !ok {
		return errs.Invalid(fieldOf(local), "unexpected element %s inside %s", name(tok), local)
	}
	return nil
}

// leaf reads <local>text</local>.
func (p *parser) leaf(ns, local string) (string, error) {
	tok, err := p.next()
	if err != nil {
		return "", err
	}
	st, ok := tok.(xml.StartElement)
	if !ok || st.Name.Space != ns || st.Name.Local != local {
		return "", errs.Invalid(fieldOf(local), "expected element %s, found %s", local, name(tok))
	}
	return p.text(st)
}

// text reads the character content of st up to its end tag, unchanged:
// context identifiers are xsd:string, where whitespace is significant (and
// then fails Validate). Callers trim the xsd:token values.
func (p *parser) text(st xml.StartElement) (string, error) {
	var b strings.Builder
	for {
		tok, err := p.d.Token()
		if err != nil {
			return "", err
		}
		switch t := tok.(type) {
		case xml.CharData:
			b.Write(t)
		case xml.EndElement:
			return b.String(), nil
		case xml.StartElement:
			return "", errs.Invalid(fieldOf(st.Name.Local), "element %s must contain only text, found %s", st.Name.Local, t.Name.Local)
		}
	}
}

func fieldOf(local string) string {
	switch local {
	case "Challenge":
		return "challenge"
	case "ContextIdentifier":
		return "contextIdentifier"
	case "SubjectIdentifierType":
		return "subjectIdentifierType"
	case "AuthorizationPolicy", "AllowedIps":
		return "authorizationPolicy"
	}
	return "document"
}

func name(tok xml.Token) string {
	switch t := tok.(type) {
	case xml.StartElement:
		return "<" + t.Name.Local + ">"
	case xml.EndElement:
		return "</" + t.Name.Local + ">"
	}
	return fmt.Sprintf("%T", tok)
}
