package sim

import "time"

// formCode is KSeF's formCode triple as sessions carry it (the JSON of
// core/invoice.FormCode).
type formCode struct {
	SystemCode    string `json:"systemCode"`
	SchemaVersion string `json:"schemaVersion"`
	Value         string `json:"value"`
}

func (f formCode) String() string { return f.SystemCode + " " + f.SchemaVersion + " " + f.Value }

// formSpec is what the simulator knows about a form code: the namespace of
// its documents, the schema it validates them against ("" when the schema
// is not available, see PEF) and the logical structure the UPO names.
type formSpec struct {
	code      formCode
	namespace string
	schema    string
	upoName   string // NazwaStrukturyLogicznej
}

// PEF (3) and PEF_KOR (3) are UBL 2.1 documents (Invoice-2 and CreditNote-2):
// MF publishes their XSDs, but the project does not carry the ~3 MB of UBL
// schemas, so the simulator checks well-formedness and the namespace only.
var formSpecs = []formSpec{
	{formCode{"FA (3)", "1-0E", "FA"}, "http://crd.gov.pl/wzor/2025/06/25/13775/", schemaFA3, "Schemat_FA(3)_v1-0E.xsd"},
	{formCode{"FA (2)", "1-0E", "FA"}, "http://crd.gov.pl/wzor/2023/06/29/12648/", schemaFA2, "Schemat_FA(2)_v1-0E.xsd"},
	{formCode{"FA_RR (1)", "1-1E", "FA_RR"}, "http://crd.gov.pl/wzor/2026/03/06/14189/", schemaFARR1, "Schemat_FA_RR(1)_v1-1E.xsd"},
	{formCode{"PEF (3)", "2-1", "PEF"}, "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2", "", "Schemat_PEF(3)_v2-1.xsd"},
	{formCode{"PEF_KOR (3)", "2-1", "PEF"}, "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2", "", "Schemat_PEF_KOR(3)_v2-1.xsd"},
}

func lookupForm(c formCode) (formSpec, bool) {
	for _, f := range formSpecs {
		if f.code == c {
			return f, true
		}
	}
	return formSpec{}, false
}

// warsaw is KSeF's time zone: issue dates, KSeF number dates and the
// offline auto-detection are calendar days in Europe/Warsaw.
var warsaw = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Warsaw")
	if err != nil {
		// time/tzdata is linked in (server.go), so this cannot happen.
		panic("sim: Europe/Warsaw: " + err.Error())
	}
	return loc
}()
