package ops

import "encoding/json"

// receiveCases are the receiving operations' inputs refused before any
// request (the client points at a closed port): every binding must refuse
// them alike, with the same fields and findings.
func receiveCases(raw func(any) json.RawMessage) []parityCase {
	client := raw(map[string]any{"baseUrl": "http://127.0.0.1:9/v2", "environment": "test", "maxAttempts": 1})
	filters := func(edit func(f, d map[string]any)) map[string]any {
		d := map[string]any{"dateType": "PermanentStorage", "from": "2026-01-31T23:30:00Z", "to": "2026-03-01T00:00:00Z"}
		f := map[string]any{"subjectType": "Subject2", "dateRange": d}
		if edit != nil {
			edit(f, d)
		}
		return f
	}
	return []parityCase{
		{Name: "error: invoices.query longer than three months", Op: "invoices.query", Client: client,
			Input: raw(map[string]any{"filters": filters(func(_, d map[string]any) { d["to"] = "2026-05-02T00:00:00Z" })})},
		{Name: "error: invoices.query every finding at once", Op: "invoices.query", Client: client, Input: raw(map[string]any{
			"filters": filters(func(f, d map[string]any) {
				f["subjectType"], d["dateType"], d["restrictToPermanentStorageHwmDate"] = "Buyer", "Issue", true
				f["currencyCodes"], f["invoiceTypes"], f["sellerNip"] = []string{"PLN", "ZZZ"}, []string{"VAT"}, "1234567890"
				f["amount"] = map[string]any{"type": "Brutto", "from": 100, "to": 10}
				f["buyerIdentifier"] = map[string]any{"type": "None", "value": "x"}
			}),
		})},
		{Name: "error: invoices.query to before from, Polish wall time", Op: "invoices.query", Client: client,
			Input: raw(map[string]any{"filters": filters(func(_, d map[string]any) { d["from"], d["to"] = "2026-03-01T00:30:00", "2026-03-01T00:00:00+01:00" })})},
		{Name: "error: invoices.query page size", Op: "invoices.query", Client: client, Input: raw(map[string]any{"filters": filters(nil), "pageSize": 5, "sortOrder": "desc"})},
		{Name: "error: invoices.query foreign cursor", Op: "invoices.query", Client: client, Input: raw(map[string]any{"filters": filters(nil), "cursor": "bm90IGEgY3Vyc29y"})},
		{Name: "error: invoices.get bad KSeF number", Op: "invoices.get", Client: client, Input: raw(map[string]any{"ksefNumber": "5265877635-20260101-0123456789AB-00"})},
		{Name: "error: invoices.export bad filters", Op: "invoices.export", Client: client,
			Input: raw(map[string]any{"filters": filters(func(f, _ map[string]any) { f["subjectType"] = "" })})},
		{Name: "error: invoices.sync without a state", Op: "invoices.sync", Client: client, Input: raw(map[string]any{"dir": "unused"})},
		{Name: "error: invoices.sync bad subject types", Op: "invoices.sync", Client: client,
			Input: raw(map[string]any{"state": map[string]any{}, "dir": "unused", "subjectTypes": []string{"Subject2", "Buyer"}})},
	}
}
