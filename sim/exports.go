package sim

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/flate"
	"compress/gzip"
	"crypto/aes"
	"crypto/cipher"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"net/http"
	"time"

	"github.com/ksefkit/ksefkit/core/api"
	"github.com/ksefkit/ksefkit/core/ids"
)

// Exports (POST /invoices/exports, GET /invoices/exports/{ref}): the
// package is built when the export is requested — the invoices the filters
// select at that moment, in ascending order of the filters' date type, up
// to ExportInvoiceLimit invoices or ExportSizeLimit bytes of compressed
// invoices (_metadata.json not counted), as KSeF documents — then shown as
// status 100 for ExportDelay. The package is a ZIP (or tar.gz) of
// {ksefNumber}.xml files and _metadata.json ({"invoices": [InvoiceMetadata…]}),
// split into parts of ExportPartSize bytes, each encrypted on its own with
// AES-256-CBC/PKCS#7 under the requester's key and IV (no IV prefix), and
// downloadable through pre-signed URLs (/storage/{ref}/export-part/{name})
// until ExportPackageTTL passes (status 210 then). The status itself is
// gone (410) after seven days.

const (
	infixExport            = "EH"
	exportPartKind         = "export-part"
	defaultExportLimit     = 10_000
	defaultExportSizeLimit = 1_000_000_000
	defaultExportPartSize  = 50_000_000
	defaultMaxExports      = 10
	exportStatusRetention  = 7 * 24 * time.Hour
)

var exportDescriptions = map[int]string{
	100: "Eksport faktur w toku",
	200: "Eksport faktur zakończony sukcesem",
	210: "Eksport faktur wygasł i nie jest już dostępny do pobrania",
	415: "Błąd odszyfrowania dostarczonego klucza",
	420: "Zakres filtrowania wykracza poza dostępny zakres danych",
}

// receivingDefaults fills the options of receiving invoices.
func receivingDefaults(o *Options) error {
	if o.QueryLimit <= 0 {
		o.QueryLimit = defaultQueryLimit
	}
	setDefault(&o.HWMLag, defaultHWMLag)
	if o.ExportInvoiceLimit <= 0 {
		o.ExportInvoiceLimit = defaultExportLimit
	}
	if o.ExportSizeLimit <= 0 {
		o.ExportSizeLimit = defaultExportSizeLimit
	}
	if o.ExportPartSize <= 0 {
		o.ExportPartSize = defaultExportPartSize
	}
	setDelay(&o.ExportDelay, 200*time.Millisecond)
	setDefault(&o.ExportPackageTTL, 24*time.Hour)
	if o.MaxExports <= 0 {
		o.MaxExports = defaultMaxExports
	}
	for g, l := range o.RateLimitOverrides {
		if _, ok := defaultRateLimits[g]; !ok {
			return fmt.Errorf("sim: RateLimitOverrides: no rate-limit group %q", g)
		}
		if l.PerSecond < 0 || l.PerMinute < 0 || l.PerHour < 0 {
			return fmt.Errorf("sim: RateLimitOverrides[%s]: negative limit", g)
		}
	}
	return nil
}

// export is one "EH" export. Guarded by Server.mu; nothing changes after
// creation but what time reveals.
type export struct {
	ref     string
	context ids.ContextIdentifier
	created time.Time
	ready   time.Time  // the outcome shows from then on
	expires time.Time  // the package is gone from then on (210)
	outcome statusInfo // 200, 415 or 420
	pkg     *exportPackage
}

type exportPackage struct {
	invoiceCount int
	size         int64
	truncated    bool
	dateType     string
	last         *StoredInvoice // the last invoice in the package, when truncated
	hwm          *time.Time     // dateType PermanentStorage
	parts        []*exportPart
}

type exportPart struct {
	ordinal    int
	name       string
	plainSize  int64
	plainHash  string
	cipher     []byte
	cipherHash string
}

type exportRequest struct {
	Encryption      encryptionInfo          `json:"encryption"`
	OnlyMetadata    bool                    `json:"onlyMetadata"`
	Filters         api.InvoiceQueryFilters `json:"filters"`
	CompressionType *string                 `json:"compressionType"`
}

// POST /invoices/exports
func (s *Server) handleStartExport(w http.ResponseWriter, r *http.Request) {
	op, ok := s.access(w, r)
	if !ok {
		return
	}
	var req exportRequest
	if !s.decode(w, r, &req) {
		return
	}
	now := s.now()
	if !s.checkFilters(w, r, &req.Filters, now) {
		return
	}
	if !exportAllowed(req.Filters.SubjectType, op.context.Type) {
		s.badRequest(w, r, exc(codeExportForbidden, fmt.Sprintf("Nie można wyeksportować paczki faktur dla wybranego podmiotu (%s) i zalogowanego identyfikatora kontekstu (%s).", req.Filters.SubjectType, op.context.Type)))
		return
	}
	sk, iv, problems, unknownKey := s.sessionKey(req.Encryption)
	switch {
	case len(problems) > 0:
		s.badRequest(w, r, exc(codeValidation, problems...))
		return
	case unknownKey != "":
		s.badRequest(w, r, unknownKeyError(unknownKey))
		return
	}
	var key []byte // nil: not unwrapped (status 415)
	if !sk.IsZero() {
		key = sk.Reveal()
	}
	compression := "Zip"
	if req.CompressionType != nil {
		compression = *req.CompressionType
	}
	s.mu.Lock()
	inProgress := 0
	for _, x := range s.exports {
		if x.context == op.context && now.Before(x.ready) {
			inProgress++
		}
	}
	if inProgress >= s.opts.MaxExports {
		s.mu.Unlock()
		s.badRequest(w, r, exc(codeTooManyExports, fmt.Sprintf("Dla uwierzytelnionego podmiotu w bieżącym kontekście osiągnięto maksymalny limit %d równoczesnych eksportów faktur. Spróbuj ponownie później.", s.opts.MaxExports)))
		return
	}
	x := &export{ref: newRef(now, infixExport), context: op.context, created: now, ready: now.Add(s.opts.ExportDelay)}
	x.expires = x.ready.Add(s.opts.ExportPackageTTL)
	var sel selection
	switch {
	case key == nil:
		x.outcome = exportStatus(415)
	case req.Filters.DateRange.RestrictToPermanentStorageHwmDate && req.Filters.DateRange.From.After(s.hwm(now)):
		x.outcome = exportStatus(420, "Parametr dateRange.from jest późniejszy niż PermanentStorageHwmDate przy włączonym restrictToPermanentStorageHwmDate.")
	default:
		sel = s.selectInvoices(op.context, &req.Filters, now, false)
		// Snapshot what the package needs while the lock is held.
		for i, inv := range sel.invoices {
			c := inv.clone()
			sel.invoices[i] = &c
		}
	}
	s.exports[x.ref] = x
	s.mu.Unlock()
	if key != nil && x.outcome.Code == 0 {
		pkg, err := s.buildPackage(x.ref, sel, req.Filters.DateRange.DateType, req.OnlyMetadata, compression, key, iv)
		if err != nil {
			s.unexpected(w, r, "ksef-sim: building the export package: "+err.Error())
			return
		}
		s.mu.Lock()
		x.pkg, x.outcome = pkg, exportStatus(200)
		s.mu.Unlock()
	}
	s.log.Info("export requested", "ref", x.ref, "context", op.context.String(), "subjectType", req.Filters.SubjectType, "outcome", x.outcome.Code)
	s.ok(w, http.StatusCreated, map[string]string{"referenceNumber": x.ref})
}

// exportAllowed is KSeF's rule 21181: the seller, buyer and authorised
// subject views need a NIP context; third parties are also identified by
// an internal identifier.
func exportAllowed(subjectType string, ctx ids.ContextType) bool {
	return ctx == ids.ContextNip || subjectType == SubjectThird && ctx == ids.ContextInternalID
}

func exportStatus(code int, details ...string) statusInfo {
	return statusInfo{Code: code, Description: exportDescriptions[code], Details: details}
}

// buildPackage packs the selected invoices (within the limits), splits the
// package into parts and encrypts each.
func (s *Server) buildPackage(ref string, sel selection, dateType string, onlyMetadata bool, compression string, key, iv []byte) (*exportPackage, error) {
	pkg := &exportPackage{dateType: dateType}
	if dateType == "PermanentStorage" {
		h := minTime(sel.to, sel.hwm)
		pkg.hwm = &h
	}
	var files []packFile
	var meta []InvoiceMetadata
	var compressed int64
	var fw deflater
	for _, inv := range sel.invoices {
		if len(meta) == s.opts.ExportInvoiceLimit {
			pkg.truncated = true
			break
		}
		if !onlyMetadata {
			f, err := fw.file(inv.KSeFNumber+".xml", inv.XML)
			if err != nil {
				return nil, err
			}
			if compressed+int64(len(f.deflated)) > s.opts.ExportSizeLimit && len(meta) > 0 {
				pkg.truncated = true
				break
			}
			compressed += int64(len(f.deflated))
			files = append(files, f)
		}
		meta = append(meta, inv.InvoiceMetadata)
		pkg.last = inv
	}
	if !pkg.truncated {
		pkg.last = nil
	}
	if meta == nil {
		meta = []InvoiceMetadata{}
	}
	mj, err := json.Marshal(map[string]any{"invoices": meta})
	if err != nil {
		return nil, err
	}
	mf, err := fw.file("_metadata.json", mj)
	if err != nil {
		return nil, err
	}
	files = append(files, mf)
	pkg.invoiceCount = len(meta)
	var plain []byte
	if compression == "TarGz" {
		plain, err = packTarGz(files)
	} else {
		plain, err = packZip(files)
	}
	if err != nil {
		return nil, err
	}
	pkg.size = int64(len(plain))
	for i, off := 1, 0; off < len(plain) || i == 1; i++ {
		end := min(off+s.opts.ExportPartSize, len(plain))
		chunk := plain[off:end]
		ct := encryptCBC(key, iv, chunk)
		pkg.parts = append(pkg.parts, &exportPart{
			ordinal: i, name: fmt.Sprintf("%s-%03d.zip.aes", ref, i),
			plainSize: int64(len(chunk)), plainHash: hashB64(chunk), cipher: ct, cipherHash: hashB64(ct),
		})
		off = end
	}
	return pkg, nil
}

// packFile is one file of a package, compressed once (for the size limit
// and, in a ZIP, as stored).
type packFile struct {
	name     string
	data     []byte
	deflated []byte
	crc      uint32
}

// deflater compresses files one after another with one flate.Writer (a
// new one costs ~1 MB of state: 10 000 invoices would cost 10 GB).
type deflater struct{ w *flate.Writer }

func (d *deflater) file(name string, data []byte) (packFile, error) {
	var b bytes.Buffer
	if d.w == nil {
		w, err := flate.NewWriter(&b, flate.DefaultCompression)
		if err != nil {
			return packFile{}, err
		}
		d.w = w
	} else {
		d.w.Reset(&b)
	}
	d.w.Write(data)
	if err := d.w.Close(); err != nil {
		return packFile{}, err
	}
	return packFile{name: name, data: data, deflated: b.Bytes(), crc: crc32.ChecksumIEEE(data)}, nil
}

func packZip(files []packFile) ([]byte, error) {
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for _, f := range files {
		w, err := zw.CreateRaw(&zip.FileHeader{
			Name: f.name, Method: zip.Deflate, CRC32: f.crc,
			CompressedSize64: uint64(len(f.deflated)), UncompressedSize64: uint64(len(f.data)),
		})
		if err != nil {
			return nil, err
		}
		if _, err := w.Write(f.deflated); err != nil {
			return nil, err
		}
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func packTarGz(files []packFile) ([]byte, error) {
	var b bytes.Buffer
	gz := gzip.NewWriter(&b)
	tw := tar.NewWriter(gz)
	for _, f := range files {
		if err := tw.WriteHeader(&tar.Header{Name: f.name, Mode: 0o644, Size: int64(len(f.data)), Typeflag: tar.TypeReg}); err != nil {
			return nil, err
		}
		if _, err := tw.Write(f.data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	if err := gz.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// encryptCBC is AES-256-CBC with PKCS#7 padding, no IV prefix (KSeF's
// scheme); key is 32 bytes.
func encryptCBC(key, iv, plain []byte) []byte {
	block, err := aes.NewCipher(key)
	if err != nil {
		panic("sim: AES key: " + err.Error())
	}
	pad := aes.BlockSize - len(plain)%aes.BlockSize
	out := make([]byte, len(plain)+pad)
	copy(out, plain)
	for i := len(plain); i < len(out); i++ {
		out[i] = byte(pad)
	}
	cipher.NewCBCEncrypter(block, iv).CryptBlocks(out, out)
	return out
}

type exportStatusResponse struct {
	Status                statusInfo   `json:"status"`
	CompletedDate         *string      `json:"completedDate,omitempty"`
	PackageExpirationDate *string      `json:"packageExpirationDate,omitempty"`
	Package               *packageJSON `json:"package,omitempty"`
}

type packageJSON struct {
	InvoiceCount             int        `json:"invoiceCount"`
	Size                     int64      `json:"size"`
	Parts                    []partJSON `json:"parts"`
	IsTruncated              bool       `json:"isTruncated"`
	LastIssueDate            *string    `json:"lastIssueDate,omitempty"`
	LastInvoicingDate        *string    `json:"lastInvoicingDate,omitempty"`
	LastPermanentStorageDate *string    `json:"lastPermanentStorageDate,omitempty"`
	PermanentStorageHwmDate  *string    `json:"permanentStorageHwmDate,omitempty"`
}

type partJSON struct {
	OrdinalNumber     int    `json:"ordinalNumber"`
	PartName          string `json:"partName"`
	Method            string `json:"method"`
	URL               string `json:"url"`
	PartSize          int64  `json:"partSize"`
	PartHash          string `json:"partHash"`
	EncryptedPartSize int64  `json:"encryptedPartSize"`
	EncryptedPartHash string `json:"encryptedPartHash"`
	ExpirationDate    string `json:"expirationDate"`
}

func strp(s string) *string { return &s }

// GET /invoices/exports/{referenceNumber}
func (s *Server) handleExportStatus(w http.ResponseWriter, r *http.Request) {
	op, ok := s.access(w, r)
	if !ok {
		return
	}
	ref := r.PathValue("referenceNumber")
	now := s.now()
	s.mu.Lock()
	x := s.exports[ref]
	s.mu.Unlock()
	switch {
	case x == nil || x.context != op.context:
		s.badRequest(w, r, exc(codeExportNotFound))
		return
	case !now.Before(x.created.Add(exportStatusRetention)):
		s.problem(w, r, http.StatusGone, "Operacja wygasła i nie jest już dostępna.")
		return
	}
	var out exportStatusResponse
	switch {
	case now.Before(x.ready):
		out.Status = exportStatus(100)
	case x.outcome.Code != 200:
		out.Status, out.CompletedDate = x.outcome, strp(ksefTime(x.ready))
	case !now.Before(x.expires):
		out.Status, out.CompletedDate, out.PackageExpirationDate = exportStatus(210), strp(ksefTime(x.ready)), strp(ksefTime(x.expires))
	default:
		out.Status, out.CompletedDate, out.PackageExpirationDate = x.outcome, strp(ksefTime(x.ready)), strp(ksefTime(x.expires))
		out.Package = s.describePackage(r, x, now)
	}
	s.ok(w, http.StatusOK, out)
}

// describePackage lists the parts with fresh pre-signed URLs.
func (s *Server) describePackage(r *http.Request, x *export, now time.Time) *packageJSON {
	p := x.pkg
	out := &packageJSON{InvoiceCount: p.invoiceCount, Size: p.size, IsTruncated: p.truncated, Parts: make([]partJSON, 0, len(p.parts))}
	if p.truncated && p.last != nil {
		switch p.dateType {
		case "Issue":
			out.LastIssueDate = strp(p.last.IssueDate)
		case "Invoicing":
			out.LastInvoicingDate = strp(ksefTime(p.last.InvoicingDate))
		default:
			out.LastPermanentStorageDate = strp(ksefTime(p.last.PermanentStorageDate))
		}
	}
	if p.hwm != nil {
		out.PermanentStorageHwmDate = strp(ksefTime(*p.hwm))
	}
	for _, part := range p.parts {
		u, exp := s.presignPath(r, "/storage/"+x.ref+"/"+exportPartKind+"/"+part.name)
		if exp.After(x.expires) {
			exp = x.expires
		}
		out.Parts = append(out.Parts, partJSON{
			OrdinalNumber: part.ordinal, PartName: part.name, Method: "GET", URL: u,
			PartSize: part.plainSize, PartHash: part.plainHash,
			EncryptedPartSize: int64(len(part.cipher)), EncryptedPartHash: part.cipherHash,
			ExpirationDate: ksefTime(exp),
		})
	}
	return out
}

// serveExportPart answers a pre-signed GET of one encrypted part (the
// signature and expiry are checked already). A part-tamper fault changes
// one byte and sends the x-ms-meta-hash of the changed bytes, so that only
// encryptedPartHash from the status can tell.
func (s *Server) serveExportPart(w http.ResponseWriter, r *http.Request, ref, name string) {
	now := s.now()
	s.mu.Lock()
	x := s.exports[ref]
	var part *exportPart
	if x != nil && x.pkg != nil && now.Before(x.expires) {
		for _, p := range x.pkg.parts {
			if p.name == name {
				part = p
			}
		}
	}
	s.mu.Unlock()
	if part == nil {
		storageError(w, http.StatusNotFound, "BlobNotFound", "The specified blob does not exist.")
		return
	}
	body, hash := part.cipher, part.cipherHash
	if reqInfoOf(r.Context()).tamperPart {
		body = bytes.Clone(body)
		body[len(body)/2] ^= 0x01
		hash = hashB64(body)
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("x-ms-meta-hash", hash)
	w.WriteHeader(http.StatusOK)
	w.Write(body)
}
