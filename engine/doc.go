// Package engine talks to the Docker Engine API: whether Docker answers,
// its platform, and loading images into it (build --load).
package engine
