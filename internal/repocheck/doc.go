// Package repocheck holds tests about the repository as a whole rather
// than about one package; it has no code of its own.
package repocheck
