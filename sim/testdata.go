package sim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/ksefkit/ksefkit/core/ids"
)

// The TEST environment's /testdata/* helpers (protocol.md §18) that the
// authentication flows depend on: special subjects, NIP–PESEL links,
// permissions ("paper ZAW-FA") and context blocking.

// decode reads a JSON body. With strict validation the schema was already
// checked; this still guards the handlers when validation is off.
func (s *Server) decode(w http.ResponseWriter, r *http.Request, v any) bool {
	if err := json.NewDecoder(r.Body).Decode(v); err != nil {
		s.badRequest(w, r, exc(codeValidation, "invalid JSON body: "+err.Error()))
		return false
	}
	return true
}

// parseCreated reads an optional createdDate (offset optional, as KSeF allows).
func parseCreated(v *string, now time.Time) (time.Time, error) {
	if v == nil || *v == "" {
		return now, nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.9999999"} {
		if t, err := time.Parse(layout, *v); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("createdDate %q is not a date-time", *v)
}

// mayRecreate implements the rule for re-creating test data with the same
// identifier: only with a createdDate later than the previous one.
func mayRecreate(prev time.Time, createdDate *string, created time.Time) bool {
	return createdDate != nil && created.After(prev)
}

type subunitRequest struct {
	SubjectNip  string `json:"subjectNip"`
	Description string `json:"description"`
}

type subjectCreateRequest struct {
	SubjectNip  string           `json:"subjectNip"`
	SubjectType string           `json:"subjectType"`
	Subunits    []subunitRequest `json:"subunits"`
	Description string           `json:"description"`
	CreatedDate *string          `json:"createdDate"`
}

// POST /testdata/subject
func (s *Server) handleSubjectCreate(w http.ResponseWriter, r *http.Request) {
	var req subjectCreateRequest
	if !s.decode(w, r, &req) {
		return
	}
	var problems []string
	if err := ids.ValidateNIP(req.SubjectNip); err != nil {
		problems = append(problems, "subjectNip: "+err.Error())
	}
	switch req.SubjectType {
	case "EnforcementAuthority", "VatGroup", "JST":
	default:
		problems = append(problems, fmt.Sprintf("subjectType: %q is not one of EnforcementAuthority, VatGroup, JST", req.SubjectType))
	}
	var subunits []string
	for i, u := range req.Subunits {
		if err := ids.ValidateNIP(u.SubjectNip); err != nil {
			problems = append(problems, fmt.Sprintf("subunits[%d].subjectNip: %v", i, err))
		}
		subunits = append(subunits, u.SubjectNip)
	}
	created, err := parseCreated(req.CreatedDate, s.now())
	if err != nil {
		problems = append(problems, err.Error())
	}
	if len(problems) > 0 {
		s.badRequest(w, r, exc(codeValidation, problems...))
		return
	}
	s.mu.Lock()
	if prev := s.subjects[req.SubjectNip]; prev != nil && !mayRecreate(prev.created, req.CreatedDate, created) {
		s.mu.Unlock()
		s.badRequest(w, r, exc(codeAlreadyExists, "subject "+req.SubjectNip+" already exists"))
		return
	}
	s.subjects[req.SubjectNip] = &subjectRec{nip: req.SubjectNip, typ: req.SubjectType, description: req.Description, subunits: subunits, created: created}
	s.mu.Unlock()
	s.log.Info("testdata subject created", "nip", req.SubjectNip, "type", req.SubjectType)
	w.WriteHeader(http.StatusOK)
}

type nipRequest struct {
	SubjectNip string `json:"subjectNip"`
	Nip        string `json:"nip"`
}

// POST /testdata/subject/remove (removes the subunits with it)
func (s *Server) handleSubjectRemove(w http.ResponseWriter, r *http.Request) {
	removeByNIP(s, w, r, "subjectNip", func(q nipRequest) string { return q.SubjectNip }, s.subjects)
}

// removeByNIP answers a /testdata/*/remove request: it validates the NIP the
// body names in field and deletes its record from m.
func removeByNIP[T any](s *Server, w http.ResponseWriter, r *http.Request, field string, nipOf func(nipRequest) string, m map[string]T) {
	var req nipRequest
	if !s.decode(w, r, &req) {
		return
	}
	nip := nipOf(req)
	if err := ids.ValidateNIP(nip); err != nil {
		s.badRequest(w, r, exc(codeValidation, field+": "+err.Error()))
		return
	}
	s.mu.Lock()
	delete(m, nip)
	s.mu.Unlock()
	w.WriteHeader(http.StatusOK)
}

type personCreateRequest struct {
	Nip         string  `json:"nip"`
	Pesel       string  `json:"pesel"`
	IsBailiff   bool    `json:"isBailiff"`
	IsDeceased  bool    `json:"isDeceased"`
	Description string  `json:"description"`
	CreatedDate *string `json:"createdDate"`
}

// POST /testdata/person: the person (PESEL) becomes owner of the NIP.
func (s *Server) handlePersonCreate(w http.ResponseWriter, r *http.Request) {
	var req personCreateRequest
	if !s.decode(w, r, &req) {
		return
	}
	var problems []string
	if err := ids.ValidateNIP(req.Nip); err != nil {
		problems = append(problems, "nip: "+err.Error())
	}
	if err := ids.ValidatePESEL(req.Pesel); err != nil {
		problems = append(problems, "pesel: "+err.Error())
	}
	created, err := parseCreated(req.CreatedDate, s.now())
	if err != nil {
		problems = append(problems, err.Error())
	}
	if len(problems) > 0 {
		s.badRequest(w, r, exc(codeValidation, problems...))
		return
	}
	s.mu.Lock()
	if prev := s.persons[req.Nip]; prev != nil && !mayRecreate(prev.created, req.CreatedDate, created) {
		s.mu.Unlock()
		s.badRequest(w, r, exc(codeAlreadyExists, "person with NIP "+req.Nip+" already exists"))
		return
	}
	s.persons[req.Nip] = &person{nip: req.Nip, pesel: req.Pesel, bailiff: req.IsBailiff, deceased: req.IsDeceased, description: req.Description, created: created}
	s.mu.Unlock()
	s.log.Info("testdata person created", "nip", req.Nip, "deceased", req.IsDeceased, "bailiff", req.IsBailiff)
	w.WriteHeader(http.StatusOK)
}

// POST /testdata/person/remove
func (s *Server) handlePersonRemove(w http.ResponseWriter, r *http.Request) {
	removeByNIP(s, w, r, "nip", func(q nipRequest) string { return q.Nip }, s.persons)
}

type testdataPermission struct {
	PermissionType string `json:"permissionType"`
	Description    string `json:"description"`
}

type testdataPermissionsRequest struct {
	ContextIdentifier    ids.ContextIdentifier `json:"contextIdentifier"`
	AuthorizedIdentifier Identity              `json:"authorizedIdentifier"`
	Permissions          []testdataPermission  `json:"permissions"`
}

// validate checks the Nip context and the subject of a permissions request.
func (req *testdataPermissionsRequest) validate() []string {
	var problems []string
	if req.ContextIdentifier.Type != ids.ContextNip {
		problems = append(problems, fmt.Sprintf("contextIdentifier.type: %q is not allowed here (only Nip)", req.ContextIdentifier.Type))
	} else if err := req.ContextIdentifier.Validate(); err != nil {
		problems = append(problems, "contextIdentifier: "+err.Error())
	}
	if err := req.AuthorizedIdentifier.Validate(); err != nil {
		problems = append(problems, "authorizedIdentifier: "+err.Error())
	}
	return problems
}

// POST /testdata/permissions — simulates the paper ZAW-FA form.
func (s *Server) handlePermissionsGrant(w http.ResponseWriter, r *http.Request) {
	var req testdataPermissionsRequest
	if !s.decode(w, r, &req) {
		return
	}
	problems := req.validate()
	var perms []string
	for i, p := range req.Permissions {
		if !isPermission(p.PermissionType) {
			problems = append(problems, fmt.Sprintf("permissions[%d].permissionType: %q is not a permission", i, p.PermissionType))
		}
		perms = append(perms, p.PermissionType)
	}
	if len(problems) > 0 {
		s.badRequest(w, r, exc(codeValidation, problems...))
		return
	}
	s.mu.Lock()
	s.grant(req.ContextIdentifier, req.AuthorizedIdentifier, perms)
	s.mu.Unlock()
	s.log.Info("testdata permissions granted", "context", req.ContextIdentifier.String(), "subject", req.AuthorizedIdentifier.String(), "permissions", perms)
	w.WriteHeader(http.StatusOK)
}

// POST /testdata/permissions/revoke — removes everything the subject holds in the context.
func (s *Server) handlePermissionsRevoke(w http.ResponseWriter, r *http.Request) {
	var req testdataPermissionsRequest
	if !s.decode(w, r, &req) {
		return
	}
	if problems := req.validate(); len(problems) > 0 {
		s.badRequest(w, r, exc(codeValidation, problems...))
		return
	}
	s.mu.Lock()
	delete(s.grants[ctxKey(req.ContextIdentifier)], req.AuthorizedIdentifier.normalize())
	s.mu.Unlock()
	w.WriteHeader(http.StatusOK)
}

type contextBlockRequest struct {
	ContextIdentifier *ids.ContextIdentifier `json:"contextIdentifier"`
}

// POST /testdata/context/block and /testdata/context/unblock
func (s *Server) handleContextBlock(block bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var req contextBlockRequest
		if !s.decode(w, r, &req) {
			return
		}
		if req.ContextIdentifier == nil {
			s.badRequest(w, r, exc(codeValidation, "contextIdentifier is required"))
			return
		}
		if err := s.BlockContext(*req.ContextIdentifier, block); err != nil {
			s.badRequest(w, r, exc(codeValidation, "contextIdentifier: "+err.Error()))
			return
		}
		s.log.Info("testdata context block", "context", req.ContextIdentifier.String(), "blocked", block)
		w.WriteHeader(http.StatusOK)
	}
}

// POST /testdata/attachment and /testdata/attachment/revoke: recorded only
// (the simulator does not accept invoices yet).
func (s *Server) handleAttachment(allow bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var req nipRequest
		if !s.decode(w, r, &req) {
			return
		}
		if err := ids.ValidateNIP(req.Nip); err != nil {
			s.badRequest(w, r, exc(codeValidation, "nip: "+err.Error()))
			return
		}
		s.mu.Lock()
		if allow {
			s.attachments[req.Nip] = true
		} else {
			delete(s.attachments, req.Nip)
		}
		s.mu.Unlock()
		w.WriteHeader(http.StatusOK)
	}
}
