// Package export runs KSeF's asynchronous invoice export (POST
// /invoices/exports): start it with a fresh AES-256 key that never leaves
// the client, wait for the package, download every part through its
// pre-signed URL (no bearer token), check each part's encryptedPartHash,
// decrypt it with the client's key, check its partHash — and then either
// stream the decrypted package to a writer or a file, or open it and read
// its entries: _metadata.json as typed metadata, decoded one record at a
// time, and each {ksefNumber}.xml as bytes, checked against the record's
// invoiceHash.
//
// # Bounded memory: the package is spooled, the ZIP read by offset
//
// A package is up to 1 GB (KSeF's limit) in parts of up to 50 MB. Writing
// it out needs no more than one chunk in memory: each part is decrypted as
// it arrives (symkey.Reader, both digests in the same pass) and the parts
// follow each other in ordinalNumber order. Reading its entries needs the
// ZIP's central directory, which sits at the end of the last part, and the
// entries by offset. Two ways were weighed:
//
//   - reading the central directory and then each entry by HTTP range
//     requests into the parts: nothing on disk, but every entry costs a
//     request, CBC needs the preceding block for each range, the parts'
//     hashes can no longer be checked before their bytes are used, and
//     pre-signed URLs expire between the requests;
//   - spooling the decrypted package to a temporary file and opening it
//     with archive/zip: one sequential download with both hashes checked
//     before anything is read, then random access at disk speed.
//
// The spool wins natively: it is what keeps memory flat (one 64 KiB chunk
// while downloading, one invoice — at most 3 MB — while reading), a
// failed part is retried by truncating the spool back to the part's start,
// and the file is unlinked as soon as it is created, so a crash leaves
// nothing behind. Disk use is the package size. Measured (bench_test.go,
// export_memory_test.go): decrypt + spool + unzip runs at disk and AES
// speed, and peak RSS stays flat from 100 MB to 1 GB packages.
//
// Where there is no filesystem (ksef.wasm) the spool is the host's: a
// scratch file it makes for a spool event, written and read at any offset
// through write and read events (docs/step.md), like every other stream
// there; WriteTo — which needs no random access — works wherever a writer
// does.
//
// ZIP only: KSeF also offers TarGz, which streams without a spool, but a
// tar lists its files in whatever order the exporter wrote them, so the
// metadata and the invoice of a record meet only if _metadata.json comes
// first — which nothing promises. Zip is KSeF's default.
package export
