package receive_test

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/ksefkit/ksefkit/core/receive"
	"github.com/ksefkit/ksefkit/sim"
)

// The local checks refuse exactly what the OpenAPI document's enumerations
// do not list.
func TestEnumsMatchOpenAPI(t *testing.T) {
	var doc struct {
		Components struct {
			Schemas map[string]struct {
				Enum []string `json:"enum"`
			} `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(sim.SpecJSON(), &doc); err != nil {
		t.Fatal(err)
	}
	for schema, have := range map[string][]string{
		"InvoiceQuerySubjectType": receive.SubjectTypes, "InvoiceQueryDateType": receive.DateTypes,
		"SortOrder": receive.SortOrders, "AmountType": receive.AmountTypes, "BuyerIdentifierType": receive.BuyerIDTypes,
		"InvoicingMode": receive.InvoicingModes, "InvoiceQueryFormType": receive.FormTypes,
		"InvoiceType": receive.InvoiceTypes, "CurrencyCode": receive.CurrencyCodes,
	} {
		want := doc.Components.Schemas[schema].Enum
		if len(want) == 0 || !slices.Equal(have, want) {
			t.Errorf("%s: have %v, the OpenAPI document lists %v", schema, have, want)
		}
	}
}
