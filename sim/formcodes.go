package sim

import (
	"time"

	"github.com/ksefkit/ksefkit/core/invoice"
)

// formSpec is what the simulator needs about a form code beyond what
// core/invoice knows (its namespace, KodFormularza and facts): the XSD it
// validates the documents against ("" when the schema is not bundled, see
// PEF) and the logical structure its UPOs name.
type formSpec struct {
	code    invoice.FormCode
	schema  string // root schema under sim/xsd
	upoName string // NazwaStrukturyLogicznej
}

// formSpecs covers every form code of invoice.FormCodes (a test holds it
// to that). PEF (3) and PEF_KOR (3) are UBL 2.1 documents (Invoice-2 and
// CreditNote-2): MF publishes their XSDs, but the project does not carry
// the ~3 MB of UBL schemas, so they get core/invoice's checks only.
var formSpecs = map[invoice.FormCode]formSpec{
	invoice.FA3:     {invoice.FA3, schemaFA3, "Schemat_FA(3)_v1-0E.xsd"},
	invoice.FA2:     {invoice.FA2, schemaFA2, "Schemat_FA(2)_v1-0E.xsd"},
	invoice.FARR1:   {invoice.FARR1, schemaFARR1, "Schemat_FA_RR(1)_v1-1E.xsd"},
	invoice.PEF3:    {invoice.PEF3, "", "Schemat_PEF(3)_v2-1.xsd"},
	invoice.PEFKOR3: {invoice.PEFKOR3, "", "Schemat_PEF_KOR(3)_v2-1.xsd"},
}

func lookupForm(c invoice.FormCode) (formSpec, bool) {
	f, ok := formSpecs[c]
	return f, ok
}

// warsaw is KSeF's time zone: KSeF number dates, UPO instants and filter
// dates without an offset are in Europe/Warsaw.
var warsaw = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Warsaw")
	if err != nil {
		// time/tzdata is linked in (server.go), so this cannot happen.
		panic("sim: Europe/Warsaw: " + err.Error())
	}
	return loc
}()

// formCodeText writes the whole triple ("FA (3) 1-0E FA"): the system code
// alone does not tell a wrong schema version or value apart.
func formCodeText(c invoice.FormCode) string {
	return c.SystemCode + " " + c.SchemaVersion + " " + c.Value
}
