package llbgen

import (
	"maps"
	"os"
	"slices"
	"sort"
	"strings"

	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/bricklayer-build/bricklayer/spec"
)

// withMetadata returns r with the image's own metadata applied to a copy
// of its config: labels, entrypoint, cmd, ports, volumes, platform.
func withMetadata(r *result, im *spec.Image, target ocispecs.Platform) *result {
	out := *r
	c := cloneConfig(r.config)
	if len(im.Labels) > 0 && c.Config.Labels == nil {
		c.Config.Labels = map[string]string{}
	}
	maps.Copy(c.Config.Labels, im.Labels)
	if im.Entrypoint != nil {
		c.Config.Entrypoint = im.Entrypoint
		// As in a Dockerfile: a new entrypoint drops the base's cmd.
		if im.Cmd == nil {
			c.Config.Cmd = nil
		}
	}
	if im.Cmd != nil {
		c.Config.Cmd = im.Cmd
	}
	for _, p := range im.Expose {
		if c.Config.ExposedPorts == nil {
			c.Config.ExposedPorts = map[string]struct{}{}
		}
		c.Config.ExposedPorts[p] = struct{}{}
	}
	for _, v := range im.Volumes {
		if c.Config.Volumes == nil {
			c.Config.Volumes = map[string]struct{}{}
		}
		c.Config.Volumes[v] = struct{}{}
	}
	c.OS, c.Architecture, c.Variant = target.OS, target.Architecture, target.Variant
	c.RootFS.Type = "layers"
	out.config = c
	return &out
}

// cloneConfig copies c deeply enough that changing the copy's env,
// labels, ports, volumes or history leaves c alone.
func cloneConfig(c dockerspec.DockerOCIImage) dockerspec.DockerOCIImage {
	c.Config.Env = slices.Clone(c.Config.Env)
	c.Config.Entrypoint = slices.Clone(c.Config.Entrypoint)
	c.Config.Cmd = slices.Clone(c.Config.Cmd)
	c.Config.Labels = maps.Clone(c.Config.Labels)
	c.Config.ExposedPorts = maps.Clone(c.Config.ExposedPorts)
	c.Config.Volumes = maps.Clone(c.Config.Volumes)
	c.History = slices.Clone(c.History)
	c.RootFS.DiffIDs = slices.Clone(c.RootFS.DiffIDs)
	return c
}

// setEnv sets k in an environment list, in place when it is there.
func setEnv(env []string, k, v string) []string {
	for i, kv := range env {
		if name, _, _ := strings.Cut(kv, "="); name == k {
			env[i] = k + "=" + v
			return env
		}
	}
	return append(env, k+"="+v)
}

func joinMap(m map[string]string) string {
	parts := make([]string, 0, len(m))
	for _, k := range spec.SortedKeys(m) {
		parts = append(parts, k+"="+m[k])
	}
	return strings.Join(parts, " ")
}

func sortedUnique(s []string) []string {
	out := slices.Clone(s)
	sort.Strings(out)
	return slices.Compact(out)
}

func fileMode(m uint64) os.FileMode { return os.FileMode(m) }
