package sim

import (
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/routers"
)

// bearer authenticates a request with one of the simulator's tokens of an
// allowed type and returns its claims. On failure it has already answered:
// 401 for a missing, forged, expired or wrong-type token; 403 ip-not-allowed
// when an access token is used from an address its authorization policy
// does not allow.
func (s *Server) bearer(w http.ResponseWriter, r *http.Request, types ...string) (claims, bool) {
	raw, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	raw = strings.TrimSpace(raw)
	if !ok || raw == "" {
		s.unauthorized(w, r, "Wymagane jest uwierzytelnienie.")
		return claims{}, false
	}
	c, err := s.verify(raw)
	switch {
	case errors.Is(err, errTokenExpired):
		s.unauthorized(w, r, "Token wygasł.")
		return claims{}, false
	case err != nil:
		s.unauthorized(w, r, "Nieprawidłowy token.")
		return claims{}, false
	case !slices.Contains(types, c.Typ):
		s.unauthorized(w, r, "Nieprawidłowy typ tokena ("+c.Typ+"); oczekiwano "+strings.Join(types, " lub ")+".")
		return claims{}, false
	}
	s.mu.Lock()
	op := s.ops[c.Arn]
	var allowed bool
	if op != nil {
		allowed = c.Typ != typAccess || op.policy.Allows(clientIP(r))
	}
	s.mu.Unlock()
	if op == nil {
		s.unauthorized(w, r, "Nieprawidłowy token.")
		return claims{}, false
	}
	if !allowed {
		s.forbidden(w, r, "ip-not-allowed",
			"Żądanie pochodzi z adresu IP innego niż wskazany podczas uwierzytelnienia.",
			map[string]any{"clientIp": clientIP(r)})
		return claims{}, false
	}
	return c, true
}

// access authenticates a KSeF operation with an access token and checks the
// permissions its OpenAPI operation requires (x-required-permissions: any
// one of them), answering 403 missing-permissions like KSeF otherwise. The
// operation returned is the caller's authentication; its context, subject
// and permissions never change after it succeeded.
func (s *Server) access(w http.ResponseWriter, r *http.Request) (*authOp, bool) {
	c, ok := s.bearer(w, r, typAccess)
	if !ok {
		return nil, false
	}
	s.mu.Lock()
	op := s.ops[c.Arn]
	s.mu.Unlock()
	need := requiredPermissions(reqInfoOf(r.Context()).route)
	if len(need) > 0 && !slices.ContainsFunc(op.permissions, func(p string) bool { return slices.Contains(need, p) }) {
		present := op.permissions
		if present == nil {
			present = []string{}
		}
		s.forbidden(w, r, "missing-permissions", "Brak wymaganych uprawnień do wykonania operacji w bieżącym kontekście.",
			map[string]any{"requiredAnyOfPermissions": need, "presentPermissions": present})
		return nil, false
	}
	return op, true
}

// requiredPermissions reads the operation's x-required-permissions.
func requiredPermissions(rt *routers.Route) []string {
	if rt == nil || rt.Operation == nil {
		return nil
	}
	list, _ := rt.Operation.Extensions["x-required-permissions"].([]any)
	out := make([]string, 0, len(list))
	for _, p := range list {
		if s, ok := p.(string); ok {
			out = append(out, s)
		}
	}
	return out
}
