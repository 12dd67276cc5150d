package cli

import "testing"

func TestPlatformOfName(t *testing.T) {
	for ref, want := range map[string]string{
		"arm32v7/python:3.12":                                   "linux/arm/v7",
		"docker.io/arm64v8/debian":                              "linux/arm64",
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
