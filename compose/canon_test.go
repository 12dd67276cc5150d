package compose

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"
)

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
	"extends":                        "services:\n  a: {image: x}\n  b:\n    extends: a\n",
	"extends through a merge key":    "x-b: &b {extends: {service: a}}\nservices:\n  a: {image: x}\n  b: {<<: *b}\n",
	"include":                        "include: [other.yml]\nservices: {a: {image: x}}\n",
	"override alone":                 "services:\n  a: {image: x, command: !override [a]}\n",
	"extends elsewhere":              "x-extends: {extends: a}\nservices:\n  a: {image: x, labels: {extends: a}}\n",
	"dotted top-level key":           "services.a:\n  x-develop: {watch: []}\n  dns: [\"\", 1.1.1.1]\nservices: {a: {image: x}}\n",
	"numbers printed alike or not":   "services:\n  a:\n    image: x\n    labels: {a: 1000000, b: 1e6, c: 1.0, d: 1}\n",
	"many aliases":                   aliasNest(3, 4, false),
	"merge keys of merge keys":       aliasNest(3, 4, true),
	"merge variants amd":             "x-base: &base\n  restart: unless-stopped\nservices:\n  api:\n    <<: *base\n    image: acme/api:${RELEASE:-stable}\n    cpus: 1.0\n    ports: [\"80:80\"]\n  mq:\n    image: rabbitmq:alpine\n    x-nan: .nan\n",
	"merge variants arm":             "x-base: &base {restart: unless-stopped}\nservices:\n  api:\n    <<: *base\n    image: \"acme/api:rpi-${RELEASE:-stable}\" # the Pi\n    cpus: 1\n    ports:\n      - target: 80\n        published: \"80\"\n        protocol: tcp\n  mq:\n    image: arm32v6/rabbitmq:alpine\n    x-nan: .NaN\n",
}

// aliasNest is a compose file whose x-all holds width uses of an anchor
// holding width uses of the one before, depth times: width^depth images
// once expanded. With merge, each level merges the one before width
// times instead (<<: [*a, *a, ...]).
func aliasNest(width, depth int, merge bool) string {
	var sb strings.Builder
	sb.WriteString("x-0: &a0 {image: acme/api:rpi-1.2, restart: always}\n")
	for d := 1; d < depth; d++ {
		fmt.Fprintf(&sb, "x-%d: &a%d {", d, d)
		if merge {
			sb.WriteString("<<: [")
		}
		for i := range width {
			if i > 0 {
				sb.WriteString(", ")
			}
			if !merge {
				fmt.Fprintf(&sb, "k%d: ", i)
			}
			fmt.Fprintf(&sb, "*a%d", d-1)
		}
		if merge {
			sb.WriteString("]")
		}
		sb.WriteString("}\n")
	}
	fmt.Fprintf(&sb, "services:\n  api:\n    image: acme/api:rpi-1.2\n")
	if merge {
		fmt.Fprintf(&sb, "  all:\n    <<: *a%d\n", depth-1)
	} else {
		fmt.Fprintf(&sb, "    x-all: *a%d\n", depth-1)
	}
	return sb.String()
}

// TestEqualImpliesComposeEqual runs the oracle over every compose file of
// the tests and over trickyCompose: each file against itself and against
// its mutations, uninterpolated and in two environments, and the files
// meant as variants of one another as Merge compares them.
func TestEqualImpliesComposeEqual(t *testing.T) {
	files := testComposeFiles(t)
	groups := variantGroups(t, files)
	for name, src := range trickyCompose {
		files["tricky:"+name] = []byte(src)
	}
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	allow := allowed(t)
	same := map[string]int{}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			src := files[name]
			for _, m := range mutations {
				tries := 1
				if m.name == "byte" {
					tries = 8
				}
				for i := range tries {
					b, ok := m.make(t, src, i*7919)
					if !ok {
						continue
					}
					for _, vars := range []map[string]string{nil, {}, testVars()} {
						if againstCompose(t, src, b, vars, allow) {
							same[m.name]++
						}
					}
				}
			}
		})
	}
	for _, group := range groups {
		for i, a := range group {
			for j, b := range group {
				if i == j {
					continue
				}
				fa, ok := rewritten(a, true)
				if !ok {
					fa = a
				}
				fb, ok := rewritten(b, true)
				if !ok {
					fb = b
				}
				if againstCompose(t, fa, fb, nil, allow) {
					same["variants"]++
				}
			}
		}
	}
	// The oracle is put to work only where bricklayer finds two files the
	// same: it must, for what keeps the meaning.
	for _, m := range []string{"itself", "re-encoded", "expanded", "split", "rewritten", "folded", "variants"} {
		if same[m] == 0 {
			t.Errorf("no pair of the %s kind was read the same", m)
		}
	}
}

// FuzzEqualImpliesComposeEqual is the oracle on random input: a file
// against one of its mutations, picked by op, at or how at says.
func FuzzEqualImpliesComposeEqual(f *testing.F) {
	seeds := [][]byte{
		[]byte(aliasNest(10, 11, false)), // the alias bomb of issue 19
		[]byte(aliasNest(10, 11, true)),
		[]byte(aliasNest(2, 16, false)),
		[]byte(aliasNest(3, 6, false)),
		[]byte(aliasNest(3, 5, true)),
	}
	for _, src := range testComposeFiles(f) {
		seeds = append(seeds, src)
	}
	for _, src := range trickyCompose {
		seeds = append(seeds, []byte(src))
	}
	for i, src := range seeds {
		f.Add(src, uint8(i), uint16(i*31), i%2 == 0)
	}
	allow := allowed(f)
	f.Fuzz(func(t *testing.T, src []byte, op uint8, how uint16, interpolate bool) {
		b, ok := mutations[int(op)%len(mutations)].make(t, src, int(how))
		if !ok {
			b = src
		}
		var vars map[string]string
		if interpolate {
			vars = testVars()
		}
		againstCompose(t, src, b, vars, allow)
	})
}

// TestReadModelRefuses: what readModel does not read is refused at its
// place, as a refusal (errUnsupported).
func TestReadModelRefuses(t *testing.T) {
	for name, tc := range map[string]struct{ src, want string }{
		"reset":                 {"services:\n  a: {image: x}\n---\nservices:\n  a: {ports: !reset []}\n", "5:14: !reset is not supported"},
		"override":              {"services:\n  a:\n    image: x\n    command: !override [a]\n", "4:14: !override is not supported"},
		"reset by alias":        {"x-r: &r !reset []\nservices:\n  a: {image: x, dns: *r}\n", "1:6: !reset is not supported"},
		"extends":               {"services:\n  a: {image: x}\n  b:\n    extends: a\n", "4:5: extends is not supported"},
		"extends in a job":      {"jobs:\n  j: {extends: {service: a, file: b.yml}}\n", "2:7: extends is not supported"},
		"extends merged":        {"x-b: &b {extends: a}\nservices:\n  b: {<<: *b}\n", "1:10: extends is not supported"},
		"include":               {"services: {}\ninclude: [b.yml]\n", "2:1: include is not supported"},
		"include merged":        {"x: &x {include: [b.yml]}\n<<: *x\nservices: {}\n", "1:8: include is not supported"},
		"merge of a list alias": {"x-l: &l [{image: a}]\nservices:\n  a:\n    <<: *l\n", "4:9: a merge key naming a list through an alias is not supported"},
		"cycle":                 {"x: &a [*a]\n", "1:4: node contains itself"},
		"merges itself":         {"services:\n  ui: &a\n    <<: *a\n", "2:7: mapping merges itself"},
		"bomb":                  {aliasNest(10, 11, false), "more than 100000 YAML nodes"},
		"merge bomb":            {aliasNest(10, 11, true), "more than 100000 YAML nodes"},
	} {
		t.Run(name, func(t *testing.T) {
			for _, vars := range []map[string]string{nil, testVars()} {
				_, err := readModel([]byte(tc.src), vars)
				if !errors.Is(err, errUnsupported) || !strings.Contains(err.Error(), tc.want) {
					t.Errorf("got %v, want a refusal with %q", err, tc.want)
				}
			}
		})
	}
	// Extensions and labels may say extends and include.
	if _, err := readModel([]byte(trickyCompose["extends elsewhere"]), nil); err != nil {
		t.Errorf("extends elsewhere: %v", err)
	}
}

// TestAliasBomb: a file of a kilobyte that nested aliases make billions
// of nodes is refused by every compose path, before any of them expands
// it (which took 11 GB and two minutes before it died).
func TestAliasBomb(t *testing.T) {
	plain := []byte("services:\n  api: {image: acme/api:rpi-1.2}\n")
	for _, merge := range []bool{false, true} {
		bomb := []byte(aliasNest(10, 11, merge))
		if len(bomb) > 2000 {
			t.Fatalf("the bomb is %d bytes", len(bomb))
		}
		check := func(what string, err error) {
			t.Helper()
			if !errors.Is(err, errUnsupported) || !strings.Contains(err.Error(), "more than 100000 YAML nodes once its aliases are expanded") {
				t.Errorf("merge keys %v: %s: got %v", merge, what, err)
			}
		}
		_, err := RewriteWith(bomb, apiRules, Options{})
		check("rewrite", err)
		_, err = MergeWith(map[string][]byte{"a.yml": plain, "b.yml": bomb}, []string{"a.yml", "b.yml"}, apiRules)
		check("merge", err)
		_, err = MergeWith(map[string][]byte{"a.yml": bomb, "b.yml": plain}, []string{"a.yml", "b.yml"}, apiRules)
		check("merge, first", err)
		err = Verify(bomb, &Result{Out: plain}, apiRules, nil)
		check("verify", err)
		_, err = readModel(bomb, testVars())
		check("model", err)
	}
}
