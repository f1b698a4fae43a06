// Package archtest holds the tests of the house rules, run on every
// `go test ./...` so that breaking one fails CI instead of waiting for a
// review: the import rules of docs/architecture.md (TestImportRules), and
// that README.md and docs/ name only files that exist
// (TestDocsNameOnlyFilesThatExist).
//
// It has no code of its own and must never be imported.
package archtest
