package receive

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ksefkit/ksefkit/core/api"
	"github.com/ksefkit/ksefkit/core/errs"
	"github.com/ksefkit/ksefkit/core/ids"
	"github.com/ksefkit/ksefkit/core/invoice"
)

// MaxRangeEnd is the latest `to` KSeF accepts for a range starting at from:
// three calendar months later, "in UTC or in Europe/Warsaw" as the OpenAPI
// document puts it — whichever of the two ends later (they differ by the
// one or two hours between the clocks, more across a change of summer
// time). Months are counted like time.AddDate: 30 November + 3 months is
// 2 March (28 February does not exist as a 30th).
func MaxRangeEnd(from time.Time) time.Time {
	utc := from.UTC().AddDate(0, 3, 0)
	pl := invoice.FromPolishWallClock(invoice.InPoland(from).AddDate(0, 3, 0))
	if pl.After(utc) {
		return pl
	}
	return utc
}

// CheckFilters holds filters to every rule of the OpenAPI document and of
// KSeF's query before anything is sent: the required fields, every
// enumeration, identifiers (NIP checksum, KSeF number checksum), lengths,
// the date range (to not before from, at most three months — MaxRangeEnd —
// with to defaulting to now as on KSeF), restrictToPermanentStorageHwmDate
// only with dateType PermanentStorage, and amount bounds in order. It
// reports every problem at once: input.invalid naming the first field
// ("filters.dateRange.to"), the rest as findings "field: message".
func CheckFilters(f *api.InvoiceQueryFilters, now time.Time) error {
	var c checker
	c.oneOf("filters.subjectType", f.SubjectType, SubjectTypes, true)
	d := f.DateRange
	c.oneOf("filters.dateRange.dateType", d.DateType, DateTypes, true)
	if d.From.IsZero() {
		c.add("filters.dateRange.from", "from is required")
	} else {
		to := now
		if d.To != nil {
			to = *d.To
		}
		switch {
		case to.Before(d.From):
			c.add("filters.dateRange.to", "to (%s) is before from (%s)", api.FormatQueryTime(to), api.FormatQueryTime(d.From))
		case to.After(MaxRangeEnd(d.From)):
			what := "to"
			if d.To == nil {
				what = "to (now, as KSeF defaults it)"
			}
			c.add("filters.dateRange.to", "the range is longer than KSeF's 3 months: %s %s is after %s", what, api.FormatQueryTime(to), api.FormatQueryTime(MaxRangeEnd(d.From)))
		}
	}
	if d.RestrictToPermanentStorageHwmDate && d.DateType != "PermanentStorage" {
		c.add("filters.dateRange.restrictToPermanentStorageHwmDate", "restrictToPermanentStorageHwmDate applies to dateType PermanentStorage only")
	}
	if f.KSeFNumber != "" {
		if err := ids.ValidateKSeFNumber(f.KSeFNumber); err != nil {
			c.add("filters.ksefNumber", "%s", err)
		}
	}
	if n := utf8.RuneCountInString(f.InvoiceNumber); n > 256 {
		c.add("filters.invoiceNumber", "invoiceNumber has %d characters; at most 256", n)
	}
	if a := f.Amount; a != nil {
		c.oneOf("filters.amount.type", a.Type, AmountTypes, true)
		for _, v := range []struct {
			name string
			x    *float64
		}{{"from", a.From}, {"to", a.To}} {
			if v.x != nil && (math.IsNaN(*v.x) || math.IsInf(*v.x, 0)) {
				c.add("filters.amount."+v.name, "%s is not a finite number", v.name)
			}
		}
		if a.From != nil && a.To != nil && *a.From > *a.To {
			c.add("filters.amount.to", "to (%v) is below from (%v)", *a.To, *a.From)
		}
	}
	if f.SellerNIP != "" {
		if err := ids.ValidateNIP(f.SellerNIP); err != nil {
			c.add("filters.sellerNip", "%s", err)
		}
	}
	if b := f.BuyerIdentifier; b != nil {
		c.oneOf("filters.buyerIdentifier.type", b.Type, BuyerIDTypes, true)
		switch {
		case b.Type == "None" && b.Value != "":
			c.add("filters.buyerIdentifier.value", "type None takes no value")
		case b.Type == "Nip" && b.Value != "":
			if err := ids.ValidateNIP(b.Value); err != nil {
				c.add("filters.buyerIdentifier.value", "%s", err)
			}
		}
		if n := utf8.RuneCountInString(b.Value); n > 50 {
			c.add("filters.buyerIdentifier.value", "value has %d characters; at most 50", n)
		}
	}
	for i, cc := range f.CurrencyCodes {
		c.oneOf(fmt.Sprintf("filters.currencyCodes[%d]", i), cc, CurrencyCodes, true)
	}
	c.oneOf("filters.invoicingMode", f.InvoicingMode, InvoicingModes, false)
	c.oneOf("filters.formType", f.FormType, FormTypes, false)
	for i, t := range f.InvoiceTypes {
		c.oneOf(fmt.Sprintf("filters.invoiceTypes[%d]", i), t, InvoiceTypes, true)
	}
	return c.err()
}

// CheckPaging holds a page request to the query's bounds: sortOrder Asc or
// Desc (empty: Asc), pageSize 10–250 (0: the default).
func CheckPaging(sortOrder string, pageSize int) error {
	var c checker
	c.oneOf("sortOrder", sortOrder, SortOrders, false)
	if pageSize != 0 && (pageSize < 10 || pageSize > 250) {
		c.add("pageSize", "pageSize must be between 10 and 250, got %d", pageSize)
	}
	return c.err()
}

// checker collects findings "field: message".
type checker struct {
	field, msg string
	findings   []string
}

func (c *checker) add(field, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if c.field == "" {
		c.field, c.msg = field, msg
	}
	c.findings = append(c.findings, field+": "+msg)
}

// oneOf checks an enumerated value (empty is allowed unless required).
func (c *checker) oneOf(field, v string, allowed []string, required bool) {
	switch {
	case v == "" && required:
		c.add(field, "%s is required (%s)", lastName(field), strings.Join(allowed, ", "))
	case v != "" && !slices.Contains(allowed, v):
		// The value is described, not quoted: a field mix-up can put
		// anything there, a token included (the echo rule, core/errs).
		if len(allowed) > 12 {
			c.add(field, "%s (%s) is not one of KSeF's values", lastName(field), errs.Shape(v))
		} else {
			c.add(field, "%s (%s) is not one of %s", lastName(field), errs.Shape(v), strings.Join(allowed, ", "))
		}
	}
}

func lastName(field string) string {
	if i := strings.LastIndexByte(field, '.'); i >= 0 {
		return field[i+1:]
	}
	return field
}

func (c *checker) err() error {
	if c.field == "" {
		return nil
	}
	e := errs.Invalid(c.field, "%s", c.msg)
	if len(c.findings) > 1 {
		e.Message += fmt.Sprintf(" (and %d more)", len(c.findings)-1)
		e.Findings = c.findings
	}
	return e
}
