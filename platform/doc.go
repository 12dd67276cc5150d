// Package platform is the target platform of an image (linux/arm/v7),
// parsed and normalized once where it enters bricklayer and compared as a
// value from then on.
package platform
