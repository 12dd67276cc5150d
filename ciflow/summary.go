package ciflow

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// planDoc is what the summary reads of `bricklayer plan --format json`.
type planDoc struct {
	Images []struct {
		Name       string   `json:"name"`
		Repository string   `json:"repository"`
		Tags       []string `json:"tags"`
		Aliases    []string `json:"aliases"`
		Platforms  []struct {
			Platform string `json:"platform"`
		} `json:"platforms"`
	} `json:"images"`
}

// metadataDoc is what the outputs and the summary read of a metadata
// file (build or publish --metadata-file).
type metadataDoc struct {
	Images map[string]struct {
		Repository string   `json:"repository"`
		Digest     string   `json:"digest"`
		Pushed     bool     `json:"pushed"`
		Output     string   `json:"output"`
		Tags       []string `json:"tags"`
		Platforms  []struct {
			Platform string `json:"platform"`
			Digest   string `json:"digest"`
		} `json:"platforms"`
	} `json:"images"`
}

// planTable is the summary's table of what the step will make: per image
// its repository, tags (deprecated aliases marked) and platforms.
func planTable(mode string, planJSON []byte) (string, error) {
	var p planDoc
	if err := json.Unmarshal(planJSON, &p); err != nil {
		return "", fmt.Errorf("reading the plan: %w", err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "### bricklayer %s\n\n| image | repository | tags | platforms |\n| --- | --- | --- | --- |\n", mode)
	for _, im := range p.Images {
		tags := codes(im.Tags)
		for _, a := range im.Aliases {
			tags = append(tags, code(a)+" (alias)")
		}
		plats := make([]string, len(im.Platforms))
		for i, pl := range im.Platforms {
			plats[i] = pl.Platform
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", cell(im.Name), code(im.Repository), strings.Join(tags, " "), strings.Join(plats, ", "))
	}
	b.WriteString("\n")
	return b.String(), nil
}

// digests is the digests output: each image's index digest, none for an
// image whose platforms were pushed by digest only.
func (m metadataDoc) digests() map[string]string {
	d := map[string]string{}
	for name, im := range m.Images {
		if im.Digest != "" {
			d[name] = im.Digest
		}
	}
	return d
}

// digest is the index digest of the one image the step published, as
// build-push-action's digest output has it; empty for several images or
// none (digests names each).
func (m metadataDoc) digest() string {
	if len(m.Images) != 1 {
		return ""
	}
	for _, im := range m.Images {
		return im.Digest
	}
	return ""
}

// resultTable is the summary's table of what the step made.
func (m metadataDoc) resultTable() string {
	names := make([]string, 0, len(m.Images))
	for n := range m.Images {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteString("| image | digest | tags |\n| --- | --- | --- |\n")
	for _, n := range names {
		im := m.Images[n]
		dg := code(im.Digest)
		if im.Digest == "" {
			var ps []string
			for _, p := range im.Platforms {
				ps = append(ps, p.Platform+" "+p.Digest)
			}
			dg = "by platform: " + code(strings.Join(ps, ", "))
		}
		fmt.Fprintf(&b, "| %s | %s | %s |\n", cell(n), dg, strings.Join(codes(im.Tags), " "))
	}
	return b.String()
}

func codes(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = code(s)
	}
	return out
}

// code is s as inline code in a table cell. Image names, tags and
// digests hold no backquote or bar; should one, it must not break the
// table.
func code(s string) string { return "`" + cell(strings.ReplaceAll(s, "`", "'")) + "`" }

func cell(s string) string { return strings.ReplaceAll(oneLine(s), "|", `\|`) }
