package sim

import (
	"strings"
	"testing"

	"github.com/ksefkit/ksefkit/core/ids"
	"github.com/ksefkit/ksefkit/core/invoice"
)

func TestSimSampleEndpoints(t *testing.T) {
	_, c := startSim(t, Options{AuthDelay: NoAuthDelay})
	var list struct {
		Samples []struct {
			Name     string           `json:"name"`
			FormCode invoice.FormCode `json:"formCode"`
		} `json:"samples"`
	}
	r := c.do("GET", "/_sim/samples", "", nil)
	r.json(t, &list)
	if r.status != 200 || len(list.Samples) < 5 || list.Samples[0].Name == "" {
		t.Fatalf("%v", r)
	}
	nip := ids.RandomNIP()
	for _, s := range list.Samples {
		r := c.do("GET", "/_sim/samples/"+s.Name+"?sellerNip="+nip+"&number=N%2F1&issueDate=2026-01-15", "", nil)
		if r.status != 200 || r.header.Get("Content-Type") != "application/xml" {
			t.Fatalf("%s: %v", s.Name, r)
		}
		f, err := invoice.Check(r.body, invoice.CheckOptions{FormCode: s.FormCode})
		if err != nil || f.SellerNIP != nip || f.IssueDate != "2026-01-15" || !strings.Contains(f.InvoiceNumber, "N/1") {
			t.Fatalf("%s: %+v %v", s.Name, f, err)
		}
	}
	if r := c.do("GET", "/_sim/samples/nope", "", nil); r.status != 404 || !strings.Contains(string(r.body), "fa3") {
		t.Fatalf("%v", r)
	}
	if r := c.do("GET", "/_sim/samples/fa3?sellerNip=123", "", nil); r.status != 400 || !strings.Contains(string(r.body), "NIP") {
		t.Fatalf("%v", r)
	}
}
