// Package invoice knows KSeF's invoice documents: the form codes (FA (2),
// FA (3), FA_RR (1), PEF (3), PEF_KOR (3)) and their namespaces, the
// pre-flight checks KSeF would reject a document on (Check), the facts it
// reads from the XML (seller NIP, issue date, number, type) and the
// metadata it stores (Metadata), the invoice hash (Hash) and the KOD I
// verification link printed on every invoice (VerificationLink).
//
// One implementation serves the client, which checks before sending, and
// the simulator, which checks on receipt. The bytes are read, never
// re-serialised: what is hashed and sent is exactly what the caller gave.
package invoice
