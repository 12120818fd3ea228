package invoice

import (
	"bytes"
	"strings"
	"sync"
)

// field names a value the reader collects from a document.
type field uint8

const (
	fNone          field = iota
	fKodFormularza       // FA, FA_RR: Naglowek/KodFormularza (attributes and text)
	fSellerNIP
	fSellerName
	fSellerTaxID    // UBL: PartyTaxScheme/CompanyID
	fSellerEndpoint // UBL: EndpointID (attribute schemeID)
	fSellerAltName  // UBL: PartyName/Name
	fIssueDate
	fNumber
	fInvoiceType
	fCurrency
	fSelfInvoicing // Adnotacje/P_17
	fAttachment    // Zalacznik
	fBuyerNIP
	fBuyerKodUE
	fBuyerNrVatUE
	fBuyerKodKraju
	fBuyerNrID
	fBuyerBrakID
	fBuyerName
	fBuyerUBLID   // UBL: PartyLegalEntity/CompanyID
	fBuyerTaxID   // UBL: PartyTaxScheme/CompanyID
	fBuyerAltName // UBL: PartyName/Name
	fThird        // Podmiot3 (each one starts a new third subject)
	fThirdNIP
	fThirdIDWew
	fThirdKodUE
	fThirdNrVatUE
	fThirdKodKraju
	fThirdNrID
	fThirdBrakID
	fThirdName
	fThirdRola
	fThirdRolaInna
	fAuthorized // PodmiotUpowazniony
	fAuthNIP
	fAuthName
	fAuthRole
	fNetPart    // a part of the net amount (P_13_x, P_11_1, TaxExclusiveAmount)
	fVatPart    // VAT at rate idx (P_14_x, P_11_2), in the invoice currency
	fVatPLNPart // the same converted to PLN (P_14_xW, P_11_2W)
	fVatUBL     // UBL: TaxTotal/TaxAmount (attribute currencyID)
	fGross      // P_15, P_12_1, TaxInclusiveAmount
)

// Where a path step's namespace comes from.
type stepNS uint8

const (
	nsRoot stepNS = iota // the root element's namespace (FA, FA_RR)
	nsCAC                // UBL CommonAggregateComponents
	nsCBC                // UBL CommonBasicComponents
)

// node is one step of the paths a layout collects: a trie keyed by
// (namespace, local name), from the children of the root element down.
type node struct {
	ns    stepNS
	name  string
	f     field
	idx   uint8 // for fVatPart/fVatPLNPart: the rate the amount belongs to
	attrs bool  // the handler wants the element's attributes
	kids  []*node
}

func (n *node) child(ns stepNS, name string) *node {
	for _, k := range n.kids {
		if k.ns == ns && k.name == name {
			return k
		}
	}
	k := &node{ns: ns, name: name}
	n.kids = append(n.kids, k)
	return k
}

// add inserts a path of '/'-separated steps; "cac:"/"cbc:" choose a UBL
// namespace, no prefix means the root's.
func (n *node) add(path string, f field, idx uint8) *node {
	cur := n
	for _, step := range strings.Split(path, "/") {
		ns := nsRoot
		if p, local, ok := strings.Cut(step, ":"); ok {
			ns, step = nsCBC, local
			if p == "cac" {
				ns = nsCAC
			}
		}
		cur = cur.child(ns, step)
	}
	cur.f, cur.idx = f, idx
	return cur
}

var (
	tries     [layoutUBL + 1]*node
	triesOnce sync.Once
)

// trie returns the paths of a layout, built on first use (nothing runs at
// start-up of programs that never read an invoice).
func trie(l layout) *node {
	triesOnce.Do(buildTries)
	return tries[l]
}

func buildTries() {
	// FA (2) and FA (3) share the layout (schemat_FA(3)_v1-0E.xsd).
	fa := parties()
	fa.add("Fa/KodWaluty", fCurrency, 0)
	fa.add("Fa/P_1", fIssueDate, 0)
	fa.add("Fa/P_2", fNumber, 0)
	fa.add("Fa/RodzajFaktury", fInvoiceType, 0)
	fa.add("Fa/Adnotacje/P_17", fSelfInvoicing, 0)
	for _, p := range []string{"P_13_1", "P_13_2", "P_13_3", "P_13_4", "P_13_5", "P_13_6_1", "P_13_6_2", "P_13_6_3", "P_13_7", "P_13_8", "P_13_9", "P_13_10", "P_13_11"} {
		fa.add("Fa/"+p, fNetPart, 0)
	}
	for i, p := range []string{"P_14_1", "P_14_2", "P_14_3", "P_14_4", "P_14_5"} {
		fa.add("Fa/"+p, fVatPart, uint8(i))
		if i < 4 {
			fa.add("Fa/"+p+"W", fVatPLNPart, uint8(i))
		}
	}
	fa.add("Fa/P_15", fGross, 0)
	fa.add("Zalacznik", fAttachment, 0)
	tries[layoutFA] = fa

	// FA_RR (1): the invoice is issued by the buyer of agricultural products;
	// Podmiot1 is the supplier (the farmer), Podmiot2 the buyer
	// (schemat_FA_RR(1)_v1-1E.xsd). The official SDK templates put the
	// authenticated context's NIP into Podmiot1, as for FA.
	rr := parties()
	rr.add("FakturaRR/KodWaluty", fCurrency, 0)
	rr.add("FakturaRR/P_4B", fIssueDate, 0)
	rr.add("FakturaRR/P_4C", fNumber, 0)
	rr.add("FakturaRR/RodzajFaktury", fInvoiceType, 0)
	rr.add("FakturaRR/P_11_1", fNetPart, 0)
	rr.add("FakturaRR/P_11_2", fVatPart, 0)
	rr.add("FakturaRR/P_11_2W", fVatPLNPart, 0)
	rr.add("FakturaRR/P_12_1", fGross, 0)
	tries[layoutRR] = rr

	// PEF (3) / PEF_KOR (3): UBL 2.1 Invoice / CreditNote.
	ubl := &node{}
	ubl.add("cbc:ID", fNumber, 0)
	ubl.add("cbc:IssueDate", fIssueDate, 0)
	ubl.add("cbc:InvoiceTypeCode", fInvoiceType, 0)
	ubl.add("cbc:CreditNoteTypeCode", fInvoiceType, 0)
	ubl.add("cbc:DocumentCurrencyCode", fCurrency, 0)
	const sup, cus = "cac:AccountingSupplierParty/cac:Party/", "cac:AccountingCustomerParty/cac:Party/"
	ubl.add(sup+"cac:PartyLegalEntity/cbc:CompanyID", fSellerNIP, 0)
	ubl.add(sup+"cac:PartyLegalEntity/cbc:RegistrationName", fSellerName, 0)
	ubl.add(sup+"cac:PartyTaxScheme/cbc:CompanyID", fSellerTaxID, 0)
	ubl.add(sup+"cbc:EndpointID", fSellerEndpoint, 0).attrs = true
	ubl.add(sup+"cac:PartyName/cbc:Name", fSellerAltName, 0)
	ubl.add(cus+"cac:PartyLegalEntity/cbc:CompanyID", fBuyerUBLID, 0)
	ubl.add(cus+"cac:PartyLegalEntity/cbc:RegistrationName", fBuyerName, 0)
	ubl.add(cus+"cac:PartyTaxScheme/cbc:CompanyID", fBuyerTaxID, 0)
	ubl.add(cus+"cac:PartyName/cbc:Name", fBuyerAltName, 0)
	ubl.add("cac:TaxTotal/cbc:TaxAmount", fVatUBL, 0).attrs = true
	ubl.add("cac:LegalMonetaryTotal/cbc:TaxExclusiveAmount", fNetPart, 0)
	ubl.add("cac:LegalMonetaryTotal/cbc:TaxInclusiveAmount", fGross, 0)
	tries[layoutUBL] = ubl
}

// parties is the start of the FA and FA_RR tries, laid out alike: the
// header's KodFormularza, the seller, the buyer, the third subjects and
// the authorised subject.
func parties() *node {
	n := &node{}
	n.add("Naglowek/KodFormularza", fKodFormularza, 0).attrs = true
	n.add("Podmiot1/DaneIdentyfikacyjne/NIP", fSellerNIP, 0)
	n.add("Podmiot1/DaneIdentyfikacyjne/Nazwa", fSellerName, 0)
	for _, p := range []struct {
		path string
		f    field
	}{
		{"NIP", fBuyerNIP}, {"KodUE", fBuyerKodUE}, {"NrVatUE", fBuyerNrVatUE}, {"KodKraju", fBuyerKodKraju},
		{"NrID", fBuyerNrID}, {"BrakID", fBuyerBrakID}, {"Nazwa", fBuyerName},
	} {
		n.add("Podmiot2/DaneIdentyfikacyjne/"+p.path, p.f, 0)
	}
	n.add("Podmiot3", fThird, 0)
	for _, p := range []struct {
		path string
		f    field
	}{
		{"DaneIdentyfikacyjne/NIP", fThirdNIP}, {"DaneIdentyfikacyjne/IDWew", fThirdIDWew},
		{"DaneIdentyfikacyjne/KodUE", fThirdKodUE}, {"DaneIdentyfikacyjne/NrVatUE", fThirdNrVatUE},
		{"DaneIdentyfikacyjne/KodKraju", fThirdKodKraju}, {"DaneIdentyfikacyjne/NrID", fThirdNrID},
		{"DaneIdentyfikacyjne/BrakID", fThirdBrakID}, {"DaneIdentyfikacyjne/Nazwa", fThirdName},
		{"Rola", fThirdRola}, {"RolaInna", fThirdRolaInna},
	} {
		n.add("Podmiot3/"+p.path, p.f, 0)
	}
	n.add("PodmiotUpowazniony", fAuthorized, 0)
	n.add("PodmiotUpowazniony/DaneIdentyfikacyjne/NIP", fAuthNIP, 0)
	n.add("PodmiotUpowazniony/DaneIdentyfikacyjne/Nazwa", fAuthName, 0)
	n.add("PodmiotUpowazniony/RolaPU", fAuthRole, 0)
	return n
}

// sink receives the collected values.
type sink interface {
	// value is the text of a leaf; attrs are its attributes when the
	// node asked for them (valid during the call only).
	value(n *node, text string, attrs []attr)
	// begin is called when an element of a group node (fThird,
	// fAuthorized, fAttachment) starts.
	begin(n *node)
}

// reader is the handler that walks the scanner's events down the trie of
// the document's form and hands leaf values to a sink.
type reader struct {
	sink    sink
	form    *form // the document's form, by root namespace and name; nil: unknown
	rootNS  string
	root    string
	depth   int
	stack   []*node // the trie node of each open element below the root (nil: not collected)
	collect *node   // the leaf whose text is being collected
	text    []byte
	attrs   []attr // attributes of the collected leaf, copied
	pis     []int  // offsets of processing instructions
}

func (r *reader) startElement(e *elem, attrs []attr) {
	r.depth++
	if r.depth == 1 {
		r.rootNS, r.root = string(e.uri), string(e.local)
		for i := range forms {
			if forms[i].namespace == r.rootNS && forms[i].root == r.root {
				r.form = &forms[i]
			}
		}
		return
	}
	var cur *node
	if r.depth == 2 && r.form != nil {
		cur = trie(r.form.layout)
	} else if len(r.stack) > 0 {
		cur = r.stack[len(r.stack)-1]
	}
	var next *node
	if cur != nil {
		for _, k := range cur.kids {
			if k.name == string(e.local) && r.nsMatches(k.ns, e.uri) {
				next = k
				break
			}
		}
	}
	r.stack = append(r.stack, next)
	r.collect = nil
	if next == nil || next.f == fNone {
		return
	}
	switch next.f {
	case fThird, fAuthorized, fAttachment:
		r.sink.begin(next)
		return
	}
	r.collect = next
	r.text = r.text[:0]
	r.attrs = r.attrs[:0]
	if next.attrs {
		r.attrs = append(r.attrs, attrs...)
	}
}

func (r *reader) nsMatches(ns stepNS, uri []byte) bool {
	switch ns {
	case nsCAC:
		return string(uri) == namespaceUBLCAC
	case nsCBC:
		return string(uri) == namespaceUBLCBC
	}
	return string(uri) == r.rootNS
}

func (r *reader) endElement(e *elem) {
	r.depth--
	if r.depth == 0 {
		return
	}
	n := r.stack[len(r.stack)-1]
	r.stack = r.stack[:len(r.stack)-1]
	if n != nil && n == r.collect {
		r.sink.value(n, string(r.text), r.attrs)
	}
	r.collect = nil
}

func (r *reader) charData(raw []byte, refs bool) {
	if r.collect == nil {
		return
	}
	if !refs && bytes.IndexByte(raw, '\r') < 0 {
		r.text = append(r.text, raw...)
		return
	}
	r.text = appendText(r.text, raw, modeText)
}

func (r *reader) cdata(text []byte) {
	if r.collect != nil {
		r.text = appendText(r.text, text, modeCDATA)
	}
}

func (r *reader) procInst(_ []byte, off int) { r.pis = append(r.pis, off) }

// attrValue returns the normalised value of the unqualified attribute name.
func attrValue(attrs []attr, name string) (string, bool) {
	for i := range attrs {
		a := &attrs[i]
		if a.prefix == nil && string(a.local) == name {
			if !a.refs && !bytes.ContainsAny(a.value, "\t\n\r") {
				return string(a.value), true
			}
			return string(appendText(nil, a.value, modeAttr)), true
		}
	}
	return "", false
}
