package invoice

// values are what the reader collects from one document, as written
// (decoded text, not yet interpreted).
type values struct {
	kodSeen                        bool
	kodSystem, kodVersion, kodText string
	kodHasSystem, kodHasVersion    bool

	sellerNIP, sellerName      string
	sellerNIPSeen              bool
	sellerTaxID, sellerAltName string
	sellerEndpoint             string
	sellerEndpointScheme       string

	issueDate  string
	issueSeen  bool
	number     string
	numberSeen bool

	invoiceType, currency string
	selfInvoicing         string // P_17: "1" yes, "2" no
	attachment            bool

	buyer      partyValues
	third      []partyValues
	authorized *partyValues

	netParts    []string
	vat, vatPLN [5]string
	vatUBL      []taxAmount
	gross       string
	grossSeen   bool
}

// partyValues is one DaneIdentyfikacyjne (Podmiot2, Podmiot3,
// PodmiotUpowazniony) or a UBL party.
type partyValues struct {
	nip, idWew, kodUE, nrVatUE, kodKraju, nrID string
	hasNIP, hasIDWew, brakID                   bool
	name, altName                              string
	ublID, taxID                               string
	rola, rolaInna, rolaPU                     string
}

type taxAmount struct{ amount, currency string }

func (v *values) begin(n *node) {
	switch n.f {
	case fThird:
		v.third = append(v.third, partyValues{})
	case fAuthorized:
		v.authorized = &partyValues{}
	case fAttachment:
		v.attachment = true
	}
}

// thirdSubject is the Podmiot3 being read (one exists once fThird began).
func (v *values) thirdSubject() *partyValues {
	if len(v.third) == 0 {
		v.third = append(v.third, partyValues{})
	}
	return &v.third[len(v.third)-1]
}

func (v *values) authorizedSubject() *partyValues {
	if v.authorized == nil {
		v.authorized = &partyValues{}
	}
	return v.authorized
}

func (v *values) value(n *node, text string, attrs []attr) {
	switch n.f {
	case fKodFormularza:
		v.kodSeen = true
		v.kodText = text
		v.kodSystem, v.kodHasSystem = attrValue(attrs, "kodSystemowy")
		v.kodVersion, v.kodHasVersion = attrValue(attrs, "wersjaSchemy")
	case fSellerNIP:
		v.sellerNIP, v.sellerNIPSeen = text, true
	case fSellerName:
		v.sellerName = text
	case fSellerTaxID:
		v.sellerTaxID = text
	case fSellerEndpoint:
		v.sellerEndpoint = text
		v.sellerEndpointScheme, _ = attrValue(attrs, "schemeID")
	case fSellerAltName:
		v.sellerAltName = text
	case fIssueDate:
		v.issueDate, v.issueSeen = text, true
	case fNumber:
		v.number, v.numberSeen = text, true
	case fInvoiceType:
		v.invoiceType = text
	case fCurrency:
		v.currency = text
	case fSelfInvoicing:
		v.selfInvoicing = text
	case fBuyerNIP:
		v.buyer.nip, v.buyer.hasNIP = text, true
	case fBuyerKodUE:
		v.buyer.kodUE = text
	case fBuyerNrVatUE:
		v.buyer.nrVatUE = text
	case fBuyerKodKraju:
		v.buyer.kodKraju = text
	case fBuyerNrID:
		v.buyer.nrID = text
	case fBuyerBrakID:
		v.buyer.brakID = true
	case fBuyerName:
		v.buyer.name = text
	case fBuyerUBLID:
		v.buyer.ublID = text
	case fBuyerTaxID:
		v.buyer.taxID = text
	case fBuyerAltName:
		v.buyer.altName = text
	case fThirdNIP:
		t := v.thirdSubject()
		t.nip, t.hasNIP = text, true
	case fThirdIDWew:
		t := v.thirdSubject()
		t.idWew, t.hasIDWew = text, true
	case fThirdKodUE:
		v.thirdSubject().kodUE = text
	case fThirdNrVatUE:
		v.thirdSubject().nrVatUE = text
	case fThirdKodKraju:
		v.thirdSubject().kodKraju = text
	case fThirdNrID:
		v.thirdSubject().nrID = text
	case fThirdBrakID:
		v.thirdSubject().brakID = true
	case fThirdName:
		v.thirdSubject().name = text
	case fThirdRola:
		v.thirdSubject().rola = text
	case fThirdRolaInna:
		v.thirdSubject().rolaInna = text
	case fAuthNIP:
		a := v.authorizedSubject()
		a.nip, a.hasNIP = text, true
	case fAuthName:
		v.authorizedSubject().name = text
	case fAuthRole:
		v.authorizedSubject().rolaPU = text
	case fNetPart:
		v.netParts = append(v.netParts, text)
	case fVatPart:
		v.vat[n.idx] = text
	case fVatPLNPart:
		v.vatPLN[n.idx] = text
	case fVatUBL:
		cur, _ := attrValue(attrs, "currencyID")
		v.vatUBL = append(v.vatUBL, taxAmount{text, cur})
	case fGross:
		v.gross, v.grossSeen = text, true
	}
}
