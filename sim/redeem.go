package sim

import (
	"net/http"
	"strconv"
)

type tokensResponse struct {
	AccessToken  tokenInfo `json:"accessToken"`
	RefreshToken tokenInfo `json:"refreshToken"`
}

type refreshResponse struct {
	AccessToken tokenInfo `json:"accessToken"`
}

// sessionBlocked says why an operation's session may not get new tokens, as
// a 21301/21308 error, or nil. Caller holds s.mu.
func (s *Server) sessionBlocked(op *authOp, verb string) *apiError {
	if op.tokenRef != "" && s.tokens[op.tokenRef].revoked {
		e := exc(codeNoAuthorization, "Token KSeF został unieważniony.")
		return &e
	}
	if s.isDeceased(op.subject) {
		e := exc(codeDeceased)
		return &e
	}
	if st := s.statusOf(op, false); st.Code != 200 {
		e := exc(codeNoAuthorization, "Status uwierzytelniania ("+strconv.Itoa(st.Code)+") nie pozwala na "+verb+".")
		return &e
	}
	return nil
}

// POST /auth/token/redeem (Bearer authenticationToken): once per operation.
func (s *Server) handleRedeem(w http.ResponseWriter, r *http.Request) {
	c, ok := s.bearer(w, r, typAuthentication)
	if !ok {
		return
	}
	s.mu.Lock()
	op := s.ops[c.Arn]
	if op.redeemed {
		s.mu.Unlock()
		s.badRequest(w, r, exc(codeNoAuthorization, "Tokeny dla operacji uwierzytelniania "+op.ref+" zostały już pobrane."))
		return
	}
	if e := s.sessionBlocked(op, "pobranie tokenów"); e != nil {
		s.mu.Unlock()
		s.badRequest(w, r, *e)
		return
	}
	access, accessExp := s.issue(typAccess, op, s.opts.AccessTokenTTL)
	refresh, refreshExp := s.issue(typRefresh, op, s.opts.RefreshTokenTTL)
	op.redeemed = true
	op.refreshUntil = refreshExp
	s.mu.Unlock()
	s.log.Info("tokens redeemed", "ref", op.ref)
	s.ok(w, http.StatusOK, tokensResponse{
		AccessToken:  tokenInfo{access, ksefTime(accessExp)},
		RefreshToken: tokenInfo{refresh, ksefTime(refreshExp)},
	})
}

// POST /auth/token/refresh (Bearer refreshToken): a new access token while
// the session is not revoked. An expired refresh token is a 401.
func (s *Server) handleRefresh(w http.ResponseWriter, r *http.Request) {
	c, ok := s.bearer(w, r, typRefresh)
	if !ok {
		return
	}
	s.mu.Lock()
	op := s.ops[c.Arn]
	if e := s.sessionBlocked(op, "odświeżenie tokenu dostępowego"); e != nil {
		s.mu.Unlock()
		s.badRequest(w, r, *e)
		return
	}
	access, exp := s.issue(typAccess, op, s.opts.AccessTokenTTL)
	op.lastRefresh = s.now()
	s.mu.Unlock()
	s.log.Info("access token refreshed", "ref", op.ref)
	s.ok(w, http.StatusOK, refreshResponse{AccessToken: tokenInfo{access, ksefTime(exp)}})
}
