// Package build solves lowered images on a BuildKit daemon, exports or
// pushes each as one multi-platform index, and moves tags only after every
// image of the run succeeded.
package build
