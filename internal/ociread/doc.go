// Package ociread reads an OCI image layout back with go-containerregistry,
// apart from bricklayer's own writer, for the tests and hack/ociindex to
// check what a build wrote.
package ociread
