// Package pipeline runs a build: every selected image × platform through
// a solver, then each image's index through a publisher, and tags last,
// only once every platform of every image is in place.
package pipeline
