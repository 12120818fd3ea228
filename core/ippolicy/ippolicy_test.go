package ippolicy

import "testing"

func TestValidate(t *testing.T) {
	ok := &Policy{AllowedIPs: &AllowedIPs{
		Addresses: []string{"192.168.0.10"},
		Ranges:    []string{"10.0.0.1-10.0.0.254"},
		Masks:     []string{"172.16.0.0/16"},
	}}
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []*Policy{
		{AllowedIPs: &AllowedIPs{Addresses: []string{"192.168.0.256"}}},
		{AllowedIPs: &AllowedIPs{Addresses: []string{"::1"}}},
		{AllowedIPs: &AllowedIPs{Addresses: []string{"01.2.3.4"}}},
		{AllowedIPs: &AllowedIPs{Ranges: []string{"10.0.0.9-10.0.0.1"}}},
		{AllowedIPs: &AllowedIPs{Ranges: []string{"10.0.0.9"}}},
		{AllowedIPs: &AllowedIPs{Masks: []string{"10.0.0.0/33"}}},
		{AllowedIPs: &AllowedIPs{Addresses: make([]string, 11)}},
	} {
		if bad.Validate() == nil {
			t.Errorf("accepted %+v", bad.AllowedIPs)
		}
	}
	var nilPolicy *Policy
	if nilPolicy.Validate() != nil || !nilPolicy.Allows("1.2.3.4") {
		t.Fatal("nil policy must allow everything")
	}
}

func TestAllows(t *testing.T) {
	p := &Policy{AllowedIPs: &AllowedIPs{
		Addresses: []string{"192.168.0.10"},
		Ranges:    []string{"10.0.0.1-10.0.0.254"},
		Masks:     []string{"172.16.0.0/16"},
	}}
	for ip, want := range map[string]bool{
		"192.168.0.10": true, "192.168.0.11": false, "10.0.0.7": true, "10.0.0.255": false,
		"172.16.200.1": true, "172.17.0.1": false, "127.0.0.1": false, "garbage": false,
	} {
		if p.Allows(ip) != want {
			t.Errorf("Allows(%s) = %v", ip, !want)
		}
	}
}
