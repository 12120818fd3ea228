package api

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/ksefkit/ksefkit/core/errs"
	"github.com/ksefkit/ksefkit/core/transport"
)

// The wire shapes of KSeF errors. Legacy ExceptionResponse is still the
// default for 400 and for 500s; problem details come for 400/429 on request
// and always for 401/403/410.
type exceptionResponse struct {
	Exception *struct {
		ExceptionDetailList []struct {
			ExceptionCode        int      `json:"exceptionCode"`
			ExceptionDescription string   `json:"exceptionDescription"`
			Details              []string `json:"details"`
		} `json:"exceptionDetailList"`
		ReferenceNumber string `json:"referenceNumber"`
		ServiceCode     string `json:"serviceCode"`
		ServiceCtx      string `json:"serviceCtx"`
		ServiceName     string `json:"serviceName"`
		Timestamp       string `json:"timestamp"`
	} `json:"exception"`
	// Legacy 429 body: {"status":{"code":429,"description":…,"details":[…]}}.
	Status *struct {
		Code        int      `json:"code"`
		Description string   `json:"description"`
		Details     []string `json:"details"`
	} `json:"status"`
}

type problemDetails struct {
	Title    string `json:"title"`
	Status   int    `json:"status"`
	Detail   string `json:"detail"`
	Instance string `json:"instance"`
	Errors   []struct {
		Code        int      `json:"code"`
		Description string   `json:"description"`
		Details     []string `json:"details"`
	} `json:"errors"`
	ReasonCode string         `json:"reasonCode"`
	Security   map[string]any `json:"security"`
	TraceID    string         `json:"traceId"`
	Timestamp  string         `json:"timestamp"`
}

// DecodeError turns a non-2xx answer into a typed error, keeping every
// exception code, description and detail, the trace id and the reference
// number. Bodies that match neither shape still give an error with the HTTP
// status (a WAF's HTML page, an empty 502 …).
func DecodeError(resp *transport.Response) *errs.Error {
	e := &errs.Error{Code: codeForStatus(resp.Status), HTTPStatus: resp.Status}
	if resp.Status == 429 {
		if d, ok := transport.ParseRetryAfter(resp.Header.Get("Retry-After"), time.Now()); ok {
			e.RetryAfterSeconds = int((d + time.Second - 1) / time.Second)
		}
	}
	body := []byte(strings.TrimSpace(string(resp.Body)))
	decoded := false
	if len(body) > 0 && body[0] == '{' {
		var raw map[string]json.RawMessage
		if json.Unmarshal(body, &raw) == nil {
			if _, ok := raw["exception"]; ok {
				decoded = decodeLegacy(body, e)
			} else if _, ok := raw["title"]; ok {
				decoded = decodeProblem(body, e)
			} else if _, ok := raw["detail"]; ok {
				decoded = decodeProblem(body, e)
			} else if _, ok := raw["status"]; ok {
				decoded = decodeLegacy(body, e)
			}
		}
	}
	if e.Message == "" {
		switch {
		case len(e.Exceptions) > 0 && e.Exceptions[0].Description != "":
			e.Message = e.Exceptions[0].Description
		case decoded:
			// A recognised shape with nothing to say (no title, detail or
			// description): the status has to speak for it.
			e.Message = statusText(resp.Status)
		default:
			e.Message = fmt.Sprintf("HTTP %d %s with an unrecognised body (%d bytes, %s)", resp.Status, statusText(resp.Status), len(resp.Body), contentType(resp))
		}
	}
	if e.Code == errs.RateLimited && e.RetryAfterSeconds > 0 {
		e.Message += "; retry after " + strconv.Itoa(e.RetryAfterSeconds) + " s"
	}
	return e
}

func decodeLegacy(body []byte, e *errs.Error) bool {
	var r exceptionResponse
	if json.Unmarshal(body, &r) != nil {
		return false
	}
	if x := r.Exception; x != nil {
		for _, d := range x.ExceptionDetailList {
			e.Exceptions = append(e.Exceptions, errs.Exception{Code: d.ExceptionCode, Description: d.ExceptionDescription, Details: d.Details})
		}
		e.ReferenceNumber = x.ReferenceNumber
		e.TraceID = x.ServiceCode
		e.ServiceCtx = x.ServiceCtx
		e.ServiceName = x.ServiceName
		e.Timestamp = x.Timestamp
		return true
	}
	if s := r.Status; s != nil {
		e.Exceptions = append(e.Exceptions, errs.Exception{Code: s.Code, Description: s.Description, Details: s.Details})
		e.Message = s.Description
		if len(s.Details) > 0 {
			e.Message += ": " + strings.Join(s.Details, "; ")
		}
		return true
	}
	return false
}

func decodeProblem(body []byte, e *errs.Error) bool {
	var p problemDetails
	if json.Unmarshal(body, &p) != nil {
		return false
	}
	e.Title, e.Detail, e.Instance = p.Title, p.Detail, p.Instance
	e.ReasonCode, e.Security = p.ReasonCode, p.Security
	e.TraceID, e.Timestamp = p.TraceID, p.Timestamp
	for _, x := range p.Errors {
		e.Exceptions = append(e.Exceptions, errs.Exception{Code: x.Code, Description: x.Description, Details: x.Details})
	}
	switch {
	case len(e.Exceptions) > 0:
		e.Message = e.Exceptions[0].Description
		if p.Detail != "" && len(e.Exceptions) == 1 && e.Message == "" {
			e.Message = p.Detail
		}
	case p.Detail != "":
		e.Message = p.Detail
		if p.ReasonCode != "" {
			e.Message += " (" + p.ReasonCode + ")"
		}
	default:
		e.Message = p.Title
	}
	return true
}

func codeForStatus(status int) errs.Code {
	switch status {
	case 401:
		return errs.Unauthorized
	case 403:
		return errs.Forbidden
	case 410:
		return errs.Gone
	case 429:
		return errs.RateLimited
	default:
		return errs.API
	}
}

// statusText names the statuses KSeF and the proxies in front of it answer
// with. (net/http.StatusText would link all of net/http into the wasm module.)
func statusText(code int) string {
	switch code {
	case 400:
		return "Bad Request"
	case 401:
		return "Unauthorized"
	case 403:
		return "Forbidden"
	case 404:
		return "Not Found"
	case 405:
		return "Method Not Allowed"
	case 409:
		return "Conflict"
	case 410:
		return "Gone"
	case 413:
		return "Payload Too Large"
	case 415:
		return "Unsupported Media Type"
	case 429:
		return "Too Many Requests"
	case 500:
		return "Internal Server Error"
	case 501:
		return "Not Implemented"
	case 502:
		return "Bad Gateway"
	case 503:
		return "Service Unavailable"
	case 504:
		return "Gateway Timeout"
	}
	return "status " + strconv.Itoa(code)
}
