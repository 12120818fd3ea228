package sim

import (
	"slices"
	"time"
)

// The invoice store: every invoice KSeF accepted, for the rest of the
// simulator's life, with the metadata the metadata query and the download
// of the next wave will serve and the exact bytes that were sent.

// InvoiceMetadata mirrors the OpenAPI schema InvoiceMetadata (what
// POST /invoices/query/metadata returns per invoice), for the fields the
// simulator fills today.
type InvoiceMetadata struct {
	KSeFNumber           string    `json:"ksefNumber"`
	InvoiceNumber        string    `json:"invoiceNumber"`
	IssueDate            string    `json:"issueDate"`
	InvoicingDate        time.Time `json:"invoicingDate"`
	AcquisitionDate      time.Time `json:"acquisitionDate"`
	PermanentStorageDate time.Time `json:"permanentStorageDate"`
	SellerNIP            string    `json:"sellerNip"`
	SellerName           string    `json:"sellerName,omitempty"`
	BuyerNIP             string    `json:"buyerNip,omitempty"`
	BuyerName            string    `json:"buyerName,omitempty"`
	GrossAmount          string    `json:"grossAmount,omitempty"`
	Currency             string    `json:"currency,omitempty"`
	InvoicingMode        string    `json:"invoicingMode"`
	InvoiceType          string    `json:"invoiceType"`
	FormCode             formCode  `json:"formCode"`
	HasAttachment        bool      `json:"hasAttachment"`
	InvoiceHash          string    `json:"invoiceHash"`
	HashOfCorrected      string    `json:"hashOfCorrectedInvoice,omitempty"`
}

// StoredInvoice is one accepted invoice: its metadata, where it came from
// and the document.
type StoredInvoice struct {
	InvoiceMetadata
	SessionReferenceNumber string `json:"sessionReferenceNumber"`
	InvoiceReferenceNumber string `json:"invoiceReferenceNumber"`
	Context                string `json:"context"`
	XML                    []byte `json:"-"`
}

// uniqueKey is KSeF's duplicate rule: seller NIP, invoice type, number.
type uniqueKey struct{ seller, typ, number string }

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
	Status int `json:"status"`
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
		rec := InvoiceRecord{StoredInvoice: *inv, Status: st}
		rec.XML = slices.Clone(inv.XML)
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
