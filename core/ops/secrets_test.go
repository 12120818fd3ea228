package ops

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/ksefkit/ksefkit/core/api"
	"github.com/ksefkit/ksefkit/core/auth"
	"github.com/ksefkit/ksefkit/core/batch"
	"github.com/ksefkit/ksefkit/core/certs"
	"github.com/ksefkit/ksefkit/core/export"
	"github.com/ksefkit/ksefkit/core/ids"
	"github.com/ksefkit/ksefkit/core/invoice"
	"github.com/ksefkit/ksefkit/core/ksef"
	"github.com/ksefkit/ksefkit/core/online"
	"github.com/ksefkit/ksefkit/core/profile"
	"github.com/ksefkit/ksefkit/core/secret"
	"github.com/ksefkit/ksefkit/core/symkey"
	"github.com/ksefkit/ksefkit/core/tokens"
	"github.com/ksefkit/ksefkit/core/transport"
	"github.com/ksefkit/ksefkit/core/xades"
)

// This file checks finding 4 of issue 10 for every public type of core/*
// that can hold a secret: printed with every fmt verb, through both slog
// handlers and json.Marshal, on the value and on a pointer, no canary
// appears. The types are found by parsing core/ (TestEverySecretHoldingTypeIsChecked),
// so a new one cannot be forgotten.

// Canary secrets: distinctive strings no output has by chance.
const (
	canaryToken    = "ksefkit-canary-TOKEN-3f9a1c0b"
	canaryPassword = "ksefkit-canary-PASSWORD-77e0d2"
)

type canaryKey struct {
	aes     []byte // an AES session key
	signer  *ecdsa.PrivateKey
	cert    *x509.Certificate
	keyPEM  []byte
	pkcs12  []byte
	strings []string // every form of the key material a printer could produce
}

func newCanaryKey(t testing.TB) *canaryKey {
	t.Helper()
	tc, err := certs.GenerateTest(certs.TestOptions{NIP: "5265877635", Password: secret.NewString(canaryPassword)})
	if err != nil {
		t.Fatal(err)
	}
	k := tc.Credential.Signer.(*ecdsa.PrivateKey)
	der, _ := x509.MarshalPKCS8PrivateKey(k)
	b, _ := pem.Decode(tc.KeyPEM)
	d, _ := k.Bytes()
	//lint:ignore SA1019 the canary must cover how fmt prints D
	raw := k.D.Bytes()
	aes := make([]byte, 32)
	if _, err := rand.Read(aes); err != nil {
		t.Fatal(err)
	}
	return &canaryKey{
		aes: aes, signer: k, cert: tc.Credential.Certificate, keyPEM: tc.KeyPEM, pkcs12: tc.PKCS12,
		strings: []string{
			base64.StdEncoding.EncodeToString(aes), fmt.Sprintf("%x", aes), fmt.Sprintf("%X", aes), string(aes[:16]),
			fmt.Sprint(aes)[1:30],
			//lint:ignore SA1019 the canary must cover how fmt prints D
			k.D.String(), k.D.Text(16), fmt.Sprintf("%x", raw), fmt.Sprintf("%X", raw), string(raw),
			base64.StdEncoding.EncodeToString(der)[8:48], base64.StdEncoding.EncodeToString(b.Bytes)[8:48],
			base64.StdEncoding.EncodeToString(d), fmt.Sprint(raw[:8])[1:20], canaryToken, canaryPassword,
			base64.StdEncoding.EncodeToString(tc.PKCS12)[8:48],
		},
	}
}

// leak returns the first canary found in out.
func (k *canaryKey) leak(out string) string {
	for _, c := range k.strings {
		if c != "" && strings.Contains(out, c) {
			return c
		}
	}
	return ""
}

// fill sets every field of v that can hold a secret to a canary and returns
// how many it set (a type for which nothing was set would test nothing).
func (k *canaryKey) fill(v reflect.Value) int {
	n := 0
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() && v.CanSet() && v.Type().Elem().Kind() == reflect.Struct {
			v.Set(reflect.New(v.Type().Elem()))
		}
		if !v.IsNil() {
			n += k.fill(v.Elem())
		}
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			f, sf := v.Field(i), v.Type().Field(i)
			if !f.CanSet() {
				continue
			}
			switch {
			case f.Type() == reflect.TypeFor[secret.String]():
				f.Set(reflect.ValueOf(secret.NewString(canaryToken)))
				n++
			case f.Type() == reflect.TypeFor[secret.Bytes]():
				f.Set(reflect.ValueOf(secret.NewBytes(k.keyPEM)))
				n++
			case f.Type() == reflect.TypeFor[crypto.Signer]():
				f.Set(reflect.ValueOf(crypto.Signer(k.signer)))
				n++
			case f.Type() == reflect.TypeFor[*x509.Certificate]():
				f.Set(reflect.ValueOf(k.cert))
			case f.Type() == reflect.TypeFor[*xades.Signer]():
				s, err := xades.NewSigner(k.signer, k.cert)
				if err == nil {
					f.Set(reflect.ValueOf(s))
					n++
				}
			case f.Kind() == reflect.String && secretName(sf.Name):
				f.SetString(canaryToken)
				n++
			case f.Kind() == reflect.Slice && f.Type().Elem().Kind() == reflect.Uint8 && secretName(sf.Name):
				f.SetBytes(append([]byte(nil), k.keyPEM...))
				n++
			case f.Kind() == reflect.Struct || f.Kind() == reflect.Pointer:
				n += k.fill(f)
			}
		}
	}
	return n
}

// secretName is a field name that says it holds a secret when its type is
// a plain string or bytes.
func secretName(name string) bool {
	switch name {
	case "Token", "Password", "Bearer", "KeyPEM", "PKCS12", "Key", "PrivateKey", "Secret",
		"AccessToken", "RefreshToken", "AuthenticationToken", "SessionKey":
		return true
	}
	return false
}

// jsonIsPurpose lists the types whose JSON carries a secret out on purpose
// (operation results: the exported tokens, a generated key): they are held
// to every printed form, not to json.Marshal.
var jsonIsPurpose = map[string]bool{"ops.SavedTokens": true, "ops.GenerateResult": true, "ops.SavedOnlineSession": true,
	"ops.TokensGenerateResult": true, "ops.ProfileInput": true, "batch.SavedState": true, "ops.BatchResumeInput": true}

// checked builds, for every type the scan below finds, a value of it
// holding canaries. Types with exported fields are filled by reflection;
// the others are built by hand.
func checked(t *testing.T, k *canaryKey) map[string]any {
	t.Helper()
	auto := map[string]any{
		"api.TokenInfo": &api.TokenInfo{}, "api.AuthInitResponse": &api.AuthInitResponse{},
		"api.TokensResponse": &api.TokensResponse{}, "api.RefreshResponse": &api.RefreshResponse{},
		"api.Call": &api.Call{}, "auth.Tokens": &auth.Tokens{}, "auth.KSeFToken": &auth.KSeFToken{},
		"auth.XAdES": &auth.XAdES{}, "certs.Credential": &certs.Credential{}, "certs.TestOptions": &certs.TestOptions{},
		"certs.TestCertificate": &certs.TestCertificate{}, "ksef.TokenAuth": &ksef.TokenAuth{},
		"ops.TokenAuthInput": &TokenAuthInput{}, "ops.CredentialInput": &CredentialInput{}, "ops.InspectInput": &InspectInput{},
		"ops.GenerateInput": &GenerateInput{}, "ops.GenerateResult": &GenerateResult{}, "ops.SavedTokens": &SavedTokens{},
		"ops.XadesAuthInput": &XadesAuthInput{}, "ops.SignInput": &SignInput{}, "ops.SourceInput": &SourceInput{},
		"api.GenerateTokenResponse": &api.GenerateTokenResponse{}, "tokens.Generated": &tokens.Generated{},
		"ops.TokensGenerateResult": &TokensGenerateResult{}, "profile.Credential": &profile.Credential{},
	}
	out := map[string]any{}
	for name, p := range auto {
		if n := k.fill(reflect.ValueOf(p)); n == 0 {
			t.Fatalf("%s: no field took a canary", name)
		}
		out[name] = reflect.ValueOf(p).Elem().Interface()
	}
	// By hand: the secret sits in unexported state, in bytes or in a map.
	env := profile.Env{"KSEF_TOKEN": canaryToken, "KSEF_KEY_PASSWORD": canaryPassword}
	out["profile.Sources"] = profile.Sources{Env: env}
	out["ops.ProfileInput"] = ProfileInput{Environ: env}
	bearer := http2Header(canaryToken)
	out["transport.Request"] = transport.Request{Method: "POST", Route: "POST /auth/token/refresh", Header: bearer, Body: []byte(canaryToken)}
	out["transport.Response"] = transport.Response{Status: 200, Header: bearer, Body: []byte(`{"accessToken":{"token":"` + canaryToken + `"}}`)}
	out["api.Result"] = api.Result{Status: 200, Header: bearer, Body: []byte(canaryToken)}
	sig, err := xades.NewSigner(k.signer, k.cert)
	if err != nil {
		t.Fatal(err)
	}
	out["xades.Signer"] = *sig
	tokens := &auth.Tokens{ReferenceNumber: "20250101-AU-1", Context: ids.ContextIdentifier{Type: ids.ContextNip, Value: "5265877635"},
		Access:  api.TokenInfo{Token: secret.NewString(canaryToken), ValidUntil: api.Time{Time: time.Now().Add(time.Hour)}},
		Refresh: api.TokenInfo{Token: secret.NewString(canaryToken), ValidUntil: api.Time{Time: time.Now().Add(time.Hour)}}}
	var s auth.Session
	s.Restore(tokens)
	out["auth.Session"] = &s
	iv := make([]byte, symkey.IVSize)
	sk, err := symkey.FromBytes(k.aes, iv)
	if err != nil {
		t.Fatal(err)
	}
	out["symkey.Key"] = *sk
	state := online.State{ReferenceNumber: "20261201-SO-0A1B2C3D4E-5F6A7B8C9D-E0", FormCode: invoice.FA3,
		ValidUntil: time.Now().Add(time.Hour), Key: secret.NewBytes(k.aes), IV: iv}
	out["online.State"] = state
	sessions := online.New(online.Config{})
	session, err := sessions.Restore(state, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	out["online.Session"] = session
	out["online.Sessions"] = sessions
	out["ops.SavedOnlineSession"] = SavedOnlineSession{ReferenceNumber: state.ReferenceNumber, FormCode: invoice.FA3,
		ValidUntil: state.ValidUntil, Key: secret.NewBytes(k.aes), IV: iv}
	c, err := ksef.New(ksef.Config{Environment: "test"})
	if err != nil {
		t.Fatal(err)
	}
	c.RestoreTokens(tokens)
	if _, err := c.Online().Restore(state, time.Now()); err != nil {
		t.Fatal(err)
	}
	out["ksef.Client"] = c
	ex, err := export.New(export.Config{}).Restore(export.State{ReferenceNumber: "20261201-EH-0A1B2C3D4E-5F6A7B8C9D-E0", Key: secret.NewBytes(k.aes), IV: iv})
	if err != nil {
		t.Fatal(err)
	}
	out["export.State"] = ex.State()
	out["export.Export"] = ex
	for name, v := range batchHolders(t, k, sessions) {
		out[name] = v
	}
	return out
}

// batchHolders are a batch's state (the session key and the pre-signed
// upload URLs, each a credential), its exported form, and what holds them.
func batchHolders(t *testing.T, k *canaryKey, sessions *online.Sessions) map[string]any {
	t.Helper()
	sha := base64.StdEncoding.EncodeToString(make([]byte, 32))
	// One stored document "a.xml" of 10 bytes: a ZIP of 118 bytes (local
	// header 35 + 10, central directory 51, end record 22), one part.
	st := batch.State{
		Record: batch.Record{
			Version: batch.StateVersion, ReferenceNumber: "20261201-SB-0A1B2C3D4E-5F6A7B8C9D-E0", FormCode: invoice.FA3,
			UploadDeadline: time.Now().Add(time.Hour), IV: make([]byte, symkey.IVSize),
			Packing:   batch.Packing{Compression: batch.Zip, Level: 0, PartSize: 1000},
			Archive:   batch.Digest{Size: 118, SHA256: sha},
			Parts:     []batch.Part{{OrdinalNumber: 1, Size: 128, SHA256: sha, Method: "PUT"}},
			Documents: []batch.DocumentRecord{{Name: "a.xml", Size: 10, SHA256: sha, Packed: 10}},
		},
		Key: secret.NewBytes(k.aes), URLs: []secret.String{secret.NewString("https://storage.example/part/1?sig=" + canaryToken)},
	}
	batches := batch.New(batch.Config{Sessions: sessions})
	b, err := batches.Resume(context.Background(), st, batch.Documents(batch.Bytes("a.xml", make([]byte, 10))), batch.UploadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	saved := st.Export()
	return map[string]any{
		"batch.State": st, "batch.SavedState": *saved, "batch.Batch": b, "batch.Batches": batches,
		"batch.Config":         batch.Config{Sessions: sessions, AccessToken: func(context.Context) (string, error) { return canaryToken, nil }},
		"ops.BatchResumeInput": BatchResumeInput{State: saved},
	}
}

func http2Header(tok string) transport.Header {
	return transport.Header{"Authorization": {"Bearer " + tok}, "X-Continuation-Token": {"c"}}
}

var verbs = []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d"}

// printed renders v every way Go prints or serialises a value.
func printed(v any, withJSON bool) map[string]string {
	out := map[string]string{}
	for _, verb := range verbs {
		out[verb] = fmt.Sprintf(verb, v)
		out[verb+" in a struct"] = fmt.Sprintf(verb, struct{ V any }{v})
		out[verb+" in a slice"] = fmt.Sprintf(verb, []any{v})
	}
	if s, ok := v.(fmt.Stringer); ok {
		out["String"] = s.String()
	}
	if g, ok := v.(fmt.GoStringer); ok {
		out["GoString"] = g.GoString()
	}
	for name, h := range map[string]func(*bytes.Buffer) slog.Handler{
		"slog text": func(b *bytes.Buffer) slog.Handler { return slog.NewTextHandler(b, nil) },
		"slog JSON": func(b *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(b, nil) },
	} {
		var b bytes.Buffer
		l := slog.New(h(&b))
		l.Info("m", "v", v)
		l.Info("m", slog.Any("v", v), slog.Group("g", "v", v))
		out[name] = b.String()
	}
	if withJSON {
		j, err := json.Marshal(v)
		out["json.Marshal"] = string(j) + fmt.Sprint(err)
	}
	return out
}

func TestSecretHoldingTypesNeverPrintSecrets(t *testing.T) {
	k := newCanaryKey(t)
	for name, v := range checked(t, k) {
		ptr := reflect.New(reflect.TypeOf(v))
		ptr.Elem().Set(reflect.ValueOf(v))
		for form, x := range map[string]any{"value": v, "pointer": ptr.Interface()} {
			for how, out := range printed(x, !jsonIsPurpose[name]) {
				if c := k.leak(out); c != "" {
					t.Errorf("%s (%s) via %s shows a secret (%.12s…): %.300s", name, form, how, c, out)
				}
			}
		}
	}
}

// The two results whose JSON carries a secret do carry it: the exception
// above is real, and an export that lost its tokens would fail here.
func TestExportedSecretsAreInTheirJSON(t *testing.T) {
	k := newCanaryKey(t)
	all := checked(t, k)
	for name := range jsonIsPurpose {
		j, _ := json.Marshal(all[name])
		if k.leak(string(j)) == "" {
			t.Errorf("%s: the JSON lost the secret it exists to carry: %s", name, j)
		}
	}
}

// secretTypes are the types whose presence in a field means it can hold a
// secret, as the scan below spells them (package name, dot, type).
var secretTypes = map[string]bool{
	"secret.String": true, "secret.Bytes": true, "crypto.Signer": true, "crypto.PrivateKey": true,
	"rsa.PrivateKey": true, "ecdsa.PrivateKey": true, "ed25519.PrivateKey": true, "auth.Credential": true,
}

// checkedElsewhere are secret-holding types this package cannot build (it
// would import itself), with the test that prints them instead.
var checkedElsewhere = map[string]string{
	"bridge.Bridge":  "core/bridge TestBridgeNeverPrintsTokens",
	"export.Package": "core/export TestPackageNeverPrintsItsKey",
}

// notSecret are types the scan flags by a field's name that holds none:
// a profile's auth.key is the key file's path (secrets are named by
// environment variables, never written into the file), and what contains it.
var notSecret = map[string]string{
	"profile.Auth": "Key is a path", "profile.Profile": "holds an Auth", "profile.File": "holds Profiles",
	"profile.Overrides": "holds an Auth", "profile.Resolved": "holds an Auth", "ops.ProfileShowResult": "holds a Profile",
	"ops.ProfileResolveResult": "holds a Resolved",
}

// TestEverySecretHoldingTypeIsChecked parses core/ and finds every exported
// struct type with a field that can hold a secret — of a secret type, a
// string or []byte named like a secret (Token, Password, KeyPEM …), or of
// another such type, directly or through pointers, slices and embedding —
// and fails for any that the print test above does not cover.
func TestEverySecretHoldingTypeIsChecked(t *testing.T) {
	holding := scanSecretHolders(t, "..")
	have := checked(t, newCanaryKey(t))
	var missing []string
	for name := range holding {
		if _, ok := have[name]; !ok && checkedElsewhere[name] == "" && notSecret[name] == "" {
			missing = append(missing, name)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("types that can hold a secret but are not in checked() (add them, with canaries): %v", missing)
	}
	if len(holding) < 20 {
		t.Errorf("the scan found only %d types: it is broken", len(holding))
	}
}

type scannedType struct {
	exported bool
	refs     []string // types its fields mention, as pkg.Type
	direct   bool     // a field is a secret by type or name
}

func scanSecretHolders(t *testing.T, core string) map[string]bool {
	t.Helper()
	types := map[string]*scannedType{}
	err := filepath.WalkDir(core, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path != core && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		imports := map[string]string{}
		for _, im := range f.Imports {
			p := strings.Trim(im.Path.Value, `"`)
			local := p[strings.LastIndex(p, "/")+1:]
			if im.Name != nil {
				imports[im.Name.Name] = local
			} else {
				imports[local] = local
			}
		}
		pkg := f.Name.Name
		for _, decl := range f.Decls {
			gd, ok := decl.(*ast.GenDecl)
			if !ok || gd.Tok != token.TYPE {
				continue
			}
			for _, spec := range gd.Specs {
				ts := spec.(*ast.TypeSpec)
				st := &scannedType{exported: ts.Name.IsExported()}
				types[pkg+"."+ts.Name.Name] = st
				s, ok := ts.Type.(*ast.StructType)
				if !ok {
					continue
				}
				for _, fld := range s.Fields.List {
					ref := typeRef(fld.Type, pkg, imports)
					if ref != "" {
						st.refs = append(st.refs, ref)
						st.direct = st.direct || secretTypes[ref]
					}
					if plainStringOrBytes(fld.Type) {
						for _, n := range fld.Names {
							st.direct = st.direct || secretName(n.Name)
						}
					}
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	holds := map[string]bool{}
	for changed := true; changed; {
		changed = false
		for name, st := range types {
			if holds[name] {
				continue
			}
			h := st.direct
			for _, r := range st.refs {
				h = h || holds[r]
			}
			if h {
				holds[name], changed = true, true
			}
		}
	}
	out := map[string]bool{}
	for name := range holds {
		if types[name].exported && !strings.HasPrefix(name, "secret.") {
			out[name] = true
		}
	}
	return out
}

// typeRef names the named type an expression mentions, through pointers,
// slices, arrays and maps (values): "api.TokenInfo", "crypto.Signer".
func typeRef(e ast.Expr, pkg string, imports map[string]string) string {
	switch x := e.(type) {
	case *ast.StarExpr:
		return typeRef(x.X, pkg, imports)
	case *ast.ArrayType:
		return typeRef(x.Elt, pkg, imports)
	case *ast.MapType:
		return typeRef(x.Value, pkg, imports)
	case *ast.Ident:
		return pkg + "." + x.Name
	case *ast.SelectorExpr:
		if id, ok := x.X.(*ast.Ident); ok {
			if p, ok := imports[id.Name]; ok {
				return p + "." + x.Sel.Name
			}
		}
	}
	return ""
}

func plainStringOrBytes(e ast.Expr) bool {
	switch x := e.(type) {
	case *ast.Ident:
		return x.Name == "string"
	case *ast.ArrayType:
		id, ok := x.Elt.(*ast.Ident)
		return ok && x.Len == nil && id.Name == "byte"
	}
	return false
}
