// Package publish assembles each image's index from its per-platform
// manifests, wherever they were built, into a registry (by digest) or an
// OCI layout, and moves tags once every index is in place.
package publish
