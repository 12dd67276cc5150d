// Package hubarch knows Docker Hub's per-architecture namespaces of the
// Docker Official Images (arm32v7/python is the linux/arm/v7 build of
// library/python), for migrate compose and init, which both read them.
package hubarch
