package transport

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"strconv"
	"strings"

	"github.com/ksefkit/ksefkit/core/secret"
)

// A Request carries a bearer token in its Authorization header and a
// Response can carry tokens in its body (POST /auth/token/redeem). Printed
// with any fmt verb, as String or GoString, logged or marshalled they show
// the method, route, status, header names and body size — never header
// values or body bytes, which the host side of the step protocol gets
// through its own types.

// Names lists the header names, sorted, without their values.
func (h Header) Names() []string {
	out := make([]string, 0, len(h))
	for k := range h {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func describe(head string, h Header, body []byte) string {
	return head + " headers [" + strings.Join(h.Names(), " ") + "] body " + strconv.Itoa(len(body)) + " bytes " + secret.Redacted
}

func (r Request) String() string {
	return describe("Request{"+r.Method+" "+r.Route+"}", r.Header, r.Body)
}
func (r Request) GoString() string             { return r.String() }
func (r Request) Format(f fmt.State, _ rune)   { _, _ = io.WriteString(f, r.String()) }
func (r Request) LogValue() slog.Value         { return slog.StringValue(r.String()) }
func (r Request) MarshalJSON() ([]byte, error) { return json.Marshal(r.String()) }

func (r Response) String() string {
	return describe("Response{"+strconv.Itoa(r.Status)+"}", r.Header, r.Body)
}
func (r Response) GoString() string             { return r.String() }
func (r Response) Format(f fmt.State, _ rune)   { _, _ = io.WriteString(f, r.String()) }
func (r Response) LogValue() slog.Value         { return slog.StringValue(r.String()) }
func (r Response) MarshalJSON() ([]byte, error) { return json.Marshal(r.String()) }
