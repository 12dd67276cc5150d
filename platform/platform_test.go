package platform

import (
	"encoding/json"
	"testing"

	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

func TestParse(t *testing.T) {
	for in, want := range map[string]string{
		"linux/amd64":    "linux/amd64",
		"linux/amd64/v1": "linux/amd64",
		"linux/amd64/v3": "linux/amd64/v3",
		"linux/arm64/v8": "linux/arm64",
		"linux/aarch64":  "linux/arm64",
		"linux/arm":      "linux/arm/v7",
		"linux/arm/v6":   "linux/arm/v6",
		"linux/riscv64":  "linux/riscv64",
	} {
		p, err := Parse(in)
		if err != nil {
			t.Errorf("Parse(%q): %v", in, err)
			continue
		}
		if p.String() != want {
			t.Errorf("Parse(%q) = %s, want %s", in, p, want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	for in, want := range map[string]string{
		"linux":          `invalid platform "linux": want os/arch[/variant], e.g. linux/arm64`,
		"linux/sparc":    `invalid platform "linux/sparc": unknown architecture "sparc"`,
		"beos/amd64":     `invalid platform "beos/amd64": unknown operating system "beos"`,
		"windows/amd64":  `unsupported platform "windows/amd64": bricklayer builds linux images only (its BuildKit workers run Linux containers)`,
		"linux/wasm":     `unsupported platform "linux/wasm": no Linux container runs on wasm`,
		"linux/arm64/v9": `unsupported platform "linux/arm64/v9": arm64 takes no variant`,
		"linux/amd64/v9": `unsupported platform "linux/amd64/v9": amd64 takes variant v2, v3, v4 or none`,
		"linux/arm/v9":   `unsupported platform "linux/arm/v9": arm takes variant v5, v6, v7, v8`,
	} {
		_, err := Parse(in)
		if err == nil || err.Error() != want {
			t.Errorf("Parse(%q): error %v, want %s", in, err, want)
		}
	}
}

func TestParseList(t *testing.T) {
	ps, err := ParseList([]string{"linux/amd64, linux/arm64/v8", "linux/arm"})
	if err != nil {
		t.Fatal(err)
	}
	if got := Join(ps); got != "linux/amd64, linux/arm64, linux/arm/v7" {
		t.Errorf("ParseList: %s", got)
	}
	if _, err := ParseList([]string{"linux/amd64,"}); err == nil {
		t.Error("ParseList accepts an empty item")
	}
}

func TestOf(t *testing.T) {
	p := Of(ocispecs.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"})
	if p != (Platform{OS: "linux", Architecture: "arm64"}) {
		t.Errorf("Of: %+v", p)
	}
	if o := p.OCI(); o.OS != "linux" || o.Architecture != "arm64" || o.Variant != "" {
		t.Errorf("OCI: %+v", o)
	}
}

func TestText(t *testing.T) {
	armv7 := Platform{OS: "linux", Architecture: "arm", Variant: "v7"}
	if got := armv7.Slug(); got != "linux-arm-v7" {
		t.Errorf("Slug: %s", got)
	}
	b, err := json.Marshal(map[string]Platform{"p": armv7})
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != `{"p":"linux/arm/v7"}` {
		t.Errorf("json: %s", b)
	}
	var back map[string]Platform
	if err := json.Unmarshal(b, &back); err != nil || back["p"] != armv7 {
		t.Errorf("json round trip: %v %+v", err, back)
	}
	if err := json.Unmarshal([]byte(`{"p":"linux/sparc"}`), &back); err == nil {
		t.Error("UnmarshalText accepts an unknown architecture")
	}
}
