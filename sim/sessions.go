package sim

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"regexp"
	"sort"
	"strconv"
)

// Authentication sessions: the successful, unrevoked authentications of a
// context, listed newest first and revocable.

type sessionList struct {
	ContinuationToken *string              `json:"continuationToken,omitempty"`
	Items             []authStatusResponse `json:"items"`
}

// cursor is the position after the last item of a page. Paging by position
// in the sort order (not by offset) keeps pages stable while sessions come
// and go. Clients treat the encoded form as opaque.
type cursor struct {
	Start int64  `json:"s"`
	Ref   string `json:"r"`
}

func encodeCursor(op *authOp) string { return encodeCursorAt(op.start.UnixNano(), op.ref) }

// encodeCursorAt makes the continuation token of every paged listing: a
// position in its order and a reference number.
func encodeCursorAt(start int64, ref string) string {
	b, _ := json.Marshal(cursor{start, ref})
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(s string) (cursor, bool) {
	var c cursor
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || json.Unmarshal(b, &c) != nil || !refPattern.MatchString(c.Ref) {
		return c, false
	}
	return c, true
}

// newerFirst is the list order: startDate descending, then reference number.
func newerFirst(a, b *authOp) bool {
	if !a.start.Equal(b.start) {
		return a.start.After(b.start)
	}
	return a.ref < b.ref
}

func after(op *authOp, c cursor) bool {
	if op.start.UnixNano() != c.Start {
		return op.start.UnixNano() < c.Start
	}
	return op.ref > c.Ref
}

// activeSession reports whether op is a live session: authenticated, not
// revoked, and its refresh token (or, before redeem, its authentication
// token) not yet expired. Caller holds s.mu.
func (s *Server) activeSession(op *authOp) bool {
	if op.revoked || s.statusOf(op, false).Code != 200 {
		return false
	}
	until := op.start.Add(s.opts.AuthTokenTTL)
	if op.redeemed {
		until = op.refreshUntil
	}
	return s.now().Before(until)
}

var pageSizePattern = regexp.MustCompile(`^[0-9]{1,9}$`)

// GET /auth/sessions (Bearer access token)
func (s *Server) handleSessionList(w http.ResponseWriter, r *http.Request) {
	c, ok := s.bearer(w, r, typAccess)
	if !ok {
		return
	}
	pageSize, ok := s.pageSize(w, r, 10, 100)
	if !ok {
		return
	}
	from, ok := s.continuation(w, r)
	if !ok {
		return
	}

	s.mu.Lock()
	caller := s.ops[c.Arn]
	var ops []*authOp
	for _, op := range s.ops {
		if op.context == caller.context && s.activeSession(op) && (from == nil || after(op, *from)) {
			ops = append(ops, op)
		}
	}
	sort.Slice(ops, func(i, j int) bool { return newerFirst(ops[i], ops[j]) })
	out := sessionList{Items: []authStatusResponse{}}
	if len(ops) > pageSize {
		next := encodeCursor(ops[pageSize-1])
		out.ContinuationToken = &next
		ops = ops[:pageSize]
	}
	for _, op := range ops {
		item := s.describe(op, s.statusOf(op, false))
		item.ReferenceNumber = op.ref
		current := op.ref == caller.ref
		item.IsCurrent = &current
		out.Items = append(out.Items, item)
	}
	s.mu.Unlock()
	s.ok(w, http.StatusOK, out)
}

// revoke ends a session: its refresh token stops working and its status
// becomes 425; access tokens already issued live until they expire.
// Caller holds s.mu.
func (s *Server) revoke(op *authOp) {
	op.revoked = true
	s.log.Info("authentication session revoked", "ref", op.ref)
}

// DELETE /auth/sessions/current (Bearer access or refresh token)
func (s *Server) handleRevokeCurrent(w http.ResponseWriter, r *http.Request) {
	c, ok := s.bearer(w, r, typAccess, typRefresh)
	if !ok {
		return
	}
	s.mu.Lock()
	s.revoke(s.ops[c.Arn])
	s.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

// DELETE /auth/sessions/{referenceNumber} (Bearer access token): any live
// session of the caller's context.
func (s *Server) handleRevokeSession(w http.ResponseWriter, r *http.Request) {
	c, ok := s.bearer(w, r, typAccess)
	if !ok {
		return
	}
	ref := r.PathValue("referenceNumber")
	s.mu.Lock()
	target := s.ops[ref]
	if target == nil || target.context != s.ops[c.Arn].context || !s.activeSession(target) {
		s.mu.Unlock()
		s.badRequest(w, r, exc(codeAuthNotFound, "Sesja uwierzytelnienia o numerze referencyjnym "+ref+" nie została znaleziona."))
		return
	}
	s.revoke(target)
	s.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

// continuation reads x-continuation-token (nil when absent; 21418 when it
// is not one of ours).
func (s *Server) continuation(w http.ResponseWriter, r *http.Request) (*cursor, bool) {
	v := r.Header.Get("x-continuation-token")
	if v == "" {
		return nil, true
	}
	cur, ok := decodeCursor(v)
	if !ok {
		s.badRequest(w, r, exc(codeBadContinuation))
		return nil, false
	}
	return &cur, true
}

// pageSize reads the pageSize query parameter (default lo).
func (s *Server) pageSize(w http.ResponseWriter, r *http.Request, lo, hi int) (int, bool) {
	v := r.URL.Query().Get("pageSize")
	if v == "" {
		return lo, true
	}
	n, err := strconv.Atoi(v)
	if !pageSizePattern.MatchString(v) || err != nil || n < lo || n > hi {
		s.badRequest(w, r, exc(codeValidation, "pageSize must be an integer from "+strconv.Itoa(lo)+" to "+strconv.Itoa(hi)))
		return 0, false
	}
	return n, true
}
