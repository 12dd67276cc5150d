package cli

import "testing"

func TestPlatformOfName(t *testing.T) {
	for ref, want := range map[string]string{
		"arm32v7/python:3.12":                                   "linux/arm/v7",
		"docker.io/arm64v8/debian":                              "linux/arm64",
		"mips64le/debian:12":                                    "linux/mips64le",
		"windows-amd64/golang":                                  "", // bricklayer builds Linux images only
		"ghcr.io/arm32v7/tool":                                  "", // not Docker Hub's namespace
		"balenalib/raspberrypi3-debian:bookworm":                "linux/arm/v7",
		"registry.example.com/balenalib/raspberrypi4-64-python": "linux/arm64",
		"python:3.12":                                           "",
		"${BASE}":                                               "",
		"library/rpi":                                           "linux/arm/v6",
	} {
		if got := platformOfName(ref); got != want {
			t.Errorf("platformOfName(%q) = %q, want %q", ref, got, want)
		}
	}
}

func TestFamilyOf(t *testing.T) {
	for rel, want := range map[string][2]string{
		"Dockerfile.armhf":         {"Dockerfile", "linux/arm/v7"},
		"Dockerfile.aarch64":       {"Dockerfile", "linux/arm64"},
		"src/arm64.Dockerfile":     {"src/Dockerfile", "linux/arm64"},
		"docker/amd/Dockerfile":    {"docker/Dockerfile", "linux/amd64"},
		"arm/Dockerfile":           {"Dockerfile", "linux/arm/v7"},
		"Dockerfile":               {"Dockerfile", ""},
		"Dockerfile.service":       {"Dockerfile.service", ""},
		"docker/arm/Dockerfile.ui": {"docker/arm/Dockerfile.ui", ""},
	} {
		key, plat := familyOf(rel)
		if key != want[0] || plat != want[1] {
			t.Errorf("familyOf(%q) = %q, %q, want %q, %q", rel, key, plat, want[0], want[1])
		}
	}
}
