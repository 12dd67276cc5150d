package compose

import (
	"context"
	"fmt"
	"maps"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/template"
	"github.com/compose-spec/compose-go/v2/types"
	"golang.org/x/tools/txtar"
)

// composeModel is the model compose-go's own loader gives src, with the
// options model passed it before loadModel replaced the call. A panic of
// the loader (it has some on values of the wrong type) counts as an error.
func composeModel(name string, src []byte, vars map[string]string, more ...func(*loader.Options)) (m map[string]any, err error) {
	defer func() {
		if r := recover(); r != nil {
			m, err = nil, fmt.Errorf("compose-go panics: %v", r)
		}
	}()
	details := types.ConfigDetails{
		WorkingDir:  "/nonexistent-bricklayer-compose",
		ConfigFiles: []types.ConfigFile{{Filename: name, Content: src}},
		// The loader writes COMPOSE_PROJECT_NAME into it.
		Environment: maps.Clone(vars),
	}
	return loader.LoadModelWithContext(context.Background(), details, func(o *loader.Options) {
		o.SetProjectName(projectName, true)
		o.SkipInterpolation = vars == nil
		if o.Interpolate != nil {
			o.Interpolate.Substitute = func(s string, m template.Mapping) (string, error) {
				return template.SubstituteWithOptions(s, m, template.WithoutLogging)
			}
		}
		o.ResolvePaths = false
		o.SkipValidation = true
		o.SkipConsistencyCheck = true
		o.SkipExtends = true
		o.SkipInclude = true
		o.SkipResolveEnvironment = true
		o.SkipResolveLabels = true
		o.ResourceLoaders = nil
		for _, f := range more {
			f(o)
		}
	})
}

// testVars are an environment for interpolation: set, set empty, and
// values that casts turn into numbers and booleans.
func testVars() map[string]string {
	return map[string]string{"A": "a", "EMPTY": "", "PORT": "8080", "RELEASE": "1.2", "YES": "yes", "N": "3", "B": "from-env"}
}

// sameAsCompose fails t unless loadModel and compose-go's loader agree on
// src with vars: the same model, or both an error. With exact, the
// messages must be the same too, but where compose-go panics or loadModel
// stops at a cycle sooner.
func sameAsCompose(t testing.TB, src []byte, vars map[string]string, exact bool) {
	t.Helper()
	var before map[string]string
	if vars != nil {
		before = maps.Clone(vars)
	}
	got, gotErr := loadModel("f.yml", src, vars)
	if !maps.Equal(vars, before) {
		t.Fatalf("loadModel changed vars: %v, was %v", vars, before)
	}
	// Here compose-go recurses to its visit limit, which takes seconds
	// (TestLoadModelMatchesCompose has it fail too): a fuzzer would find
	// little else.
	early := gotErr != nil && strings.Contains(gotErr.Error(), "that holds it")
	if early && !exact {
		return
	}
	want, wantErr := composeModel("f.yml", src, vars)
	switch {
	case (wantErr == nil) != (gotErr == nil):
		t.Fatalf("vars %v: compose-go: %v\nloadModel: %v\ninput: %q", vars, wantErr, gotErr, src)
	case wantErr != nil:
		if exact && !early && !strings.HasPrefix(wantErr.Error(), "compose-go panics") && wantErr.Error() != gotErr.Error() {
			t.Errorf("vars %v: errors differ:\ncompose-go: %v\nloadModel:  %v\ninput: %q", vars, wantErr, gotErr, src)
		}
	case !sameModel(want, got):
		t.Fatalf("vars %v: models differ:\ncompose-go: %#v\nloadModel:  %#v\ninput: %q", vars, want, got, src)
	}
}

// sameModel is reflect.DeepEqual but for NaN, which equals NaN here
// (.nan is a YAML value).
func sameModel(a, b any) bool {
	switch x := a.(type) {
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) || (x == nil) != (y == nil) {
			return false
		}
		for k, v := range x {
			if w, ok := y[k]; !ok || !sameModel(v, w) {
				return false
			}
		}
		return true
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) || (x == nil) != (y == nil) {
			return false
		}
		for i := range x {
			if !sameModel(x[i], y[i]) {
				return false
			}
		}
		return true
	case float64:
		y, ok := b.(float64)
		return ok && (x == y || math.IsNaN(x) && math.IsNaN(y))
	case float32:
		y, ok := b.(float32)
		return ok && (x == y || x != x && y != y)
	}
	return reflect.DeepEqual(a, b)
}

// testComposeFiles are the compose files of the package's tests and of
// the migrate scripts, and its fuzz corpus.
func testComposeFiles(t testing.TB) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	for _, pattern := range []string{"testdata/*.yml", "testdata/merge/*.yml"} {
		names, _ := filepath.Glob(pattern)
		for _, name := range names {
			dt, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			files[name] = dt
		}
	}
	scripts, _ := filepath.Glob("../testdata/script/migrate_*.txtar")
	for _, s := range scripts {
		ar, err := txtar.ParseFile(s)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range ar.Files {
			if strings.HasSuffix(f.Name, ".yml") || strings.HasSuffix(f.Name, ".yaml") {
				files[s+":"+f.Name] = f.Data
			}
		}
	}
	corpus, _ := filepath.Glob("testdata/fuzz/FuzzRewrite/*")
	for _, name := range corpus {
		dt, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		// go test fuzz v1, then []byte("...") for one []byte argument.
		lines := strings.Split(strings.TrimSpace(string(dt)), "\n")
		if len(lines) < 2 || !strings.HasPrefix(lines[1], "[]byte(") {
			continue
		}
		if s, err := strconv.Unquote(strings.TrimSuffix(strings.TrimPrefix(lines[1], "[]byte("), ")")); err == nil {
			files[name] = []byte(s)
		}
	}
	if len(files) < 10 {
		t.Fatalf("only %d compose files found", len(files))
	}
	return files
}

// trickyCompose are inputs where compose's reading is easy to get wrong.
var trickyCompose = map[string]string{
	"anchors and merge keys": `x-common: &common
  restart: always
  environment: {A: "1"}
  labels: [a=b]
x-more: &more {restart: "no", cpus: 0.5}
services:
  a:
    <<: *common
    image: busybox
  b:
    <<: [*more, *common]
    image: busybox
    environment:
      B: "2"
  c: *common
  d:
    <<: {image: alpine}
    command: [sh, -c, echo]
`,
	"merge key of an aliased list": "x-l: &l [{image: a}, {restart: always}]\nservices:\n  a:\n    <<: *l\n",
	"reset and override": `services:
  a:
    image: busybox
    ports: ["80:80", "443:443"]
    environment: {A: "1", B: "2"}
    command: [a]
    x-develop: {watch: [{path: ., action: sync, target: /app}]}
  b: {image: busybox}
---
services:
  a:
    ports: !reset []
    environment: !override {C: "3"}
    command: !reset null
    x-develop: !reset
  b: !reset
`,
	"reset by alias":        "x-r: &r !reset []\nservices:\n  a: {image: x, dns: [1.1.1.1]}\n---\nservices:\n  a: {dns: *r}\n",
	"override in a list":    "services:\n  a: {image: x, volumes: [a:/a]}\n---\nservices:\n  a: {volumes: [!override b:/b]}\n",
	"reset the document":    "!reset {}\n",
	"reset all services":    "services: {a: {image: x}}\nx-a: 1\n---\nservices: !reset {}\n",
	"reset with dots":       "services:\n  a.b: {image: x, ports: ['1:1']}\n---\nx: &x {ports: !reset []}\nservices:\n  a.b:\n    <<: *x\n",
	"reset a key with dots": "services:\n  a.b: {image: x, ports: ['1:1'], x-y: {c.d: 1}}\n---\nservices:\n  a.b: {ports: !reset [], x-y: {c.d: !reset }}\n",
	"extensions":            "x-top: {a: 1}\nservices:\n  a:\n    image: x\n    x-mine: [1, true, ~]\n    build: {context: ., x-b: 1}\nnetworks:\n  n: {x-n: 1}\n",
	"x-develop and develop": "services:\n  a:\n    image: x\n    develop: {watch: [{path: a, action: rebuild}]}\n    x-develop: {watch: [{path: b, action: sync, target: /b, x-initialSync: true}]}\n",
	"interpolation": `services:
  a:
    image: "acme/api:${RELEASE:-stable}"
    command: echo $$HOME $${A} ${A} $A ${UNSET} ${UNSET:-dflt} ${EMPTY:-dflt} ${EMPTY-dflt} ${A:+alt} ${COMPOSE_PROJECT_NAME}
    ports: ["${PORT:-80}:80"]
    privileged: "${YES}"
    read_only: ${UNSET:-false}
    cpus: "${CPUS:-1.5}"
    scale: ${N}
    umask: "${UMASK:-077}"
    healthcheck: {retries: "${N}", disable: "${YES}"}
    ulimits: {nofile: {soft: "${N}", hard: 20}, nproc: "${N}"}
    environment: ["X=${A}", EMPTY, B, UNSET_VAR]
    labels: {x: "${A}-${EMPTY}"}
`,
	"required variable":  "services:\n  a:\n    image: ${UNSET:?set it}\n",
	"invalid template":   "services:\n  a:\n    image: ${A\n",
	"invalid cast":       "services:\n  a:\n    image: x\n    tty: maybe\n",
	"invalid int cast":   "services:\n  a:\n    image: x\n    scale: \"${A}\"\n",
	"short syntax ports": "services:\n  a:\n    image: x\n    ports: [80, \"8080:80\", \"127.0.0.1:53:53/udp\", \"3000-3002:3000-3002\", \"${PORT}:80\", {target: 90, published: 9090}]\n    expose: [\"3000\", 4000]\n",
	"duplicate ports":    "services:\n  a:\n    image: x\n    ports: [\"80:80\", \"80:80\"]\n",
	"short syntax volumes": `services:
  a:
    image: x
    volumes:
      - ./data:/data:ro
      - named:/named
      - /anon
      - ~/cache:/cache:rw,z
      - type: bind
        source: .
        target: /src/../src/
      - ${A:-a}:/x
volumes:
  named: {}
  ext: {external: true}
  ext2: {external: "${YES}"}
  named2: {name: given}
`,
	"volume without target": "services:\n  a:\n    image: x\n    volumes: [{type: bind, source: .}]\n",
	"short syntax build": `services:
  a: {build: .}
  b:
    build:
      context: ./b
      dockerfile_inline: FROM x
      args: [A=1, B, C=, UNSET_ARG]
      ssh: [default]
      secrets: [s]
  c:
    build: {args: {A: null, B: ~, C: "3"}}
  d:
    build: ./d
    pull_policy: if_not_present
`,
	"environment list and map": `services:
  list: {image: x, environment: [A=1, B, "C=", D=a=b]}
  map: {image: x, environment: {A: 1, B: null, C: "", D: true, E: 1.5}}
  string: {image: x, env_file: .env}
`,
	"numbers and booleans": `services:
  a:
    image: x
    cpus: 1.5
    cpu_shares: "512"
    mem_limit: 1g
    privileged: yes
    tty: True
    stdin_open: "true"
    init: on
    umask: 077
    oom_score_adj: 0x10
    scale: 1e3
    x-inf: .inf
    x-nan: .nan
    x-null: ~
    x-octal: 0o17
    x-str: !!str 12
    x-time: 2001-12-14
    labels: {a: 1, b: true, c: 1.0, d: null}
`,
	"dependencies": `services:
  a: {image: x, links: [b, "c:alias"], network_mode: "service:d", volumes_from: [e, "container:f", "g:ro"]}
  b: {image: x, depends_on: [c]}
  c: {image: x, depends_on: {d: {condition: service_healthy}}, ipc: "service:a", pid: host}
  d: {image: x, networks: [front], dns: ["", 8.8.8.8]}
  e: {image: x, networks: {default: {}, back: {aliases: [e]}}}
  f: {image: x, networks: {}}
  g: {provider: {type: model}}
networks: {front: {}, back: {external: true}, both: {name: named}}
`,
	"resources from the environment": "services: {a: {image: x, secrets: [s], configs: [c]}}\nsecrets:\n  s: {environment: A}\n  t: {file: ./t}\nconfigs:\n  c: {environment: B}\n  d: {content: x}\n",
	"pre_start hooks":                "services:\n  a:\n    image: x\n    user: root\n    environment: {A: 1}\n    volumes: [a:/a]\n    ports: [\"80:80\"]\n    pre_start:\n      - command: [init]\n        environment: {B: 2}\n      - image: y\n",
	"jobs":                           "jobs:\n  j:\n    image: x\n    build: .\n    environment: [A]\n",
	"multiple documents":             "services: {a: {image: x}}\n---\nservices: {b: {image: y}, a: {command: run}}\n...\n",
	"an empty document":              "services: {a: {image: x}}\n---\n# nothing\n",
	"dns null":                       "services: {a: {image: x, dns: [null]}}\n",
	"empty file":                     "",
	"only a comment":                 "# empty\n",
	"null document":                  "~\n",
	"a list":                         "- a\n",
	"a scalar":                       "services\n",
	"services a list":                "services: [a]\n",
	"service null":                   "services:\n  a:\n",
	"service a string":               "services:\n  a: busybox\n",
	"duplicate keys":                 "services:\n  a: {image: x}\n  a: {image: y}\n",
	"non-string key":                 "services:\n  1: {image: x}\n",
	"complex key":                    "services:\n  ? [a]\n  : {image: x}\n",
	"alias cycle":                    "services:\n  a: &a\n    b: *a\n",
	"version":                        "version: \"3.8\"\nname: other\nservices: {a: {image: x}}\n",
	"networks null":                  "services: {a: {image: x}}\nnetworks:\n",
	"links not a list":               "services: {a: {image: x, links: b}}\n",
	"crlf and bom":                   "\uFEFFservices:\r\n  a: {image: x}\r\n",
	"merge variants amd":             "x-base: &base\n  restart: unless-stopped\nservices:\n  api:\n    <<: *base\n    image: acme/api:${RELEASE:-stable}\n    cpus: 1.0\n    ports: [\"80:80\"]\n  mq:\n    image: rabbitmq:alpine\n    x-nan: .nan\n",
	"merge variants arm":             "x-base: &base {restart: unless-stopped}\nservices:\n  api:\n    <<: *base\n    image: \"acme/api:rpi-${RELEASE:-stable}\" # the Pi\n    cpus: 1\n    ports:\n      - target: 80\n        published: \"80\"\n        protocol: tcp\n  mq:\n    image: arm32v6/rabbitmq:alpine\n    x-nan: .NaN\n",
}

// TestLoadModelMatchesCompose runs loadModel and compose-go's loader on
// every compose file of the tests and on tricky inputs, without
// interpolation and with it.
func TestLoadModelMatchesCompose(t *testing.T) {
	files := testComposeFiles(t)
	for name, src := range trickyCompose {
		files[name] = []byte(src)
	}
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			for _, vars := range []map[string]string{nil, {}, testVars()} {
				sameAsCompose(t, files[name], vars, true)
			}
		})
	}
}

// TestLoadModelCycle: merging a node into itself, loadModel fails at once
// where compose-go recurses until a deeper cycle or its limit of node
// visits, which takes it seconds at its 100,000. It fails at any limit, so
// at 1,000 here.
func TestLoadModelCycle(t *testing.T) {
	for _, src := range []string{
		"x-common: &common\n    <<: *common\n    image: x\n",
		"x-a: &a\n  b:\n    c: {<<: *a}\nservices: {s: {image: x}}\n",
		"x-a: &a\n  - b: {<<: [{}, *a]}\n",
	} {
		for _, vars := range []map[string]string{nil, testVars()} {
			_, err := loadModel("f.yml", []byte(src), vars)
			if err == nil || !strings.Contains(err.Error(), "that holds it") {
				t.Errorf("%q: got %v", src, err)
			}
			_, err = composeModel("f.yml", []byte(src), vars, func(o *loader.Options) { o.MaxNodeVisits = 1000 })
			if err == nil || !strings.Contains(err.Error(), "maximum node visit limit (1000)") && !strings.Contains(err.Error(), "cycle detected") {
				t.Errorf("%q: compose-go: %v", src, err)
			}
		}
	}
}

// FuzzLoadModel checks loadModel against compose-go's loader on random
// input, with or without interpolation.
func FuzzLoadModel(f *testing.F) {
	for _, src := range testComposeFiles(f) {
		f.Add(src, false)
		f.Add(src, true)
	}
	for _, src := range trickyCompose {
		f.Add([]byte(src), false)
		f.Add([]byte(src), true)
	}
	f.Fuzz(func(t *testing.T, src []byte, interpolate bool) {
		var vars map[string]string
		if interpolate {
			vars = testVars()
		}
		sameAsCompose(t, src, vars, false)
	})
}
