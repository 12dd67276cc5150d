// Package sign signs the image indexes bricklayer publishes as cosign
// signs images with a key, so that `cosign verify --key` accepts them.
package sign
