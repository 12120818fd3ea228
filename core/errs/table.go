package errs

// Info documents one Code: the exception class every binding raises for it,
// where that class sits in the hierarchy, and whether trying again can help.
//
// The table below is the one list of codes. The exception classes of the
// Python package (ksefkit/errors.py) and of the Node package
// (lib/errors.cjs, index.d.ts) and the error section of docs/ops.md are
// generated from it (core/errs/errgen, `make errors`); a test fails when a
// Code constant is missing here or a generated file is stale.
type Info struct {
	Code Code `json:"code"`
	// Class is the exception class name in Node and Python.
	Class string `json:"class"`
	// Python overrides Class in Python where Class would shadow a builtin
	// (TimeoutError).
	Python string `json:"python,omitempty"`
	// Parent is the class this one extends: another Class of the table, or
	// Root.
	Parent string `json:"parent"`
	// Doc is one line: when the error happens.
	Doc string `json:"doc"`
	// Retryable reports whether the same call, made again later without
	// changing anything, can succeed.
	Retryable bool `json:"retryable"`
}

// Root is the base class of every ksefkit error in the bindings; it is
// written by hand there (it carries the envelope's fields).
const Root = "KsefError"

// ApiClass is the class every KSeF-answered code (ksef.*) descends from.
const ApiClass = "ApiError"

var codes = []Info{
	{Code: InputInvalid, Class: "InputError", Parent: Root,
		Doc: "The caller's input is wrong (bad identifier, missing field, malformed JSON, unreadable certificate); nothing was sent."},
	{Code: UnknownOperation, Class: "UnknownOperationError", Parent: "InputError",
		Doc: "The operation name is not in the table (ops.list lists them); an empty name is input.invalid for the field op."},
	{Code: API, Class: ApiClass, Parent: Root,
		Doc: "KSeF answered with an error (HTTP 4xx/5xx or an exception body); the base of every ksef.* code."},
	{Code: AuthFailed, Class: "AuthFailedError", Parent: ApiClass,
		Doc: "An authentication ended with a terminal status (415, 425, 450, 460, 470, 480, 500, 550 after the retry); see status."},
	{Code: Unauthorized, Class: "UnauthorizedError", Parent: ApiClass,
		Doc: "HTTP 401: the access token is missing, expired or revoked; authenticate again."},
	{Code: Forbidden, Class: "ForbiddenError", Parent: ApiClass,
		Doc: "HTTP 403: permissions, IP policy or a security block."},
	{Code: RateLimited, Class: "RateLimitError", Parent: ApiClass, Retryable: true,
		Doc: "HTTP 429 that outlasted the retry budget; retry after retryAfterSeconds."},
	{Code: Gone, Class: "GoneError", Parent: ApiClass,
		Doc: "HTTP 410: an asynchronous operation's status passed its retention."},
	{Code: Protocol, Class: "ProtocolError", Parent: ApiClass,
		Doc: "KSeF (or something posing as it) answered with a body the client cannot understand."},
	{Code: NotAuthenticated, Class: "NotAuthenticatedError", Parent: Root,
		Doc: "The operation needs an authenticated client."},
	{Code: Transport, Class: "TransportError", Parent: Root, Retryable: true,
		Doc: "The request got no HTTP answer (DNS, TCP, TLS, reset, truncated body) after the retries allowed."},
	{Code: Timeout, Class: "TimeoutError", Python: "KsefTimeoutError", Parent: Root, Retryable: true,
		Doc: "A deadline passed (per request, overall, or polling); polling timeouts carry the reference number to resume with."},
	{Code: Canceled, Class: "CanceledError", Parent: Root,
		Doc: "The caller canceled the operation."},
	{Code: Crypto, Class: "CryptoError", Parent: Root,
		Doc: "A cryptographic step failed (wrong password, key not matching the certificate)."},
	{Code: Signature, Class: "SignatureError", Parent: Root,
		Doc: "An XAdES signature failed verification; findings name the causes."},
	{Code: InvalidHandle, Class: "InvalidHandleError", Parent: Root,
		Doc: "A client or operation handle is unknown, freed or forged."},
	{Code: Internal, Class: "InternalError", Parent: Root,
		Doc: "A bug in ksefkit (a recovered panic, an impossible state)."},
}

// Codes returns every code with its documentation, in the table's order
// (parents before their children).
func Codes() []Info { return append([]Info(nil), codes...) }

// Lookup returns the documentation of a code.
func Lookup(c Code) (Info, bool) {
	for _, i := range codes {
		if i.Code == c {
			return i, true
		}
	}
	return Info{}, false
}

// Retryable reports whether a call that failed with this code can succeed
// when made again unchanged (transport, timeout, rate_limited).
func (c Code) Retryable() bool {
	i, _ := Lookup(c)
	return i.Retryable
}

// PythonClass is the class name in the Python package.
func (i Info) PythonClass() string {
	if i.Python != "" {
		return i.Python
	}
	return i.Class
}

// Ancestors returns the classes above i, nearest first, ending with Root.
func (i Info) Ancestors() []string {
	var out []string
	for p := i.Parent; p != ""; {
		out = append(out, p)
		if p == Root {
			break
		}
		next := ""
		for _, j := range codes {
			if j.Class == p {
				next = j.Parent
				break
			}
		}
		p = next
	}
	return out
}
