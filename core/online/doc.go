// Package online runs KSeF's interactive (online) sessions: open a session
// for a form code with a fresh AES key, send invoice documents into it one
// by one, close it, wait until KSeF has processed it, and collect per
// invoice its KSeF number or its typed failure, and the session's UPO.
//
// # Never lose or duplicate an invoice
//
// Every send is safe to retry. When the answer to POST …/invoices is lost
// (a transport error, a timeout, a 5xx after the request may have reached
// KSeF) the session's own invoice list is consulted, by the invoice's
// SHA-256, before anything is sent again: found means KSeF has it (the
// invoice reference is recovered); not found means it never arrived and it
// is sent again. Should a resent invoice still meet its first copy, KSeF
// answers status 440 with the original KSeF number, which is reported as
// "already in KSeF" — success for the caller, flagged as a duplicate.
// 429 waits as Retry-After says; status 550 ("cancelled by the system")
// is answered by sending the invoice again into the same session before it
// is closed. A session's state (reference, form code, key, IV, validity)
// can be exported and restored, so a service that restarts goes on sending
// into, or closing, the session it opened.
//
// The bytes sent, hashed and linked in KOD I are exactly the caller's bytes:
// documents are checked (package invoice) but never re-serialised.
package online
