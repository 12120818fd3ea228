package sim

import (
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/ksefkit/ksefkit/core/ids"
	"github.com/ksefkit/ksefkit/core/invoice"
	"github.com/ksefkit/ksefkit/sim/samples"
)

// Seed asks for invoices the simulator stores as if it had accepted them
// in an online session — without the session: thousands in a moment, with
// the permanent-storage dates a test needs (spread over months for a sync
// across several windows, or several sharing one instant for the
// boundaries of a narrowed range). The documents are FA (3) invoices of
// samples.Generator, valid in every respect (samples_test.go holds them to
// core/invoice and the XSD); their metadata is core/invoice's, as for sent
// invoices.
type Seed struct {
	SellerNIP string `json:"sellerNip"`
	// BuyerNIP is Podmiot2's NIP (default: a random valid NIP).
	BuyerNIP string `json:"buyerNip,omitempty"`
	Count    int    `json:"count"`
	// Size in bytes of each invoice (default: the sample's ~3.4 KB).
	Size int `json:"size,omitempty"`
	// NumberPrefix of the invoice numbers <prefix>-<i> (default: random).
	NumberPrefix string `json:"numberPrefix,omitempty"`
	// StoredFrom is the permanentStorageDate of the first invoice; the
	// others follow Spacing apart ("1ms" by default, a Go duration), in
	// groups of PerInstant (default 1) sharing one instant. Default: so
	// that the last is stored now. invoicingDate and acquisitionDate are
	// the permanentStorageDate minus Options.PermanentStorageDelay.
	StoredFrom time.Time `json:"storedFrom,omitzero"`
	Spacing    string    `json:"spacing,omitempty"`
	PerInstant int       `json:"perInstant,omitempty"`
}

// Seeded lists the KSeF numbers given, in order.
type Seeded struct {
	KSeFNumbers []string `json:"ksefNumbers"`
}

// maxSeed bounds one request (the documents stay in memory).
const maxSeed = 200_000

// SeedInvoices stores the invoices Seed describes.
func (s *Server) SeedInvoices(req Seed) (*Seeded, error) {
	if err := ids.ValidateNIP(req.SellerNIP); err != nil {
		return nil, fmt.Errorf("sellerNip: %w", err)
	}
	if req.Count < 1 || req.Count > maxSeed {
		return nil, fmt.Errorf("count: 1 to %d invoices, got %d", maxSeed, req.Count)
	}
	spacing := time.Millisecond
	if req.Spacing != "" {
		d, err := time.ParseDuration(req.Spacing)
		if err != nil || d < 0 {
			return nil, fmt.Errorf("spacing: %q is not a non-negative Go duration (\"1ms\", \"2h\")", req.Spacing)
		}
		spacing = d
	}
	per := max(req.PerInstant, 1)
	gen, err := samples.NewGenerator(samples.Fill{SellerNIP: req.SellerNIP, BuyerNIP: req.BuyerNIP, Number: req.NumberPrefix}, req.Size)
	if err != nil {
		return nil, err
	}
	now := s.now()
	first := req.StoredFrom
	if first.IsZero() {
		first = now.Add(-time.Duration((req.Count-1)/per) * spacing)
	}
	docs := make([]*StoredInvoice, req.Count)
	keys := make([]uniqueKey, req.Count)
	for i := range docs {
		doc := gen.Invoice(i + 1)
		facts, err := invoice.ReadFacts(doc)
		if err != nil {
			return nil, err
		}
		meta, err := invoice.Metadata(doc)
		if err != nil {
			return nil, err
		}
		meta.FormCode = invoice.FA3
		stored := first.Add(time.Duration(i/per) * spacing)
		acquired := stored.Add(-s.opts.PermanentStorageDelay)
		docs[i] = &StoredInvoice{
			InvoiceMetadata: InvoiceMetadata{
				KSeFNumber: ksefNumber(facts.SellerNIP, acquired, randHex(6)), InvoicingDate: acquired,
				AcquisitionDate: acquired, PermanentStorageDate: stored, InvoicingMode: "Online", Meta: *meta,
			},
			Context: ids.ContextIdentifier{Type: ids.ContextNip, Value: facts.SellerNIP}.String(),
			XML:     doc,
		}
		keys[i] = uniqueKeyOf(facts)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, k := range keys {
		if orig := s.store.duplicateOf(k); orig != nil {
			return nil, fmt.Errorf("invoice %d duplicates %s (same seller, type and number): use another numberPrefix", i+1, orig.KSeFNumber)
		}
	}
	out := &Seeded{KSeFNumbers: make([]string, len(docs))}
	for i, inv := range docs {
		s.store.add(inv, keys[i])
		out.KSeFNumbers[i] = inv.KSeFNumber
	}
	s.log.Info("invoices seeded", "count", len(docs), "seller", req.SellerNIP)
	return out, nil
}

// POST /v2/_sim/invoices: Seed → 200 Seeded.
func (s *Server) simSeedInvoices(w http.ResponseWriter, r *http.Request) {
	var req Seed
	if !simDecode(w, r, &req) {
		return
	}
	out, err := s.SeedInvoices(req)
	if err != nil {
		simError(w, http.StatusBadRequest, err)
		return
	}
	s.ok(w, http.StatusOK, out)
}

// GET /v2/_sim/invoices/{ksefNumber}: the stored XML (application/xml),
// what a client's download must equal byte for byte.
func (s *Server) simStoredInvoice(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	inv := s.store.byNumber[r.PathValue("ksefNumber")]
	var doc []byte
	if inv != nil {
		doc = slices.Clone(inv.XML)
	}
	s.mu.Unlock()
	if doc == nil {
		simError(w, http.StatusNotFound, fmt.Errorf("no invoice %s is stored", r.PathValue("ksefNumber")))
		return
	}
	w.Header().Set("Content-Type", "application/xml")
	w.Write(doc)
}
