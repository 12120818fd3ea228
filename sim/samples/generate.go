package samples

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/ksefkit/ksefkit/core/errs"
	"github.com/ksefkit/ksefkit/core/invoice"
)

// Generator makes unique FA (3) invoices of about the same size from the
// "fa3" sample: the same seller, buyer and issue date, invoice numbers
// <prefix>-<i>, and as many invoice lines as the size asks for, with the
// totals (P_13_1, P_14_1, P_15, DoZaplaty) summed over them. Building an
// invoice is a copy of the two halves around its number, so thousands cost
// little more than their bytes.
type Generator struct {
	head, tail []byte // the document before and after the number
	prefix     string
}

// numberMark stands for the number while the document is built.
const numberMark = "GENERATED-NUMBER-MARK"

// NewGenerator prepares invoices of about size bytes (at least the
// sample's own ~3.4 KB). f.Number, if set, is the prefix of the numbers
// (default: random, so that two generators never collide).
func NewGenerator(f Fill, size int) (*Generator, error) {
	prefix := f.Number
	f.Number = numberMark
	f, err := f.complete()
	if err != nil {
		return nil, err
	}
	if prefix == "" {
		prefix = randomNumber()
	}
	if len(prefix) > 150 {
		return nil, errs.Invalid("number", "a number prefix of at most 150 characters, please")
	}
	tmpl, err := Template("fa3")
	if err != nil {
		return nil, err
	}
	doc, err := grow(fill(tmpl, invoice.FA3, f), size)
	if err != nil {
		return nil, err
	}
	head, tail, ok := bytes.Cut(doc, []byte(numberMark))
	if !ok {
		return nil, errs.New(errs.Internal, "samples: the fa3 template lost its number")
	}
	return &Generator{head: head, tail: tail, prefix: escape(prefix)}, nil
}

// Invoice is the i-th invoice: number <prefix>-<i>.
func (g *Generator) Invoice(i int) []byte {
	n := strconv.Itoa(i)
	out := make([]byte, 0, len(g.head)+len(g.prefix)+1+len(n)+len(g.tail))
	out = append(out, g.head...)
	out = append(out, g.prefix...)
	out = append(out, '-')
	out = append(out, n...)
	return append(out, g.tail...)
}

// Number is the invoice number (P_2) of the i-th invoice as the document
// holds it: the sample's own text around <prefix>-<i>.
func (g *Generator) Number(i int) string {
	doc := g.Invoice(i)
	return string(section(doc, "P_2"))
}

// Generate makes n unique invoices of about size bytes each.
func Generate(n, size int, f Fill) ([][]byte, error) {
	g, err := NewGenerator(f, size)
	if err != nil {
		return nil, err
	}
	out := make([][]byte, n)
	for i := range out {
		out[i] = g.Invoice(i + 1)
	}
	return out, nil
}

// grow adds invoice lines after the last one until the document is about
// size bytes, and sets the totals to match.
func grow(doc []byte, size int) ([]byte, error) {
	end := bytes.LastIndex(doc, []byte("</FaWiersz>"))
	net, err := amount(section(doc, "P_13_1"))
	if end < 0 || err != nil {
		return nil, errs.New(errs.Internal, "samples: the fa3 template has no invoice lines or P_13_1")
	}
	end += len("</FaWiersz>")
	lines := bytes.Count(doc, []byte("<FaWiersz>"))
	var rows []byte
	for k := 1; ; k++ {
		qty, price := int64(k%9+1), int64(1000+k%50*37) // price in cents
		row := fmt.Sprintf("\n\t\t<FaWiersz>\n\t\t\t<NrWierszaFa>%d</NrWierszaFa>\n\t\t\t<P_7>Usługa testowa nr %d</P_7>\n\t\t\t<P_8A>szt.</P_8A>\n\t\t\t<P_8B>%d</P_8B>\n\t\t\t<P_9A>%s</P_9A>\n\t\t\t<P_11>%s</P_11>\n\t\t\t<P_12>23</P_12>\n\t\t</FaWiersz>",
			lines+k, k, qty, money(price), money(qty*price))
		if len(doc)+len(rows)+len(row) > size {
			break
		}
		rows = append(rows, row...)
		net += qty * price
	}
	out := append(append(append([]byte{}, doc[:end]...), rows...), doc[end:]...)
	vat := (net*23 + 50) / 100
	out = setAll(out, "P_13_1", money(net))
	out = setAll(out, "P_14_1", money(vat))
	out = setAll(out, "P_15", money(net+vat))
	return setAll(out, "DoZaplaty", money(net+vat)), nil
}

// money writes cents as "123.45".
func money(c int64) string { return fmt.Sprintf("%d.%02d", c/100, c%100) }

// amount reads "123.45" as cents.
func amount(b []byte) (int64, error) {
	whole, frac, _ := bytes.Cut(bytes.TrimSpace(b), []byte("."))
	w, err := strconv.ParseInt(string(whole), 10, 64)
	if err != nil {
		return 0, err
	}
	f, err := strconv.ParseInt((string(frac) + "00")[:2], 10, 64)
	return w*100 + f, err
}

// Reader reads the i-th invoice without building it — for tests that
// stream gigabytes of invoices and must not measure their own copies.
func (g *Generator) Reader(i int) *InvoiceReader {
	mid := "-" + strconv.Itoa(i)
	return &InvoiceReader{
		Reader: io.MultiReader(bytes.NewReader(g.head), strings.NewReader(g.prefix), strings.NewReader(mid), bytes.NewReader(g.tail)),
		n:      len(g.head) + len(g.prefix) + len(mid) + len(g.tail),
	}
}

// InvoiceReader is one generated invoice being read.
type InvoiceReader struct {
	io.Reader
	n int
}

// Len is the invoice's size in bytes.
func (r *InvoiceReader) Len() int { return r.n }
