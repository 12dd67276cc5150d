package workflowscan

import (
	"strings"
	"testing"
)

// subsetSeeds are bake files written wholly in what bricklayer
// evaluates: HCL must read them to the same values, and evaluate
// nothing bricklayer leaves out.
var subsetSeeds = map[string]string{
	"all.hcl": `# A comment,
// another,
/* and one
over lines */
variable "REGISTRY" {
  default = "ghcr.io/acme"
}
variable "NUM" { default = 3 }
variable "FLAG" {
  default = true
}
variable "LIST" {
  default = ["a", "b",
    "c"]
}
variable "NOTHING" {
  default = null
}
variable "NESTED" {
  default = { a = [1, { b = "c" }] }
}
group "default" {
  targets = ["api", "web"]
}
target "_common" {
  platforms = ["linux/amd64", "linux/arm64"] # after a value
  args = {
    GO_VERSION = "1.23"
    "QUOTED.KEY" = "x"
    N: 1.50
    B = false, Z = null
  }
}
target "api" {
  inherits = ["_common"]
  context  = "services/api"
  tags     = ["${REGISTRY}/api:${TAG}", "${A}-$${LITERAL}-%%{x}-$-%", "${N}", "${T}", "${BIG}"]
  labels = { "org.opencontainers.image.source" = "https://github.com/acme/${A}" }
  dockerfile-inline = <<EOT
FROM alpine
RUN echo ${A} $${HOME} \n
EOT
  description = <<-EOT
    indented
      more

    ${A} done
  EOT
  unwrapped = "${L}"
  obj       = "${ O }"
  paren     = (A)
  ref       = A
  esc       = "tab\there \"quoted\" \\ \u00e9 \U0001F600 \n"
  strip     = "a ${~A~} b"
  empty     = ""
  num       = 1e3
  frac      = 0.1
  exp       = 2.5E-3
  commas    = { a = 1, b = 2, }
  trailing  = [1, 2, ]
  nested    = [[1, [2]], { x = [3] }]
  keys      = { "${A}" = 1, (A) = 2, true = 3, 4 = 5, "${N}" = 6 }
  nul       = NUL
  unicode   = "日本語 ü"
  negative  = [-1, -0, - 1.5, --2, -N, "${-1}"]
}
target "oneline" { context = "." }
target "empty" {}
target web {
  context = "web"
}
`,
	"crlf.hcl": "target \"a\" {\r\n  context = \".\"\r\n  x = <<EOT\r\nline\r\nEOT\r\n}\r\n",
	"all.json": `{
  "variable": {"REGISTRY": {"default": "ghcr.io/${acme}"}, "N": {"default": 2}},
  "group": {"default": {"targets": ["app"]}},
  "target": {
    "app": {
      "//": "a comment",
      "context": ".",
      "tags": ["${REGISTRY}/app:${TAG}", "$${literal}", "${N}"],
      "args": {"A": "${A}", "N": 1.50, "B": true, "Z": null, "${A}x": "k"},
      "platforms": ["linux/amd64"],
      "context": "first wins"
    },
    "multi": [{"context": "a"}, {"dockerfile": "b"}],
    "none": null
  }
}
`,
	"array.json": `[{"target": {"a": {"context": "."}}}, {"target": [{"b": {}}, {"c": [{"x": "y"}]}]}]`,
}

// beyondSeeds use what bricklayer reports as not evaluated: functions,
// operators, conditionals, for expressions, references, directives.
var beyondSeeds = map[string]string{
	"beyond.hcl": `variable "TAG" { default = "latest" }
variable "SUM" { default = 1 + 2 }
function "tag" {
  params = [name]
  result = "${name}:${TAG}"
}
target "default" {
  matrix     = { item = ["a", "b"] }
  name       = "app-${item}"
  tags       = [tag("app"), "x:${notequal(TAG, "") ? TAG : "dev"}"]
  labels     = { created = timestamp() }
  args       = { for k, v in { a = 1 } : k => v }
  platforms  = [for p in ["linux/amd64"]: p if p != ""]
  cache-from = target.base.cache-from
  output     = ["type=image,name=${upper(A)}"]
  context    = TAG == "" ? "." : "./${TAG}"
  dockerfile = "${A}%{ if T }x%{ else }y%{ endif }"
  target     = "%{ for x in L ~} ${x} %{~ endfor }"
  a          = -1
  b          = !true
  c          = a.b[0].c[*].d
  d          = L.*.name
  e          = 1 + 2 * 3 / 4 % 5 - 6
  f          = "a" == "b" && true || false
  g          = concat(L, ["z"]...)
  h          = provider::ns::fn(1)
  i          = L[0]
  j          = L.0
  k          = "${L}x"
  l          = "${NUL}"
  m          = "a${NUL}"
  n          = UNDEFINED
  o          = { (null) = 1 }
  p          = O[*]
  q          = "${L[*]}"
}
target "base" { cache-from = ["type=gha"] }
`,
	"beyond.json": `{"target": {"x": {"tags": ["${upper(A)}", "${L}", "${"${A}"}", "%{if T}y%{endif}"], "args": {"${NUL}": 1, "${A}": 1, "a": 2}}}}`,
}

// TestBakeOracle holds the reader to HCL on the seeds.
func TestBakeOracle(t *testing.T) {
	for name, src := range bakeSeeds(t) {
		t.Run(name, func(t *testing.T) {
			refused := againstHCL(t, nameOf(name), src)
			if _, subset := subsetSeeds[name]; subset && len(refused) > 0 {
				t.Errorf("HCL evaluates what bricklayer does not: %q", refused)
			}
		})
	}
}

// nameOf is the file name a seed is read as.
func nameOf(seed string) string {
	if strings.HasSuffix(seed, ".json") {
		return "docker-bake.json"
	}
	return "docker-bake.hcl"
}

// FuzzBakeHCL feeds arbitrary bytes to the reader of HCL bake files and
// to HCL's: see againstHCL.
func FuzzBakeHCL(f *testing.F) {
	for name, src := range bakeSeeds(f) {
		if !strings.HasSuffix(name, ".json") {
			f.Add(src)
		}
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		againstHCL(t, "docker-bake.hcl", src)
	})
}

// FuzzBakeJSON is FuzzBakeHCL for bake files in JSON.
func FuzzBakeJSON(f *testing.F) {
	for name, src := range bakeSeeds(f) {
		if strings.HasSuffix(name, ".json") {
			f.Add(src)
		}
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		againstHCL(t, "docker-bake.json", src)
	})
}

// What bricklayer evaluates, written out, so that a change in HCL's
// behaviour does not go unseen.
func TestBakeValues(t *testing.T) {
	c, err := readBakeFile("docker-bake.hcl", []byte(subsetSeeds["all.hcl"]))
	if err != nil {
		t.Fatal(err)
	}
	sc := testScope(t)
	var api *bakeBlock
	for _, b := range c.blocks {
		if b.name == "api" {
			api = b
		}
	}
	for name, want := range map[string]string{
		"tags":              `["ghcr.io/acme/api:${{ github.ref_name }}", "a-${LITERAL}-%{x}-$-%", 1.5, true, 12345678901234567890.000001]`,
		"dockerfile-inline": `"FROM alpine` + "\n" + `RUN echo a ${HOME} \n` + "\n" + `"`,
		"description":       `"indented` + "\n  more\n\n" + `a done` + "\n" + `"`,
		"unwrapped":         `["x", "y"]`,
		"paren":             `"a"`,
		"esc":               "\"tab\there \"quoted\" \\ \u00e9 \U0001F600 \n\"",
		"strip":             `"aab"`,
		"num":               "1000",
		"frac":              "0.1",
		"exp":               "0.0025",
		"keys":              `{"1.5" = 6, "4" = 5, "a" = 2, "true" = 3}`,
		"nul":               "null",
		"negative":          "[-1, -0, -1.5, 2, -1.5, -1]",
	} {
		a := api.attr(name)
		if a == nil {
			t.Errorf("no attribute %s", name)
			continue
		}
		v, ok := a.expr.eval(sc)
		if !ok || v.String() != want {
			t.Errorf("%s = %v (%v), want %s", name, v, ok, want)
		}
	}
}

// Errors carry HCL's words and the line where HCL reports them.
func TestBakeErrors(t *testing.T) {
	for _, tt := range []struct{ name, src, want string }{
		{"docker-bake.hcl", "target \"x\" {\n  context = \".\"\n  platforms = [\n}\n",
			"line 4: Invalid expression: Expected the start of an expression, but found an invalid expression token."},
		{"docker-bake.hcl", "target \"x\" {\n  a = 1\n  a = 2\n}\n",
			`line 3: Attribute redefined: The argument "a" was already set at line 2. Each argument may be set only once.`},
		{"docker-bake.hcl", "a = \"x\n\"\n", "line 1: Invalid multi-line string: "},
		{"docker-bake.hcl", "target \"x\" {\n  a = 1\n", "line 1: Unclosed configuration block: "},
		{"docker-bake.hcl", "a = 1, b = 2\n", "line 1: Unexpected comma after argument: "},
		{"docker-bake.hcl", "a = 'x'\n", "line 1: Invalid character: "},
		{"docker-bake.hcl", "a = \"\\q\"\n", `line 1: Invalid escape sequence: The symbol "q" is not a valid escape sequence selector.`},
		{"docker-bake.hcl", "a = <<EOT\nx\n", "line 3: Unterminated template string: "},
		{"docker-bake.hcl", "a = \"${b", "line 1: Unclosed template interpolation sequence: "},
		{"docker-bake.hcl", "a = 1.2.3\n", "line 1: Invalid number literal: "},
		{"docker-bake.hcl", "a = \"%{ if x }\"\n", "line 1: Unexpected end of template: "},
		{"docker-bake.hcl", "a = [for x in y: x => x]\n", "line 1: Invalid 'for' expression: Key expression is not valid when building a tuple."},
		{"docker-bake.hcl", "a = " + strings.Repeat("[", 300), "line 1: Nesting too deep: "},
		{"docker-bake.hcl", "a = \"\xff\"\n", "line 1: Invalid character encoding: "},
		{"docker-bake.json", "{\"target\": \n}", "line 2: Invalid JSON: "},
		{"docker-bake.json", `"x"`, "line 1: Root value must be object: "},
		{"docker-bake.json", "{}\n{}", "line 2: Invalid JSON: invalid character '{' after top-level value"},
	} {
		_, err := readBakeFile(tt.name, []byte(tt.src))
		if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("%q: %v, want %s", tt.src, err, tt.want)
		}
	}
}

// A block without its one name is not read, and said so.
func TestBakeDiags(t *testing.T) {
	for _, tt := range []struct{ name, src, want string }{
		{"docker-bake.hcl", "target {\n}\ntarget \"a\" \"b\" {}\ntarget \"c\" {}\n",
			"1: Missing name for target: All target blocks must have 1 labels (name).\n" +
				"3: Extraneous label for target: Only 1 labels (name) are expected for target blocks."},
		{"docker-bake.json", "{\"target\": {},\n\"group\": \"x\", \"variable\": {\"V\": 1}}",
			"1: Missing block label: At least one object property is required, whose name represents the target block's name.\n" +
				"2: Incorrect JSON value type: Either a JSON object or JSON array of objects is required here, to specify name labels for this block.\n" +
				"2: Missing block label: At least one object property is required, whose name represents the group block's name.\n" +
				"2: Incorrect JSON value type: Either a JSON object or a JSON array is required, representing the contents of one or more \"variable\" blocks."},
	} {
		m, err := ourModel(t, tt.name, []byte(tt.src))
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(m.diags, "\n"); got != tt.want {
			t.Errorf("%q:\n%s\nwant\n%s", tt.src, got, tt.want)
		}
		againstHCL(t, tt.name, []byte(tt.src))
	}
}
