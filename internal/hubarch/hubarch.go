package hubarch

// namespaces map each namespace to the one platform its images are
// built for. The list is Docker's own (docker-library/official-images,
// "Architectures other than amd64?").
var namespaces = map[string]string{
	"amd64":         "linux/amd64",
	"arm32v5":       "linux/arm/v5",
	"arm32v6":       "linux/arm/v6",
	"arm32v7":       "linux/arm/v7",
	"arm64v8":       "linux/arm64",
	"i386":          "linux/386",
	"mips64le":      "linux/mips64le",
	"ppc64le":       "linux/ppc64le",
	"riscv64":       "linux/riscv64",
	"s390x":         "linux/s390x",
	"windows-amd64": "windows/amd64",
}

// Platform is the platform the images of namespace ns are built for
// (os/arch[/variant]), and whether ns is one of the per-architecture
// namespaces. The caller checks that the namespace is Docker Hub's: on
// any other registry arm32v7/x is anyone's.
func Platform(ns string) (string, bool) {
	p, ok := namespaces[ns]
	return p, ok
}
