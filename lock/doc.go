// Package lock reads and writes bricklayer.lock: for each base image
// reference a spec builds from, the digest it is pinned to and, per
// platform, the image manifest and config it resolves to, so plans are
// made with pinned bases offline and every build of the spec, on any
// runner and any day, starts from the same images.
package lock
