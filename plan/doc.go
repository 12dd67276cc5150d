// Package plan is the one derivation of a build: from a decoded spec and
// the options of a run, every selected image × platform lowered once to a
// BuildKit definition with its digest, local sources, entitlements and
// base images, beside the image's repository, tags and settings. vet
// checks it, plan and print show it, build solves it and publish checks
// runners' metadata against it.
package plan
