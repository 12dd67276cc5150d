package hubarch

// lookup maps each namespace to the one platform its images are built
// for. The list is Docker's own (docker-library/official-images,
// "Architectures other than amd64?"). A switch, not a package-level map,
// which every start of the binary would build (vet in a pre-commit hook
// included).
func lookup(ns string) string {
	switch ns {
	case "amd64":
		return "linux/amd64"
	case "arm32v5":
		return "linux/arm/v5"
	case "arm32v6":
		return "linux/arm/v6"
	case "arm32v7":
		return "linux/arm/v7"
	case "arm64v8":
		return "linux/arm64"
	case "i386":
		return "linux/386"
	case "mips64le":
		return "linux/mips64le"
	case "ppc64le":
		return "linux/ppc64le"
	case "riscv64":
		return "linux/riscv64"
	case "s390x":
		return "linux/s390x"
	case "windows-amd64":
		return "windows/amd64"
	}
	return ""
}

// Platform is the platform the images of namespace ns are built for
// (os/arch[/variant]), and whether ns is one of the per-architecture
// namespaces. The caller checks that the namespace is Docker Hub's: on
// any other registry arm32v7/x is anyone's.
func Platform(ns string) (string, bool) {
	p := lookup(ns)
	return p, p != ""
}
