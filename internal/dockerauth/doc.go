// Package dockerauth reads registry credentials from the Docker client's
// config file as docker does, within bricklayer's limits on what it reads.
package dockerauth
