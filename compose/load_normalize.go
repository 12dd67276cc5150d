// Adapted from compose-go v2.16.2's loader package
// (github.com/compose-spec/compose-go/v2/loader: normalize.go,
// interpolate.go):
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
	"fmt"
	"path"
	"strconv"
	"strings"

	interp "github.com/compose-spec/compose-go/v2/interpolation"
	"github.com/compose-spec/compose-go/v2/override"
	"github.com/compose-spec/compose-go/v2/tree"
	"github.com/compose-spec/compose-go/v2/types"
)

// normalize adds what compose implies (the default network, build
// context and dockerfile, depends_on from links and shared namespaces,
// resource names), cleans volume targets and resolves environment and
// build args from env. Where compose-go panics on a value of the wrong
// type, it returns an error.
func normalize(dict map[string]any, env types.Mapping) (map[string]any, error) {
	if err := normalizeNetworks(dict); err != nil {
		return nil, err
	}
	lookup := func(s string) (string, bool) {
		v, ok := env[s]
		return v, ok
	}
	for _, key := range []string{"services", "jobs"} {
		d, ok := dict[key]
		if !ok {
			continue
		}
		containers, err := mapping(d, key)
		if err != nil {
			return nil, err
		}
		for name, c := range containers {
			where := key + "." + name
			container, err := mapping(c, where)
			if err != nil {
				return nil, err
			}
			if err := normalizeContainer(container, where, lookup); err != nil {
				return nil, err
			}
		}
	}
	for _, key := range []string{"networks", "volumes", "configs", "secrets"} {
		a, ok := dict[key]
		if !ok {
			continue
		}
		resources, err := mapping(a, key)
		if err != nil {
			return nil, err
		}
		for name, r := range resources {
			resource := map[string]any{}
			if r != nil {
				if resource, err = mapping(r, key+"."+name); err != nil {
					return nil, err
				}
			}
			if resource["name"] == nil {
				external, _ := strconv.ParseBool(fmt.Sprint(resource["external"]))
				if _, set := resource["external"]; set && external {
					resource["name"] = name
				} else {
					resource["name"] = fmt.Sprintf("%s_%s", dict["name"], name)
				}
			}
			resources[name] = resource
		}
	}
	return dict, nil
}

func normalizeContainer(c map[string]any, where string, lookup func(string) (string, bool)) error {
	if c["pull_policy"] == types.PullPolicyIfNotPresent {
		c["pull_policy"] = types.PullPolicyMissing
	}
	if b, ok := c["build"]; ok {
		build, err := mapping(b, where+".build")
		if err != nil {
			return err
		}
		if build["context"] == nil {
			build["context"] = "."
		}
		if build["dockerfile"] == nil && build["dockerfile_inline"] == nil {
			build["dockerfile"] = "Dockerfile"
		}
		if a, ok := build["args"]; ok {
			build["args"], _ = resolveFrom(a, lookup, false)
		}
	}
	if e, ok := c["environment"]; ok {
		c["environment"], _ = resolveFrom(e, lookup, true)
	}

	dependsOn := map[string]any{}
	if d, ok := c["depends_on"]; ok {
		var err error
		if dependsOn, err = mapping(d, where+".depends_on"); err != nil {
			return err
		}
	}
	depend := func(on string, restart bool) {
		if _, ok := dependsOn[on]; !ok {
			dependsOn[on] = map[string]any{"condition": types.ServiceConditionStarted, "restart": restart, "required": true}
		}
	}
	links, err := stringList(c, "links", where)
	if err != nil {
		return err
	}
	for _, link := range links {
		if parts := strings.Split(link, ":"); len(parts) == 2 {
			link = parts[0]
		}
		depend(link, true)
	}
	for _, ns := range []string{"network_mode", "ipc", "pid", "uts", "cgroup"} {
		n, ok := c[ns]
		if !ok {
			continue
		}
		ref, ok := n.(string)
		if !ok {
			return fmt.Errorf("%s.%s: not a string", where, ns)
		}
		if shared, ok := strings.CutPrefix(ref, types.ServicePrefix); ok {
			depend(shared, true)
		}
	}
	if v, ok := c["volumes"]; ok {
		volumes, ok := v.([]any)
		if !ok {
			return fmt.Errorf("%s.volumes: not a list", where)
		}
		for i, volume := range volumes {
			vol, ok := volume.(map[string]any)
			target, isString := vol["target"].(string)
			if !ok || !isString {
				return fmt.Errorf("%s.volumes[%d]: no target", where, i)
			}
			vol["target"] = path.Clean(target)
		}
	}
	from, err := stringList(c, "volumes_from", where)
	if err != nil {
		return err
	}
	for _, vol := range from {
		if !strings.HasPrefix(vol, types.ContainerPrefix) {
			depend(strings.Split(vol, ":")[0], false)
		}
	}
	if len(dependsOn) > 0 {
		c["depends_on"] = dependsOn
	}
	return resolvePreStartHooks(c)
}

// resolvePreStartHooks completes each pre_start hook with the container
// attributes of its service but volumes, the hook's own winning.
func resolvePreStartHooks(service map[string]any) error {
	hooks, ok := service["pre_start"].([]any)
	if !ok || len(hooks) == 0 {
		return nil
	}
	spec := map[string]bool{}
	for _, k := range types.ContainerSpecAttributes {
		spec[k] = true
	}
	base := map[string]any{}
	for k, v := range service {
		if k != "volumes" && spec[k] {
			base[k] = v
		}
	}
	for i, h := range hooks {
		hook, ok := h.(map[string]any)
		if !ok {
			continue
		}
		// Wrapped as a service, so the merge rules of services.* apply.
		merged, err := override.Merge(
			map[string]any{"services": map[string]any{"hook": deepClone(base)}},
			map[string]any{"services": map[string]any{"hook": hook}},
		)
		if err != nil {
			return fmt.Errorf("resolving pre_start hook specification: %w", err)
		}
		hooks[i] = merged["services"].(map[string]any)["hook"]
	}
	return nil
}

// normalizeNetworks connects each service and job with no network (and
// no network_mode or provider) to the default network, and declares that
// network when one uses it.
func normalizeNetworks(dict map[string]any) error {
	networks := map[string]any{}
	if n, ok := dict["networks"]; ok {
		var err error
		if networks, err = mapping(n, "networks"); err != nil {
			return err
		}
	}
	usesDefault := false
	for _, key := range []string{"services", "jobs"} {
		s, ok := dict[key]
		if !ok {
			continue
		}
		containers, err := mapping(s, key)
		if err != nil {
			return err
		}
		for name, c := range containers {
			container, err := mapping(c, key+"."+name)
			if err != nil {
				return err
			}
			_, provider := container["provider"]
			_, mode := container["network_mode"]
			if provider || mode {
				continue
			}
			n, ok := container["networks"]
			if !ok {
				container["networks"] = map[string]any{"default": nil}
				usesDefault = true
				continue
			}
			net, err := mapping(n, key+"."+name+".networks")
			if err != nil {
				return err
			}
			if len(net) == 0 {
				container["networks"] = map[string]any{"default": nil}
				usesDefault = true
			} else if _, ok := net["default"]; ok {
				usesDefault = true
			}
		}
	}
	if _, ok := networks["default"]; !ok && usesDefault {
		networks["default"] = nil
	}
	if len(networks) > 0 {
		dict["networks"] = networks
	}
	return nil
}

// resolveFrom sets the variables of a (a list of NAME=value or a mapping)
// that have no value from lookup; one lookup lacks is kept with keepEmpty,
// dropped otherwise.
func resolveFrom(a any, lookup func(string) (string, bool), keepEmpty bool) (any, bool) {
	switch v := a.(type) {
	case []any:
		var resolved []any
		for _, e := range v {
			if r, ok := resolveFrom(e, lookup, keepEmpty); ok {
				resolved = append(resolved, r)
			}
		}
		return resolved, true
	case map[string]any:
		resolved := map[string]any{}
		for k, e := range v {
			if e != nil {
				resolved[k] = e
			} else if s, ok := lookup(k); ok {
				resolved[k] = s
			} else if keepEmpty {
				resolved[k] = nil
			}
		}
		return resolved, true
	case string:
		if strings.Contains(v, "=") {
			return v, true
		}
		if val, ok := lookup(v); ok {
			return v + "=" + val, true
		}
		if keepEmpty {
			return v, true
		}
		return "", false
	}
	return a, false
}

func mapping(v any, where string) (map[string]any, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s: not a mapping", where)
	}
	return m, nil
}

// stringList is the list of strings at c[key], if there is one.
func stringList(c map[string]any, key, where string) ([]string, error) {
	v, ok := c[key]
	if !ok {
		return nil, nil
	}
	list, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("%s.%s: not a list", where, key)
	}
	out := make([]string, len(list))
	for i, e := range list {
		if out[i], ok = e.(string); !ok {
			return nil, fmt.Errorf("%s.%s[%d]: not a string", where, key, i)
		}
	}
	return out, nil
}

// interpolationCasts are the types compose gives interpolated values
// where the specification wants a number or a boolean. Unlike compose-go,
// toBool logs no warning for yes/no/on/off: bricklayer keeps compose-go
// quiet, as with template.WithoutLogging.
func interpolationCasts() map[tree.Path]interp.Cast {
	toInt := func(s string) (any, error) { return strconv.Atoi(s) }
	toInt64 := func(s string) (any, error) { return strconv.ParseInt(s, 10, 64) }
	toFloat := func(s string) (any, error) { return strconv.ParseFloat(s, 64) }
	toFloat32 := func(s string) (any, error) {
		f, err := strconv.ParseFloat(s, 32)
		if err != nil {
			return nil, err
		}
		return float32(f), nil
	}
	// A umask is read as YAML writes integers: 077 and 0o77 are octal.
	toUmask := func(s string) (any, error) { return strconv.ParseUint(s, 0, 32) }
	toBool := func(s string) (any, error) {
		switch strings.ToLower(s) {
		case "true", "y", "yes", "on":
			return true, nil
		case "false", "n", "no", "off":
			return false, nil
		}
		return nil, fmt.Errorf("invalid boolean: %s", s)
	}

	casts := map[tree.Path]interp.Cast{}
	add := func(prefixes []tree.Path, cast interp.Cast, parts ...string) {
		for _, p := range prefixes {
			for _, part := range parts {
				p = p.Next(part)
			}
			casts[p] = cast
		}
	}
	var (
		resources = []tree.Path{"networks.*", "volumes.*", "secrets.*", "configs.*"}
		networks  = resources[:1]
		// the layers of the specification: attributes of any container,
		// of services and jobs, of services alone
		container = []tree.Path{"services.*", "jobs.*", "services.*.pre_start.*"}
		workload  = container[:2]
		service   = container[:1]
	)
	add(resources, toBool, "external")
	for _, a := range []string{"internal", "attachable", "enable_ipv4", "enable_ipv6"} {
		add(networks, toBool, a)
	}
	for _, a := range []string{"cpu_count", "cpu_period", "cpu_quota", "cpu_rt_period", "cpu_rt_runtime", "cpu_shares", "oom_score_adj", "pids_limit"} {
		add(container, toInt64, a)
	}
	for _, a := range []string{"init", "oom_kill_disable", "privileged", "read_only"} {
		add(container, toBool, a)
	}
	add(container, toFloat, "cpu_percent")
	add(container, toFloat32, "cpus")
	add(container, toBool, "networks", "*", "use_service_name_alias")
	add(container, toUmask, "umask")
	add(container, toInt, "ulimits", "*")
	add(container, toInt, "ulimits", "*", "hard")
	add(container, toInt, "ulimits", "*", "soft")
	add(container, toBool, "volumes", "[]", "read_only")
	add(container, toBool, "volumes", "[]", "volume", "nocopy")

	add(workload, toBool, "depends_on", "*", "required")
	add(workload, toBool, "depends_on", "*", "restart")
	add(workload, toInt, "healthcheck", "retries")
	add(workload, toBool, "healthcheck", "disable")
	add(workload, toInt, "ports", "[]", "target")
	add(workload, toBool, "stdin_open")
	add(workload, toBool, "tty")

	add(service, toInt, "deploy", "replicas")
	add(service, toInt, "deploy", "update_config", "parallelism")
	add(service, toFloat, "deploy", "update_config", "max_failure_ratio")
	add(service, toInt, "deploy", "rollback_config", "parallelism")
	add(service, toFloat, "deploy", "rollback_config", "max_failure_ratio")
	add(service, toInt, "deploy", "restart_policy", "max_attempts")
	add(service, toInt, "deploy", "placement", "max_replicas_per_node")
	add(service, toInt, "scale")
	return casts
}
