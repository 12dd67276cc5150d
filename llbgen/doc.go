// Package llbgen lowers a decoded spec to BuildKit LLB: for one image and
// one target platform, the root filesystem as an llb.State and the OCI
// image config it carries. It is pure: no network, no daemon, and the same
// spec gives the same graph on every run and machine.
package llbgen
