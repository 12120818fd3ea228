package sim

import (
	"slices"
	"time"

	"github.com/ksefkit/ksefkit/core/ids"
	"github.com/ksefkit/ksefkit/core/invoice"
)

// The invoice store: every invoice KSeF accepted, for the rest of the
// simulator's life, with the metadata the metadata query and the download
// of the next wave will serve and the exact bytes that were sent.

// InvoiceMetadata is the OpenAPI schema InvoiceMetadata, every field of
// it in its JSON shape: what POST /invoices/query/metadata returns per
// invoice and what an export's _metadata.json lists, so both can be served
// straight from the store. invoice.Meta holds what the document says
// (computed with invoice.Metadata: parties, amounts, currency, type, third
// and authorised subjects, self-invoicing, attachment, hash; its formCode
// is the session's); the rest only KSeF knows.
type InvoiceMetadata struct {
	KSeFNumber           string    `json:"ksefNumber"`
	InvoicingDate        time.Time `json:"invoicingDate"`        // when KSeF received it
	AcquisitionDate      time.Time `json:"acquisitionDate"`      // when it got its KSeF number
	PermanentStorageDate time.Time `json:"permanentStorageDate"` // when it was stored for good (Options.PermanentStorageDelay later)
	InvoicingMode        string    `json:"invoicingMode"`        // Online | Offline
	// HashOfCorrectedInvoice is set for a technical correction.
	HashOfCorrectedInvoice *string `json:"hashOfCorrectedInvoice,omitempty"`
	invoice.Meta
}

// The subject types of the metadata query and of exports
// (InvoiceQuerySubjectType): who an invoice is shown to.
const (
	SubjectSeller     = "Subject1"
	SubjectBuyer      = "Subject2"
	SubjectThird      = "Subject3"
	SubjectAuthorized = "SubjectAuthorized"
)

// Subjects are the contexts that see the invoice as subject type t: the
// seller's NIP (Subject1), the buyer's NIP when it is identified by one
// (Subject2), the third subjects identified by NIP or internal identifier
// (Subject3), the authorised subject's NIP (SubjectAuthorized). Subjects
// identified otherwise (EU VAT number, foreign identifier, none) have no
// KSeF context to see it from.
func (m *InvoiceMetadata) Subjects(t string) []ids.ContextIdentifier {
	nip := func(v string) ids.ContextIdentifier { return ids.ContextIdentifier{Type: ids.ContextNip, Value: v} }
	var out []ids.ContextIdentifier
	switch t {
	case SubjectSeller:
		out = append(out, nip(m.Seller.NIP))
	case SubjectBuyer:
		if m.Buyer.Identifier.Type == "Nip" {
			out = append(out, nip(m.Buyer.Identifier.Value))
		}
	case SubjectThird:
		for _, ts := range m.ThirdSubjects {
			switch ts.Identifier.Type {
			case "Nip":
				out = append(out, nip(ts.Identifier.Value))
			case "InternalId":
				out = append(out, ids.ContextIdentifier{Type: ids.ContextInternalID, Value: ts.Identifier.Value})
			}
		}
	case SubjectAuthorized:
		if a := m.AuthorizedSubject; a != nil {
			out = append(out, nip(a.NIP))
		}
	}
	return out
}

// StoredInvoice is one accepted invoice: its metadata, where it came from
// and the document.
type StoredInvoice struct {
	InvoiceMetadata
	SessionReferenceNumber string `json:"sessionReferenceNumber"`
	InvoiceReferenceNumber string `json:"invoiceReferenceNumber"`
	Context                string `json:"context"` // the context it was sent in
	XML                    []byte `json:"-"`
}

// clone is a deep copy: what the store hands out cannot change the store.
func (inv *StoredInvoice) clone() StoredInvoice {
	c := *inv
	c.XML = slices.Clone(inv.XML)
	c.ThirdSubjects = slices.Clone(inv.ThirdSubjects)
	if a := inv.AuthorizedSubject; a != nil {
		a := *a
		c.AuthorizedSubject = &a
	}
	if h := inv.HashOfCorrectedInvoice; h != nil {
		h := *h
		c.HashOfCorrectedInvoice = &h
	}
	return c
}

// uniqueKey is KSeF's duplicate rule on the facts core/invoice reads:
// seller NIP, invoice type (RodzajFaktury as written; PEF: the type code),
// invoice number.
type uniqueKey struct{ seller, typ, number string }

func uniqueKeyOf(f *invoice.Facts) uniqueKey {
	return uniqueKey{f.SellerNIP, f.InvoiceType, f.InvoiceNumber}
}

// invoiceStore is guarded by Server.mu.
type invoiceStore struct {
	byNumber map[string]*StoredInvoice // by KSeF number
	unique   map[uniqueKey]*StoredInvoice
	order    []*StoredInvoice // in acceptance order
}

func newInvoiceStore() *invoiceStore {
	return &invoiceStore{byNumber: map[string]*StoredInvoice{}, unique: map[uniqueKey]*StoredInvoice{}}
}

func (st *invoiceStore) duplicateOf(k uniqueKey) *StoredInvoice { return st.unique[k] }

func (st *invoiceStore) add(inv *StoredInvoice, k uniqueKey) {
	// KSeF keeps instants to 100 ns (seven fractional digits); so does the
	// store, so that a range starting at a served date starts exactly there.
	for _, t := range []*time.Time{&inv.InvoicingDate, &inv.AcquisitionDate, &inv.PermanentStorageDate} {
		*t = t.Truncate(100 * time.Nanosecond)
	}
	st.byNumber[inv.KSeFNumber] = inv
	st.unique[k] = inv
	st.order = append(st.order, inv)
}

// all returns the records in acceptance order.
func (st *invoiceStore) all() []*StoredInvoice { return slices.Clone(st.order) }

// InvoiceRecord is a stored invoice as the control endpoints list it, with
// its status now: 150 while KSeF still "processes" it, then 200.
type InvoiceRecord struct {
	StoredInvoice
	// SellerNIP is Seller.NIP, kept at the top level where the control
	// endpoint has always had it.
	SellerNIP string `json:"sellerNip"`
	Status    int    `json:"status"`
}

// Invoices lists every invoice the simulator accepted, in acceptance
// order, so tests can assert what KSeF holds ("exactly N documents"). The
// XML of each is included (StoredInvoice.XML).
func (s *Server) Invoices() []InvoiceRecord {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	all := s.store.all()
	out := make([]InvoiceRecord, 0, len(all))
	for _, inv := range all {
		st := 200
		if now.Before(inv.AcquisitionDate) {
			st = 150
		}
		rec := InvoiceRecord{StoredInvoice: inv.clone(), SellerNIP: inv.Seller.NIP, Status: st}
		out = append(out, rec)
	}
	return out
}

// InvoiceCount is len(Invoices()), cheaply.
func (s *Server) InvoiceCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.store.order)
}
