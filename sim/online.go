package sim

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/ksefkit/ksefkit/core/ids"
	"github.com/ksefkit/ksefkit/core/invoice"
	"github.com/ksefkit/ksefkit/core/secret"
)

// Online (interactive) sessions, protocol.md §6 and §8: open with an
// RSA-OAEP-wrapped AES-256 key, send AES-256-CBC encrypted invoices, close.
// Each invoice is decided when it arrives (decrypted, checked, validated
// against its XSD, deduplicated, numbered) but its outcome is revealed only
// after Options.ProcessingDelay on the simulator's clock, as 100 → 150 →
// terminal, so clients have to poll as they do against KSeF. Session
// states (auto-close at validUntil included) are computed from the clock
// whenever they are read: nothing runs in the background.

// Exception codes of the session endpoints (protocol.md §14).
const (
	codeTooManyInvoices  = 21155
	codeInvoiceNotFound  = 21164
	codeSessionNotFound  = 21173
	codeUPONotFound      = 21178
	codeSessionStatus    = 21180
	codeSizeMismatch     = 21402
	codeHashMismatch     = 21403
	onlineSessionTTL     = 12 * time.Hour
	defaultInvoiceLimit  = 10_000
	infixOnlineSession   = "SO"
	infixSessionInvoice  = "EE"
	infixUPOPage         = "EU"
	onlineSessionOpenMsg = "Sesja interaktywna otwarta"
)

func init() {
	for code, d := range map[int]string{
		codeTooManyInvoices: "Przekroczono dozwoloną liczbę faktur w sesji.",
		codeInvoiceNotFound: "Faktura o podanym identyfikatorze nie istnieje.",
		codeSessionNotFound: "Brak sesji o wskazanym numerze referencyjnym.",
		codeUPONotFound:     "Nie znaleziono UPO dla podanych kryteriów.",
		codeSessionStatus:   "Status sesji nie pozwala na wykonanie operacji.",
		codeSizeMismatch:    "Nieprawidłowy rozmiar pliku.",
		codeHashMismatch:    "Nieprawidłowy skrót pliku.",
	} {
		exceptionDescriptions[code] = d
	}
}

// invoiceStatus is InvoiceStatusInfo.
type invoiceStatus struct {
	Code        int               `json:"code"`
	Description string            `json:"description"`
	Details     []string          `json:"details,omitempty"`
	Extensions  map[string]string `json:"extensions,omitempty"`
}

// Invoice statuses with KSeF's descriptions (SessionInvoiceStatusResponse).
var invoiceDescriptions = map[int]string{
	100: "Faktura przyjęta do dalszego przetwarzania",
	150: "Trwa przetwarzanie",
	200: "Sukces",
	405: "Przetwarzanie anulowane z powodu błędu sesji",
	410: "Nieprawidłowy zakres uprawnień",
	415: "Brak możliwości wysyłania faktury z załącznikiem",
	430: "Błąd weryfikacji pliku faktury",
	435: "Błąd odszyfrowania pliku",
	440: "Duplikat faktury",
	450: "Błąd weryfikacji semantyki dokumentu faktury",
	500: "Nieznany błąd (500)",
	550: "Operacja została anulowana przez system",
}

func invStatus(code int, details ...string) invoiceStatus {
	return invoiceStatus{Code: code, Description: invoiceDescriptions[code], Details: details}
}

// onlineSession is one "SO" session. Guarded by Server.mu, except the
// fields set at creation, which never change.
type onlineSession struct {
	ref        string
	context    ids.ContextIdentifier
	opener     *authOp // the authentication that opened it; the UPO names it
	form       formSpec
	key        secret.Bytes // the AES-256 session key; zero when it could not be unwrapped (415)
	iv         []byte
	created    time.Time
	validUntil time.Time

	closed   time.Time // zero while open; set by close or at validUntil
	lastSend time.Time
	invoices []*sessionInvoice
	byRef    map[string]*sessionInvoice

	upoOnce  sync.Once
	upoPages []*upoPage // the collective UPO, once the session is processed

	batch *batchSession // a batch session's own state (batch.go); nil online
}

// sessionInvoice is one invoice sent into a session ("EE" reference).
type sessionInvoice struct {
	ordinal  int
	ref      string
	hash     string // invoiceHash as declared (and verified)
	received time.Time
	done     time.Time // the outcome is visible from then on
	final    invoiceStatus
	number   string // P_2 once read
	mode     string // Online | Offline
	fileName string // invoiceFileName, in a batch session
	stored   *StoredInvoice

	upoOnce sync.Once
	upo     []byte // the signed per-invoice UPO (status 200)
}

// statusAt is the invoice's status at now: 100, then 150, then the outcome.
func (inv *sessionInvoice) statusAt(now time.Time) invoiceStatus {
	switch {
	case !now.Before(inv.done):
		return inv.final
	case now.Before(inv.received.Add(inv.done.Sub(inv.received) / 2)):
		return invStatus(100)
	}
	return invStatus(150)
}

func (inv *sessionInvoice) succeeded(now time.Time) bool {
	return !now.Before(inv.done) && inv.final.Code == 200
}

// sessionState is the session's status at now. An open session past its
// validUntil is closed there, as KSeF does. Caller holds s.mu.
func (s *Server) sessionState(sess *onlineSession, now time.Time) statusInfo {
	if sess.batch != nil {
		return s.batchState(sess, now)
	}
	if sess.key.IsZero() {
		return statusInfo{415, "Błąd odszyfrowania dostarczonego klucza", nil}
	}
	if sess.closed.IsZero() && !now.Before(sess.validUntil) {
		sess.closed = sess.validUntil
		s.log.Info("online session closed at validUntil", "ref", sess.ref)
	}
	switch {
	case sess.closed.IsZero():
		return statusInfo{100, onlineSessionOpenMsg, nil}
	case len(sess.invoices) == 0:
		return statusInfo{440, "Sesja anulowana", []string{"Nie przesłano faktur"}}
	case now.Before(sess.finished()):
		return statusInfo{170, "Sesja interaktywna zamknięta", nil}
	}
	for _, inv := range sess.invoices {
		if inv.final.Code == 200 {
			return statusInfo{200, "Sesja interaktywna przetworzona pomyślnie", nil}
		}
	}
	return statusInfo{445, "Błąd weryfikacji, brak poprawnych faktur", nil}
}

// finished is when the last outcome of a closed session is known.
func (sess *onlineSession) finished() time.Time {
	t := sess.closed
	for _, inv := range sess.invoices {
		if inv.done.After(t) {
			t = inv.done
		}
	}
	return t
}

// updated is dateUpdated: the last send or change of status seen by now.
func (sess *onlineSession) updated(now time.Time) time.Time {
	t := sess.created
	later := func(u time.Time) {
		if !u.IsZero() && !u.After(now) && u.After(t) {
			t = u
		}
	}
	later(sess.lastSend)
	later(sess.closed)
	for _, inv := range sess.invoices {
		later(inv.done)
	}
	if !sess.closed.IsZero() {
		later(sess.finished())
	}
	return t
}

// counts are the invoice counts of the session's status at now.
func (sess *onlineSession) counts(now time.Time) (total, ok, failed int) {
	for _, inv := range sess.invoices {
		if now.Before(inv.done) {
			continue
		}
		if inv.final.Code == 200 {
			ok++
		} else {
			failed++
		}
	}
	return len(sess.invoices), ok, failed
}

// session finds a session of the caller's context; another context's
// session does not exist for it. Caller holds s.mu.
func (s *Server) session(ref string, ctx ids.ContextIdentifier) *onlineSession {
	if sess := s.sessions[ref]; sess != nil && sess.context == ctx {
		return sess
	}
	return nil
}

// lockSession authenticates a call on the session named by the path's
// referenceNumber and finds it in the caller's context. On success it
// returns with s.mu HELD (the caller unlocks); otherwise it has answered
// (401/403/21173) and holds nothing.
func (s *Server) lockSession(w http.ResponseWriter, r *http.Request) (*authOp, *onlineSession, bool) {
	op, ok := s.access(w, r)
	if !ok {
		return nil, nil, false
	}
	ref := r.PathValue("referenceNumber")
	s.mu.Lock()
	sess := s.session(ref, op.context)
	if sess == nil {
		s.mu.Unlock()
		s.badRequest(w, r, sessionNotFound(ref))
		return nil, nil, false
	}
	return op, sess, true
}

func sessionNotFound(ref string) apiError {
	return exc(codeSessionNotFound, "Sesja o numerze referencyjnym "+ref+" nie została znaleziona.")
}

type encryptionInfo struct {
	EncryptedSymmetricKey string  `json:"encryptedSymmetricKey"`
	InitializationVector  string  `json:"initializationVector"`
	PublicKeyID           *string `json:"publicKeyId"`
}

type openOnlineRequest struct {
	FormCode   invoice.FormCode `json:"formCode"`
	Encryption encryptionInfo   `json:"encryption"`
}

type openOnlineResponse struct {
	ReferenceNumber string `json:"referenceNumber"`
	ValidUntil      string `json:"validUntil"`
}

// symmetricKey picks the SymmetricKeyEncryption key named by publicKeyId,
// or the current one when the client sent none.
func (s *Server) symmetricKey(publicKeyID string) (*keyPair, bool) {
	s.keyMu.RLock()
	defer s.keyMu.RUnlock()
	if publicKeyID == "" || publicKeyID == s.symKey.publicKeyID {
		return s.symKey, true
	}
	return nil, false
}

// sessionKey reads the encryption of a session open or an export: the AES
// key (zero when it cannot be unwrapped — KSeF then accepts the request
// and reports status 415), the IV, the input's problems, and a publicKeyId
// the simulator does not know (21470).
func (s *Server) sessionKey(enc encryptionInfo) (key secret.Bytes, iv []byte, problems []string, unknownKey string) {
	wrapped, err := base64.StdEncoding.DecodeString(enc.EncryptedSymmetricKey)
	if err != nil || len(wrapped) == 0 {
		problems = append(problems, "encryption.encryptedSymmetricKey: not Base64")
	}
	iv, err = base64.StdEncoding.DecodeString(enc.InitializationVector)
	if err != nil || len(iv) != aes.BlockSize {
		problems = append(problems, fmt.Sprintf("encryption.initializationVector: expected 16 bytes, got %d", len(iv)))
	}
	if len(problems) > 0 {
		return key, nil, problems, ""
	}
	keyID := ""
	if enc.PublicKeyID != nil {
		keyID = *enc.PublicKeyID
	}
	kp, ok := s.symmetricKey(keyID)
	if !ok {
		return key, nil, nil, keyID
	}
	if plain, err := rsa.DecryptOAEP(sha256.New(), rand.Reader, kp.key, wrapped, nil); err == nil && len(plain) == 32 {
		key = secret.NewBytes(plain)
	}
	return key, iv, nil, ""
}

func unknownKeyError(keyID string) apiError {
	return exc(codeUnknownPublicKey, "Klucz o identyfikatorze "+keyID+" nie jest wspierany.")
}

// POST /sessions/online
func (s *Server) handleOpenOnline(w http.ResponseWriter, r *http.Request) {
	op, ok := s.access(w, r)
	if !ok {
		return
	}
	var req openOnlineRequest
	if !s.decode(w, r, &req) {
		return
	}
	form, known := lookupForm(req.FormCode)
	var problems []string
	if !known {
		supported := make([]string, 0, len(formSpecs))
		for _, c := range invoice.FormCodes() {
			supported = append(supported, formCodeText(c))
		}
		problems = append(problems, fmt.Sprintf("formCode: %s is not supported (use %s)", formCodeText(req.FormCode), strings.Join(supported, ", ")))
	}
	// A key that cannot be unwrapped is no 400: the session exists, with
	// status 415, and refuses invoices (21180), as on KSeF.
	key, iv, keyProblems, unknownKey := s.sessionKey(req.Encryption)
	problems = append(problems, keyProblems...)
	if len(problems) > 0 {
		s.badRequest(w, r, exc(codeValidation, problems...))
		return
	}
	if unknownKey != "" {
		s.badRequest(w, r, unknownKeyError(unknownKey))
		return
	}
	now := s.now()
	sess := &onlineSession{
		ref: newRef(now, infixOnlineSession), context: op.context, opener: op, form: form,
		key: key, iv: iv, created: now, validUntil: now.Add(onlineSessionTTL), byRef: map[string]*sessionInvoice{},
	}
	s.mu.Lock()
	s.sessions[sess.ref] = sess
	s.mu.Unlock()
	s.log.Info("online session opened", "ref", sess.ref, "context", op.context.String(), "formCode", formCodeText(form.code), "keyUnwrapped", !key.IsZero())
	s.ok(w, http.StatusCreated, openOnlineResponse{ReferenceNumber: sess.ref, ValidUntil: ksefTime(sess.validUntil)})
}

// maxInvoiceNumber is the longest invoiceNumber the OpenAPI document lets
// an invoice status or its metadata carry (characters).
const maxInvoiceNumber = 256

type sendInvoiceRequest struct {
	InvoiceHash             string  `json:"invoiceHash"`
	InvoiceSize             int64   `json:"invoiceSize"`
	EncryptedInvoiceHash    string  `json:"encryptedInvoiceHash"`
	EncryptedInvoiceSize    int64   `json:"encryptedInvoiceSize"`
	EncryptedInvoiceContent string  `json:"encryptedInvoiceContent"`
	OfflineMode             bool    `json:"offlineMode"`
	HashOfCorrectedInvoice  *string `json:"hashOfCorrectedInvoice"`
}

type sendInvoiceResponse struct {
	ReferenceNumber string `json:"referenceNumber"`
}

// sendable reports why the session takes no invoice now, or nil. Caller
// holds s.mu.
func (s *Server) sendable(sess *onlineSession, now time.Time) *apiError {
	if sess.batch != nil { // a batch session takes no invoices one by one
		e := sessionNotFound(sess.ref)
		return &e
	}
	if st := s.sessionState(sess, now); st.Code != 100 {
		e := exc(codeSessionStatus, "Status sesji "+strconv.Itoa(st.Code)+" uniemożliwia wysyłkę faktur.")
		return &e
	}
	if len(sess.invoices) >= s.opts.SessionInvoiceLimit {
		e := exc(codeTooManyInvoices, fmt.Sprintf("Sesja o numerze referencyjnym %s osiągnęła dozwolony limit liczby faktur %d.", sess.ref, s.opts.SessionInvoiceLimit))
		return &e
	}
	return nil
}

// declared checks content against the size and hash the client declared
// for it (21402/21403); what is "invoice" or "encryptedInvoice".
func declared(content []byte, size int64, hash, what string) *apiError {
	var e apiError
	switch {
	case int64(len(content)) != size:
		e = exc(codeSizeMismatch, fmt.Sprintf("Długość treści nie zgadza się z rozmiarem pliku (%sSize %d, content %d bytes).", what, size, len(content)))
	case hashB64(content) != hash:
		e = exc(codeHashMismatch, "Skrót treści nie zgadza się ze skrótem pliku ("+what+"Hash).")
	default:
		return nil
	}
	return &e
}

func hashB64(b []byte) string {
	sum := sha256.Sum256(b)
	return base64.StdEncoding.EncodeToString(sum[:])
}

// POST /sessions/online/{referenceNumber}/invoices
func (s *Server) handleSendInvoice(w http.ResponseWriter, r *http.Request) {
	var req sendInvoiceRequest
	if !s.decode(w, r, &req) {
		return
	}
	_, sess, ok := s.lockSession(w, r)
	if !ok {
		return
	}
	now := s.now()
	refusal := s.sendable(sess, now)
	s.mu.Unlock()
	if refusal != nil {
		s.badRequest(w, r, *refusal)
		return
	}

	// Synchronous checks of what was sent (21402/21403), then decryption.
	ciphertext, err := base64.StdEncoding.DecodeString(req.EncryptedInvoiceContent)
	if err != nil {
		s.badRequest(w, r, exc(codeValidation, "encryptedInvoiceContent: not Base64"))
		return
	}
	if e := declared(ciphertext, req.EncryptedInvoiceSize, req.EncryptedInvoiceHash, "encryptedInvoice"); e != nil {
		s.badRequest(w, r, *e)
		return
	}
	if req.HashOfCorrectedInvoice != nil && !req.OfflineMode {
		s.badRequest(w, r, exc(codeValidation, "hashOfCorrectedInvoice (a technical correction) requires offlineMode: true"))
		return
	}
	plain, decErr := decryptCBC(sess.key.Reveal(), sess.iv, ciphertext)
	if decErr == nil {
		if e := declared(plain, req.InvoiceSize, req.InvoiceHash, "invoice"); e != nil {
			s.badRequest(w, r, *e)
			return
		}
	}

	// The outcome, decided now and revealed after the processing delay.
	var outcome invoiceStatus
	var doc *verified
	switch {
	case decErr != nil:
		outcome = invStatus(435, "Nie można odszyfrować pliku kluczem sesji: "+decErr.Error())
	default:
		outcome, doc = s.verifyInvoice(plain, sess.form, now)
	}
	force550 := reqInfoOf(r.Context()).invoice550

	// The answer is only buffered (the pipeline validates it before it is
	// sent), so it may be written under the lock.
	s.mu.Lock()
	defer s.mu.Unlock()
	if e := s.sendable(sess, now); e != nil { // closed meanwhile
		s.badRequest(w, r, *e)
		return
	}
	inv := &sessionInvoice{
		ordinal: len(sess.invoices) + 1, ref: newRef(now, infixSessionInvoice), hash: req.InvoiceHash,
		received: now, done: now.Add(s.opts.ProcessingDelay), mode: "Online",
	}
	if doc != nil {
		inv.takeFacts(doc, req.OfflineMode, now)
		if outcome.Code == 200 {
			outcome = s.admit(sess, inv, doc, plain, req, force550)
		}
	}
	inv.final = outcome
	sess.invoices = append(sess.invoices, inv)
	sess.byRef[inv.ref] = inv
	sess.lastSend = now
	s.log.Info("invoice received", "session", sess.ref, "ref", inv.ref, "ordinal", inv.ordinal, "outcome", outcome.Code)
	s.ok(w, http.StatusAccepted, sendInvoiceResponse{ReferenceNumber: inv.ref})
}

// takeFacts records what a readable document says of itself: its number
// and whether it was issued offline.
func (inv *sessionInvoice) takeFacts(doc *verified, offline bool, received time.Time) {
	if n := doc.facts.InvoiceNumber; utf8.RuneCountInString(n) <= maxInvoiceNumber {
		inv.number = n // a longer one is refused (offSchema) and cannot be shown either
	}
	if offline || doc.facts.IssueDate < invoice.DateInPoland(received) {
		inv.mode = "Offline" // declared, or detected: issued before the day it arrived
	}
}

// decryptCBC undoes AES-256-CBC with PKCS#7 padding (no IV prefix).
func decryptCBC(key, iv, ct []byte) ([]byte, error) {
	if len(key) != 32 {
		return nil, fmt.Errorf("no session key")
	}
	if len(ct) == 0 || len(ct)%aes.BlockSize != 0 {
		return nil, fmt.Errorf("ciphertext of %d bytes is not a whole number of AES blocks", len(ct))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	out := make([]byte, len(ct))
	cipher.NewCBCDecrypter(block, iv).CryptBlocks(out, ct)
	n := int(out[len(out)-1])
	if n == 0 || n > aes.BlockSize || !bytes.Equal(out[len(out)-n:], bytes.Repeat([]byte{byte(n)}, n)) {
		return nil, fmt.Errorf("invalid PKCS#7 padding (wrong key or IV?)")
	}
	return out[:len(out)-n], nil
}

// POST /sessions/online/{referenceNumber}/close
func (s *Server) handleCloseOnline(w http.ResponseWriter, r *http.Request) {
	_, sess, ok := s.lockSession(w, r)
	if !ok {
		return
	}
	if sess.batch != nil {
		s.mu.Unlock()
		s.badRequest(w, r, sessionNotFound(sess.ref))
		return
	}
	now := s.now()
	if st := s.sessionState(sess, now); st.Code != 100 {
		s.mu.Unlock()
		s.badRequest(w, r, exc(codeSessionStatus, "Status sesji "+strconv.Itoa(st.Code)+" uniemożliwia zamknięcie sesji."))
		return
	}
	sess.closed = now
	s.mu.Unlock()
	s.log.Info("online session closed", "ref", sess.ref)
	w.WriteHeader(http.StatusNoContent)
}
