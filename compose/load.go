// Parts of this file are adapted from compose-go v2.16.2's loader package
// (github.com/compose-spec/compose-go/v2/loader: loader.go, fix.go,
// omitEmpty.go, environment.go, extends.go):
//
//	Copyright 2020 The Compose Specification Authors.
//
//	Licensed under the Apache License, Version 2.0 (the "License");
//	you may not use this file except in compliance with the License.
//	You may obtain a copy of the License at
//
//	    http://www.apache.org/licenses/LICENSE-2.0
//
//	Unless required by applicable law or agreed to in writing, software
//	distributed under the License is distributed on an "AS IS" BASIS,
//	WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
//	See the License for the specific language governing permissions and
//	limitations under the License.

package compose

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/compose-spec/compose-go/v2/consts"
	interp "github.com/compose-spec/compose-go/v2/interpolation"
	"github.com/compose-spec/compose-go/v2/override"
	"github.com/compose-spec/compose-go/v2/template"
	"github.com/compose-spec/compose-go/v2/transform"
	"github.com/compose-spec/compose-go/v2/tree"
	"github.com/compose-spec/compose-go/v2/types"
	yaml4 "go.yaml.in/yaml/v4"
)

// projectName is the name the project gets: compose needs one, and as no
// other file is read, any fixed one does.
const projectName = "bricklayer-compose"

// loadModel is what compose-go's loader.LoadModelWithContext returns for
// one file src with no validation, extends, include, path resolution or
// file reading, and interpolation (without logging) only when vars is not
// nil. It is that function's steps, in its order, on compose-go's public
// packages: the loader package itself links compose's JSON schema, whose
// package init costs every bricklayer command ~11 ms (the deps guard test
// in cmd/bricklayer keeps it out). load_test.go checks that both give
// the same model.
func loadModel(name string, src []byte, vars map[string]string) (_ map[string]any, err error) {
	// compose-go's transforms assert the types its schema would have
	// checked (networks: [1] panics): a file is wrong, not bricklayer.
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("compose-go fails on it (a value of the wrong type?): %v", r)
		}
	}()
	// compose sets COMPOSE_PROJECT_NAME in the environment it interpolates
	// and resolves with; copied so the caller's map is left as it was.
	env := types.Mapping{}
	for k, v := range vars {
		env[k] = v
	}
	env[consts.ComposeProjectName] = projectName
	var opts *interp.Options
	if vars != nil {
		details := types.ConfigDetails{Environment: env}
		opts = &interp.Options{
			LookupValue:     details.LookupEnv,
			TypeCastMapping: interpolationCasts(),
			Substitute: func(s string, m template.Mapping) (string, error) {
				return template.SubstituteWithOptions(s, m, template.WithoutLogging)
			},
		}
	}

	dict := map[string]any{}
	aliases := newExtensionAliases()
	dec := yaml4.NewDecoder(bytes.NewReader(src))
	for {
		var raw any
		reset := &resetProcessor{target: &raw, aliases: aliases}
		err := dec.Decode(reset)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("failed to parse %s: %w", name, err)
		}
		if dict, err = loadDocument(dict, raw, reset, opts, aliases); err != nil {
			return nil, err
		}
	}
	dict, err = transform.SetDefaultValues(dict)
	if err != nil {
		return nil, err
	}
	resolveEnvironment(dict, env)
	if len(dict) == 0 {
		return nil, errors.New("empty compose file")
	}
	dict["name"] = projectName
	return normalize(dict, env)
}

// loadDocument merges one YAML document of the file into dict, as
// compose-go's loadYamlFile does (its processRawYaml).
func loadDocument(dict map[string]any, raw any, reset *resetProcessor, opts *interp.Options, aliases *extensionAliases) (map[string]any, error) {
	converted, err := stringKeys(raw, "")
	if err != nil {
		return nil, err
	}
	cfg, ok := converted.(map[string]any)
	if !ok {
		return nil, errors.New("top-level object must be a mapping")
	}
	if opts != nil {
		if cfg, err = interp.Interpolate(cfg, *opts); err != nil {
			return nil, err
		}
	}
	emptyNotNull(cfg)
	if err := aliases.promote(cfg, tree.NewPath()); err != nil {
		return nil, err
	}
	reset.apply(dict, tree.NewPath())
	if dict, err = override.Merge(dict, cfg); err != nil {
		return nil, err
	}
	if dict, err = override.EnforceUnicity(dict); err != nil {
		return nil, err
	}
	// Without interpolation, a value such as "${PORT}:80" cannot be parsed
	// yet and is left as written.
	if dict, err = transform.Canonical(dict, opts == nil); err != nil {
		return nil, err
	}
	omitEmpty(dict, tree.NewPath())
	// Canonical forms can reveal duplicates (a port range, say).
	return override.EnforceUnicity(dict)
}

// stringKeys is value with every mapping a map[string]any, or an error
// at the first key that is not a string. As in compose-go, an empty list
// comes out nil (emptyNotNull makes it empty again).
func stringKeys(value any, prefix string) (any, error) {
	join := func(key string) string {
		if prefix == "" {
			return key
		}
		return prefix + "." + key
	}
	switch v := value.(type) {
	case map[string]any:
		for key, e := range v {
			c, err := stringKeys(e, join(key))
			if err != nil {
				return nil, err
			}
			v[key] = c
		}
		return v, nil
	case map[any]any:
		dict := make(map[string]any, len(v))
		for key, e := range v {
			s, ok := key.(string)
			if !ok {
				where := "at top level"
				if prefix != "" {
					where = "in " + prefix
				}
				return nil, fmt.Errorf("non-string key %s: %#v", where, key)
			}
			c, err := stringKeys(e, join(s))
			if err != nil {
				return nil, err
			}
			dict[s] = c
		}
		return dict, nil
	case []any:
		var list []any
		for i, e := range v {
			c, err := stringKeys(e, fmt.Sprintf("%s[%d]", prefix, i))
			if err != nil {
				return nil, err
			}
			list = append(list, c)
		}
		return list, nil
	}
	return value, nil
}

// emptyNotNull turns nil lists inside value into empty ones.
func emptyNotNull(value any) any {
	switch v := value.(type) {
	case []any:
		if v == nil {
			return []any{}
		}
		for i, e := range v {
			v[i] = emptyNotNull(e)
		}
	case map[string]any:
		for k, e := range v {
			v[k] = emptyNotNull(e)
		}
	}
	return value
}

// omitEmpty drops the null and empty-string items of services.*.dns and
// jobs.*.dns, everywhere below data at p.
func omitEmpty(data any, p tree.Path) any {
	omit := p.Matches("services.*.dns") || p.Matches("jobs.*.dns")
	empty := func(e any) bool { return e == nil || e == "" }
	switch v := data.(type) {
	case map[string]any:
		for k, e := range v {
			if omit && empty(e) {
				delete(v, k)
				continue
			}
			v[k] = omitEmpty(e, p.Next(k))
		}
		return v
	case []any:
		c := make([]any, 0, len(v))
		for _, e := range v {
			if omit && empty(e) {
				continue
			}
			c = append(c, omitEmpty(e, p.Next("[]")))
		}
		return c
	}
	return data
}

// resolveEnvironment sets each bare NAME of a services' or jobs'
// environment list to NAME=value when env has it, a secret's environment
// to its x-#content and a config's to its content.
func resolveEnvironment(dict map[string]any, env types.Mapping) {
	for _, key := range []string{"services", "jobs"} {
		containers, ok := dict[key].(map[string]any)
		if !ok {
			continue
		}
		for _, c := range containers {
			config, ok := c.(map[string]any)
			if !ok {
				continue
			}
			list, ok := config["environment"].([]any)
			if !ok {
				continue
			}
			envs := []any{}
			for _, e := range list {
				name, ok := e.(string)
				if !ok {
					continue
				}
				if v, ok := env[name]; ok {
					name += "=" + v
				}
				envs = append(envs, name)
			}
			config["environment"] = envs
		}
	}
	for key, to := range map[string]string{"secrets": types.SecretConfigXValue, "configs": "content"} {
		resources, ok := dict[key].(map[string]any)
		if !ok {
			continue
		}
		for _, r := range resources {
			resource, ok := r.(map[string]any)
			if !ok {
				continue
			}
			name, ok := resource["environment"].(string)
			if !ok {
				continue
			}
			if v, ok := env[name]; ok {
				resource[to] = v
			}
		}
	}
}

// deepClone copies the maps and lists of value.
func deepClone(value any) any {
	switch v := value.(type) {
	case []any:
		c := make([]any, len(v))
		for i, e := range v {
			c[i] = deepClone(e)
		}
		return c
	case map[string]any:
		c := make(map[string]any, len(v))
		for k, e := range v {
			c[k] = deepClone(e)
		}
		return c
	}
	return value
}
