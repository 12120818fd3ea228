package sim

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"

	xsdvalidate "github.com/terminalstatic/go-xsd-validate"
)

// XML Schema validation with libxml2 (through go-xsd-validate, cgo): the
// invoice schema of a session's form code, and the UPO schema for the
// receipts the simulator itself issues.

//go:embed xsd
var xsdFiles embed.FS

// Root schemas, by the name the simulator uses for them.
const (
	schemaFA2   = "xsd/FA/schemat_FA(2)_v1-0E.xsd"
	schemaFA3   = "xsd/FA/schemat_FA(3)_v1-0E.xsd"
	schemaFARR1 = "xsd/RR/schemat_FA_RR(1)_v1-1E.xsd"
	schemaUPO   = "xsd/upo/upo-v4-3.xsd"
)

// definicjeTypy is where the invoice schemas import StrukturyDanych from, by
// absolute URL; bazoweDir holds our copy.
const (
	definicjeTypy = "http://crd.gov.pl/xml/schematy/dziedzinowe/mf/2022/01/05/eD/DefinicjeTypy/"
	bazoweDir     = "xsd/FA/bazowe"
)

// schemas are compiled once per process (~100 ms for the three invoice
// schemas) and shared read-only by every Server; libxml2 validates against
// one compiled schema from many threads.
var loadSchemas = sync.OnceValues(func() (map[string]*xsdvalidate.XsdHandler, error) {
	if err := xsdvalidate.Init(); err != nil && !strings.Contains(err.Error(), "already initialized") {
		return nil, fmt.Errorf("sim: libxml2: %w", err)
	}
	// libxml2 resolves xsd:include/xsd:import against the including file's
	// location, so the schemas go to a private directory for the time it
	// takes to compile them; the absolute URL of StrukturyDanych is rewritten
	// to the relative path of the local copy.
	dir, err := os.MkdirTemp("", "ksef-sim-xsd-")
	if err != nil {
		return nil, fmt.Errorf("sim: unpack XML schemas: %w", err)
	}
	defer os.RemoveAll(dir)
	err = fs.WalkDir(xsdFiles, "xsd", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || path.Ext(name) != ".xsd" {
			return err
		}
		b, err := xsdFiles.ReadFile(name)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(path.Dir(name), bazoweDir)
		if err != nil {
			return err
		}
		b = []byte(strings.ReplaceAll(string(b), `schemaLocation="`+definicjeTypy, `schemaLocation="`+filepath.ToSlash(rel)+"/"))
		out := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(out), 0o700); err != nil {
			return err
		}
		return os.WriteFile(out, b, 0o600)
	})
	if err != nil {
		return nil, fmt.Errorf("sim: unpack XML schemas: %w", err)
	}
	out := map[string]*xsdvalidate.XsdHandler{}
	for _, name := range []string{schemaFA2, schemaFA3, schemaFARR1, schemaUPO} {
		h, err := xsdvalidate.NewXsdHandlerUrl(filepath.Join(dir, filepath.FromSlash(name)), xsdvalidate.ParsErrDefault)
		if err != nil {
			return nil, fmt.Errorf("sim: compile %s: %w", path.Base(name), err)
		}
		out[name] = h
	}
	return out, nil
})

// validateXSD checks doc against a root schema and returns libxml2's
// findings as "line N: message" (nil when valid).
func validateXSD(schema string, doc []byte) ([]string, error) {
	all, err := loadSchemas()
	if err != nil {
		return nil, err
	}
	h := all[schema]
	if h == nil {
		return nil, fmt.Errorf("sim: no schema %s", schema)
	}
	err = h.ValidateMem(doc, xsdvalidate.ValidErrDefault)
	var ve xsdvalidate.ValidationError
	switch {
	case err == nil:
		return nil, nil
	case errors.As(err, &ve):
		out := make([]string, 0, len(ve.Errors))
		for _, e := range ve.Errors {
			out = append(out, fmt.Sprintf("line %d: %s", e.Line, strings.TrimSpace(e.Message)))
		}
		return out, nil
	}
	var pe xsdvalidate.XmlParserError
	if errors.As(err, &pe) {
		return []string{"not well-formed XML: " + strings.TrimSpace(pe.Error())}, nil
	}
	return nil, fmt.Errorf("sim: XML Schema validation: %w", err)
}
