// Package c14n writes the canonical form of XML held in a beevik/etree tree:
// Canonical XML 1.0 and 1.1 (inclusive) and Exclusive XML Canonicalization
// 1.0, each with or without comments.
//
// The input is a node-set of one of two shapes, the only ones XML-DSig
// same-document references and the enveloped-signature transform produce:
//
//   - Subtree: an element and its descendants as they stand in their
//     document, so namespace declarations (and, for the inclusive methods,
//     xml:* attributes) in scope from ancestors are honoured on the apex;
//   - Document: the document node, i.e. the root element plus the processing
//     instructions and comments around it.
//
// Options.Exclude removes whole element subtrees from either node-set (the
// enveloped-signature transform) without copying or touching the tree.
//
// The package exists so that the WebAssembly build does not link an XML-DSig
// library for its canonicalizers alone; it has no dependency beyond etree and
// the standard library's small packages. Inputs that no namespace-well-formed
// XML document can produce (undeclared prefixes, duplicate attributes,
// characters XML does not allow, DOCTYPE internal subsets whose defaults
// would change the result) are errors, never a silently wrong output.
package c14n
