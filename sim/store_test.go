package sim

import (
	"bytes"
	"encoding/json"
	"reflect"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/ksefkit/ksefkit/core/ids"
	"github.com/ksefkit/ksefkit/core/invoice"
	"github.com/ksefkit/ksefkit/sim/samples"
)

// Every official sample (and PEF documents) sent through an online session
// is accepted and stored with metadata that is exactly the OpenAPI schema
// InvoiceMetadata — valid against it in the simulator's own OpenAPI
// document, with no key the schema does not have — and computed by
// invoice.Metadata. One record, a technical correction of an invoice with
// third and authorised subjects, has every field of the schema; who may see
// it is derivable from it.
func TestStoredMetadataMatchesSchema(t *testing.T) {
	s, c := startSim(t, Options{AuthDelay: NoAuthDelay, ProcessingDelay: -1})
	nip, access := accessFor(t, s, c)
	today := invoice.DateInPoland(time.Now())
	if r := c.do("POST", "/testdata/attachment", "", map[string]any{"nip": nip}); r.status != 200 { // for fa3-attachment
		t.Fatalf("enable attachments: %v", r)
	}
	type sent struct {
		form invoice.FormCode
		doc  []byte
		body func(map[string]any)
	}
	var docs []sent
	for _, name := range samples.Names() {
		form, _ := samples.FormCode(name)
		docs = append(docs, sent{form, sample(t, name, samples.Fill{SellerNIP: nip}), nil})
	}
	docs = append(docs, sent{invoice.PEF3, pefInvoice(nip, "PEF/M/1", today, false), nil},
		sent{invoice.PEFKOR3, pefInvoice(nip, "PEF/M/2", today, true), nil})

	buyer, recipient, authorized := ids.RandomNIP(), ids.RandomNIP(), ids.RandomNIP()
	full := bytes.Replace(sample(t, "fa3-subject3", samples.Fill{SellerNIP: nip, BuyerNIP: buyer, RecipientNIP: recipient}), []byte("<Fa>"),
		[]byte(`<PodmiotUpowazniony><DaneIdentyfikacyjne><NIP>`+authorized+`</NIP><Nazwa>Kancelaria Komornicza</Nazwa></DaneIdentyfikacyjne>`+
			`<Adres><KodKraju>PL</KodKraju><AdresL1>ul. Sądowa 1</AdresL1></Adres><RolaPU>1</RolaPU></PodmiotUpowazniony><Fa>`), 1)
	corrected := hashB64([]byte("the rejected offline invoice"))
	docs = append(docs, sent{invoice.FA3, full, func(b map[string]any) { b["offlineMode"], b["hashOfCorrectedInvoice"] = true, corrected }})

	sessions := map[invoice.FormCode]*onlineSess{}
	for _, d := range docs {
		sess := sessions[d.form]
		if sess == nil {
			sess = c.open(access, openOpts{form: d.form})
			sessions[d.form] = sess
		}
		r := sess.trySend(d.doc, d.body)
		var out sendInvoiceResponse
		r.json(t, &out)
		if st := sess.invoice(out.ReferenceNumber); st.Status.Code != 200 {
			t.Fatalf("%s document: %+v", d.form, st.Status)
		}
	}

	sp, err := loadSpec()
	if err != nil {
		t.Fatal(err)
	}
	schema := sp.doc.Components.Schemas["InvoiceMetadata"].Value
	stored := s.Invoices()
	if len(stored) != len(docs) {
		t.Fatalf("%d stored, %d sent", len(stored), len(docs))
	}
	for i, rec := range stored {
		v := asJSON(t, rec.InvoiceMetadata)
		if err := schema.VisitJSON(v, openapi3.MultiErrors(), openapi3.WithStringFormatValidators(map[string]openapi3.StringFormatValidator{
			"byte": byteFormat, "date-time": responseDateTime,
		})); err != nil {
			t.Errorf("%s (%s): not an InvoiceMetadata: %s\n%s", rec.KSeFNumber, rec.FormCode, violationLines(err), mustJSON(t, rec.InvoiceMetadata))
		}
		if extra := unknownKeys(schema, v, ""); len(extra) > 0 {
			t.Errorf("%s: keys the schema does not have: %v", rec.KSeFNumber, extra)
		}
		want, err := invoice.Metadata(docs[i].doc)
		if err != nil || !reflect.DeepEqual(rec.Meta, *want) || rec.FormCode != docs[i].form {
			t.Errorf("%s: stored %+v, invoice.Metadata %+v (%v)", rec.KSeFNumber, rec.Meta, want, err)
		}
	}

	last := stored[len(stored)-1]
	var keys []string
	for k := range asJSON(t, last.InvoiceMetadata).(map[string]any) {
		keys = append(keys, k)
	}
	var props []string
	for k := range schema.Properties {
		props = append(props, k)
	}
	sort.Strings(keys)
	sort.Strings(props)
	if !slices.Equal(keys, props) {
		t.Errorf("the full record has keys\n%v\nthe schema\n%v", keys, props)
	}
	if last.InvoicingMode != "Offline" || last.HashOfCorrectedInvoice == nil || *last.HashOfCorrectedInvoice != corrected ||
		last.AuthorizedSubject.Role != 1 || len(last.ThirdSubjects) == 0 {
		t.Errorf("the technical correction: %+v", last.InvoiceMetadata)
	}
	for _, tc := range []struct {
		subject string
		want    []string
	}{
		{SubjectSeller, []string{nip}},
		{SubjectBuyer, []string{buyer}},
		{SubjectThird, []string{recipient}},
		{SubjectAuthorized, []string{authorized}},
		{"Subject4", nil},
	} {
		var got []string
		for _, id := range last.Subjects(tc.subject) {
			if id.Type != ids.ContextNip {
				t.Errorf("%s: %v", tc.subject, id)
			}
			got = append(got, id.Value)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.subject, got, tc.want)
		}
	}
	// A PEF buyer with an EU VAT number has no KSeF context to see it from.
	for _, rec := range stored {
		if rec.FormCode == invoice.PEF3 && (rec.Buyer.Identifier.Type != "VatUe" || rec.Subjects(SubjectBuyer) != nil) {
			t.Errorf("PEF buyer: %+v %v", rec.Buyer, rec.Subjects(SubjectBuyer))
		}
	}

	// What Invoices hands out is a copy.
	last.ThirdSubjects[0].Name = "changed"
	last.AuthorizedSubject.NIP = "changed"
	if again := s.Invoices()[len(stored)-1]; again.ThirdSubjects[0].Name == "changed" || again.AuthorizedSubject.NIP == "changed" {
		t.Error("Invoices shares the store's metadata")
	}
}

func asJSON(t *testing.T, v any) any {
	t.Helper()
	var out any
	if err := json.Unmarshal(mustJSON(t, v), &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// unknownKeys lists the object keys in v that schema (through allOf and
// array items) does not declare: the schemas allow additional properties,
// so VisitJSON alone would not notice a misspelt field.
func unknownKeys(schema *openapi3.Schema, v any, at string) []string {
	declared := map[string]*openapi3.Schema{}
	var items *openapi3.Schema
	var walk func(*openapi3.Schema)
	walk = func(s *openapi3.Schema) {
		for k, p := range s.Properties {
			declared[k] = p.Value
		}
		for _, a := range s.AllOf {
			walk(a.Value)
		}
		if s.Items != nil {
			items = s.Items.Value
		}
	}
	walk(schema)
	var out []string
	switch x := v.(type) {
	case map[string]any:
		for k, val := range x {
			p, ok := declared[k]
			if !ok {
				out = append(out, at+"/"+k)
				continue
			}
			out = append(out, unknownKeys(p, val, at+"/"+k)...)
		}
	case []any:
		if items != nil {
			for _, val := range x {
				out = append(out, unknownKeys(items, val, at+"[]")...)
			}
		}
	}
	return out
}
