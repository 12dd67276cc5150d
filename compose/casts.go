package compose

import (
	"fmt"
	"strconv"
	"strings"

	interp "github.com/compose-spec/compose-go/v2/interpolation"
	"github.com/compose-spec/compose-go/v2/tree"
)

// castTypes are the attributes of the compose specification that are
// numbers or booleans, by where they are written. compose gives them
// that type right after interpolation, whether the value held a variable
// or not ("${N}" and "3" are both the number 3 at scale), and its later
// steps rely on it (ulimits: {nproc: "${N}"} must be a number by the
// time the long syntax is made). Paths are compose-go's tree patterns.
var castTypes = []struct {
	where []string // the mappings that hold the attributes
	cast  interp.Cast
	attrs []string // below them
}{
	{resources, toBool, []string{"external"}},
	{[]string{"networks.*"}, toBool, []string{"internal", "attachable", "enable_ipv4", "enable_ipv6"}},

	{containers, toInt64, []string{"cpu_count", "cpu_period", "cpu_quota", "cpu_rt_period", "cpu_rt_runtime", "cpu_shares", "oom_score_adj", "pids_limit"}},
	{containers, toFloat64, []string{"cpu_percent"}},
	{containers, toFloat32, []string{"cpus"}},
	{containers, toBool, []string{"init", "oom_kill_disable", "privileged", "read_only", "networks.*.use_service_name_alias", "volumes.[].read_only", "volumes.[].volume.nocopy"}},
	{containers, toUmask, []string{"umask"}},
	{containers, toInt, []string{"ulimits.*", "ulimits.*.hard", "ulimits.*.soft"}},

	{workloads, toBool, []string{"depends_on.*.required", "depends_on.*.restart", "healthcheck.disable", "stdin_open", "tty"}},
	{workloads, toInt, []string{"healthcheck.retries", "ports.[].target"}},

	{[]string{"services.*"}, toInt, []string{"scale", "deploy.replicas", "deploy.update_config.parallelism", "deploy.rollback_config.parallelism", "deploy.restart_policy.max_attempts", "deploy.placement.max_replicas_per_node"}},
	{[]string{"services.*"}, toFloat64, []string{"deploy.update_config.max_failure_ratio", "deploy.rollback_config.max_failure_ratio"}},
}

var (
	resources = []string{"networks.*", "volumes.*", "secrets.*", "configs.*"}
	// Anything that declares a container: a service, a job, a service's
	// pre_start hook.
	containers = []string{"services.*", "jobs.*", "services.*.pre_start.*"}
	// What runs: services and jobs.
	workloads = []string{"services.*", "jobs.*"}
)

// casts is castTypes as interpolation takes them.
func casts() map[tree.Path]interp.Cast {
	m := map[tree.Path]interp.Cast{}
	for _, c := range castTypes {
		for _, w := range c.where {
			for _, a := range c.attrs {
				m[tree.Path(w+"."+a)] = c.cast
			}
		}
	}
	return m
}

func toInt(s string) (any, error)   { return strconv.Atoi(s) }
func toInt64(s string) (any, error) { return strconv.ParseInt(s, 10, 64) }

func toFloat64(s string) (any, error) { return strconv.ParseFloat(s, 64) }

func toFloat32(s string) (any, error) {
	f, err := strconv.ParseFloat(s, 32)
	if err != nil {
		return nil, err
	}
	return float32(f), nil
}

// toUmask reads a umask as YAML reads an integer: 077 and 0o77 are octal.
func toUmask(s string) (any, error) { return strconv.ParseUint(s, 0, 32) }

// toBool takes YAML 1.1's words for booleans too, as compose does (which
// warns about them; bricklayer keeps quiet, as it does about unset
// variables).
func toBool(s string) (any, error) {
	switch strings.ToLower(s) {
	case "true", "y", "yes", "on":
		return true, nil
	case "false", "n", "no", "off":
		return false, nil
	}
	return nil, fmt.Errorf("invalid boolean: %s", s)
}
