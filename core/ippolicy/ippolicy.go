// Package ippolicy is the optional IP authorization policy of an
// authentication: the access token is then usable only from the listed IPv4
// addresses, ranges and masks. The same policy travels as JSON
// (authorizationPolicy.allowedIps in POST /auth/ksef-token) and as XML
// (AuthorizationPolicy/AllowedIps in a signed AuthTokenRequest).
package ippolicy

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/ksefkit/ksefkit/core/errs"
)

// MaxEntries is the most entries KSeF accepts in each list.
const MaxEntries = 10

// AllowedIPs lists the IPv4 addresses an access token may be used from.
type AllowedIPs struct {
	Addresses []string `json:"ip4Addresses,omitempty"` // "192.168.0.10"
	Ranges    []string `json:"ip4Ranges,omitempty"`    // "10.0.0.1-10.0.0.254"
	Masks     []string `json:"ip4Masks,omitempty"`     // "172.16.0.0/16"
}

// Policy is the authorizationPolicy object.
type Policy struct {
	AllowedIPs *AllowedIPs `json:"allowedIps,omitempty"`
}

// Empty reports whether the policy restricts nothing.
func (p *Policy) Empty() bool {
	return p == nil || p.AllowedIPs == nil ||
		len(p.AllowedIPs.Addresses)+len(p.AllowedIPs.Ranges)+len(p.AllowedIPs.Masks) == 0
}

// Validate checks every entry against the OpenAPI patterns (dotted-quad IPv4
// without leading zeros, ranges with start ≤ end, masks /0–/32) and the
// per-list limit.
func (p *Policy) Validate() error {
	if p.Empty() {
		return nil
	}
	a := p.AllowedIPs
	for _, l := range []struct {
		name  string
		items []string
		check func(string) error
	}{
		{"ip4Addresses", a.Addresses, checkAddr},
		{"ip4Ranges", a.Ranges, checkRange},
		{"ip4Masks", a.Masks, checkMask},
	} {
		if len(l.items) > MaxEntries {
			return errs.Invalid("authorizationPolicy.allowedIps."+l.name, "at most %d entries allowed, got %d", MaxEntries, len(l.items))
		}
		for i, s := range l.items {
			if err := l.check(s); err != nil {
				return errs.Invalid(fmt.Sprintf("authorizationPolicy.allowedIps.%s[%d]", l.name, i), "entry (%s): %v", errs.Shape(s), err)
			}
		}
	}
	return nil
}

func parse4(s string) (netip.Addr, error) {
	// netip rejects leading zeros already; it also accepts IPv6, which KSeF does not.
	a, err := netip.ParseAddr(s)
	if err != nil || !a.Is4() {
		return netip.Addr{}, fmt.Errorf("not an IPv4 address in dotted-quad form")
	}
	return a, nil
}

func checkAddr(s string) error { _, err := parse4(s); return err }

func checkRange(s string) error {
	from, to, ok := strings.Cut(s, "-")
	if !ok {
		return fmt.Errorf("a range is two IPv4 addresses joined by a single '-'")
	}
	a, err := parse4(from)
	if err != nil {
		return err
	}
	b, err := parse4(to)
	if err != nil {
		return err
	}
	if b.Less(a) {
		return fmt.Errorf("range end is before its start")
	}
	return nil
}

func checkMask(s string) error {
	addr, bits, ok := strings.Cut(s, "/")
	if !ok {
		return fmt.Errorf("a mask is an IPv4 address, '/' and a prefix length")
	}
	if _, err := parse4(addr); err != nil {
		return err
	}
	n, err := strconv.Atoi(bits)
	if err != nil || n < 0 || n > 32 || (len(bits) > 1 && bits[0] == '0') {
		return fmt.Errorf("prefix length must be 0–32")
	}
	return nil
}

// Allows reports whether ip is permitted by the policy (used by the simulator).
func (p *Policy) Allows(ip string) bool {
	if p.Empty() {
		return true
	}
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return false
	}
	a = a.Unmap()
	for _, s := range p.AllowedIPs.Addresses {
		if b, err := parse4(s); err == nil && a == b {
			return true
		}
	}
	for _, s := range p.AllowedIPs.Ranges {
		from, to, _ := strings.Cut(s, "-")
		x, e1 := parse4(from)
		y, e2 := parse4(to)
		if e1 == nil && e2 == nil && !a.Less(x) && !y.Less(a) {
			return true
		}
	}
	for _, s := range p.AllowedIPs.Masks {
		if pr, err := netip.ParsePrefix(s); err == nil && pr.Contains(a) {
			return true
		}
	}
	return false
}
