// Package env names the KSeF environments and the addresses that belong to
// each: the API base (including /v2, as every endpoint path is relative to
// it), the QR-code verification base and the Latarnia availability service.
package env

import (
	"net/url"
	"sort"
	"strings"

	"github.com/ksefkit/ksefkit/core/errs"
)

// Environment is one KSeF deployment, or a custom base URL (the simulator, a proxy).
type Environment struct {
	Name     string `json:"name"`
	APIBase  string `json:"apiBase"`
	QRBase   string `json:"qrBase,omitempty"`
	Latarnia string `json:"latarnia,omitempty"`
	// TestData is true where the /testdata/* endpoints exist (TEST, simulator).
	TestData bool `json:"testData"`
	// SelfSignedAllowed is true where self-signed certificates are accepted
	// for XAdES authentication (TEST only).
	SelfSignedAllowed bool   `json:"selfSignedAllowed"`
	Description       string `json:"description"`
}

// The three public environments (protocol.md §1).
var (
	Test = Environment{
		Name: "test", APIBase: "https://api-test.ksef.mf.gov.pl/v2", QRBase: "https://qr-test.ksef.mf.gov.pl",
		Latarnia: "https://api-latarnia-test.ksef.mf.gov.pl", TestData: true, SelfSignedAllowed: true,
		Description: "TEST (release candidate): shared test data, self-signed certificates accepted",
	}
	Demo = Environment{
		Name: "demo", APIBase: "https://api-demo.ksef.mf.gov.pl/v2", QRBase: "https://qr-demo.ksef.mf.gov.pl",
		Latarnia:    "https://api-latarnia-test.ksef.mf.gov.pl",
		Description: "DEMO (pre-production): production configuration, DEMO-issued or qualified certificates only",
	}
	Production = Environment{
		Name: "prod", APIBase: "https://api.ksef.mf.gov.pl/v2", QRBase: "https://qr.ksef.mf.gov.pl",
		Latarnia:    "https://api-latarnia.ksef.mf.gov.pl",
		Description: "PRODUCTION: legally binding invoices",
	}
)

var aliases = map[string]Environment{
	"test": Test, "te": Test,
	"demo": Demo, "tr": Demo, "preprod": Demo,
	"prod": Production, "production": Production, "prd": Production,
}

// All returns the public environments.
func All() []Environment { return []Environment{Test, Demo, Production} }

// Lookup finds a public environment by name (test, demo, prod and their
// aliases te/tr/prd/production, case-insensitive).
func Lookup(name string) (Environment, error) {
	if e, ok := aliases[strings.ToLower(strings.TrimSpace(name))]; ok {
		return e, nil
	}
	names := make([]string, 0, len(aliases))
	for k := range aliases {
		names = append(names, k)
	}
	sort.Strings(names)
	return Environment{}, errs.Invalid("environment", "unknown environment (%s); expected one of %s, or a custom base URL", errs.Shape(name), strings.Join(names, ", "))
}

// Custom describes an environment reached through baseURL — the simulator
// (http://127.0.0.1:PORT/v2) or a proxy. The URL must be absolute http(s);
// plain http is accepted only for loopback hosts so that no token ever
// crosses a network unencrypted. testData tells whether /testdata/* exists.
func Custom(baseURL string, testData bool) (Environment, error) {
	u, err := url.Parse(strings.TrimRight(baseURL, "/"))
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return Environment{}, errs.Invalid("baseUrl", "base URL (%s) must be an absolute http(s) URL", errs.Shape(baseURL))
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return Environment{}, errs.Invalid("baseUrl", "base URL must not carry credentials, a query or a fragment")
	}
	if u.Scheme == "http" && !isLoopback(u.Hostname()) {
		return Environment{}, errs.Invalid("baseUrl", "plain http is allowed only for loopback hosts (the simulator); use https")
	}
	return Environment{
		Name: "custom", APIBase: u.String(), TestData: testData, SelfSignedAllowed: testData,
		Description: "custom base URL",
	}, nil
}

// IsLoopback reports whether host names this machine (the only place plain
// http is acceptable: the simulator).
func IsLoopback(host string) bool { return isLoopback(host) }

func isLoopback(host string) bool {
	return host == "localhost" || host == "::1" || strings.HasPrefix(host, "127.")
}

// Resolve picks an environment from a name and an optional base URL: a base
// URL wins (name then only documents intent); otherwise the name must be a
// public environment.
func Resolve(name, baseURL string) (Environment, error) {
	if baseURL != "" {
		testData := true
		if name != "" && name != "custom" {
			pub, err := Lookup(name)
			if err != nil {
				return Environment{}, err
			}
			testData = pub.TestData
		}
		e, err := Custom(baseURL, testData)
		if err != nil {
			return e, err
		}
		if name != "" && name != "custom" {
			// A base URL standing in for a public environment (the
			// simulator as TEST, a proxy to PRODUCTION) keeps that
			// environment's QR and Latarnia addresses: the KOD I links on
			// invoices must point where the invoice really is verified.
			pub, _ := Lookup(name)
			e.Name, e.QRBase, e.Latarnia = pub.Name, pub.QRBase, pub.Latarnia
		}
		return e, nil
	}
	if name == "" {
		return Environment{}, errs.Invalid("environment", "environment is required (test, demo, prod) or a baseUrl")
	}
	return Lookup(name)
}
