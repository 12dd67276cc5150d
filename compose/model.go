package compose

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"
)

// model is a compose file as compose reads it, far enough to compare it
// with another (see readModel). With vars nil nothing is interpolated, so
// ${A} and ${B} stay different; otherwise vars are the environment and an
// unset variable is empty, as compose has it.
func model(src []byte, vars map[string]string) (map[string]any, error) {
	m, err := readModel(src, vars)
	if err != nil {
		var pe *PosError
		if errors.As(err, &pe) {
			return nil, err
		}
		return nil, fmt.Errorf("reading it as compose does: %w", err)
	}
	return m, nil
}

// diffPath is where two models differ: keys, and [i] for list items.
type diffPath []string

func (p diffPath) String() string {
	var sb strings.Builder
	for i, k := range p {
		switch {
		case strings.HasPrefix(k, "\x00"):
			sb.WriteString("[" + k[1:] + "]")
		case k == "" || strings.ContainsAny(k, ".[] "):
			if i > 0 {
				sb.WriteByte('.')
			}
			sb.WriteString(strconv.Quote(k))
		default:
			if i > 0 {
				sb.WriteByte('.')
			}
			sb.WriteString(k)
		}
	}
	if sb.Len() == 0 {
		return "(document)"
	}
	return sb.String()
}

// modelDiff is the first place a and b differ, keys in sorted order, or
// nil. allow may accept a difference (old, new) at a path.
func modelDiff(path diffPath, a, b any, allow func(diffPath, any, any) bool) (diffPath, bool) {
	if equalScalar(a, b) {
		return nil, false
	}
	if allow != nil && allow(path, a, b) {
		return nil, false
	}
	switch av := a.(type) {
	case map[string]any:
		bv, ok := b.(map[string]any)
		if !ok {
			return path, true
		}
		keys := make([]string, 0, len(av)+len(bv))
		for k := range av {
			keys = append(keys, k)
		}
		for k := range bv {
			if _, dup := av[k]; !dup {
				keys = append(keys, k)
			}
		}
		sort.Strings(keys)
		for _, k := range keys {
			p := append(path[:len(path):len(path)], k)
			x, inA := av[k]
			y, inB := bv[k]
			if !inA || !inB {
				return p, true
			}
			if d, ok := modelDiff(p, x, y, allow); ok {
				return d, true
			}
		}
		return nil, false
	case []any:
		bv, ok := b.([]any)
		if !ok {
			return path, true
		}
		for i := 0; i < len(av) || i < len(bv); i++ {
			p := append(path[:len(path):len(path)], "\x00"+strconv.Itoa(i))
			if i >= len(av) || i >= len(bv) {
				return p, true
			}
			if d, ok := modelDiff(p, av[i], bv[i], allow); ok {
				return d, true
			}
		}
		return nil, false
	}
	return path, true
}

// equalScalar compares scalars as data: numbers by value (1 and 1.0 are
// one number), NaN equal to NaN; collections are compared by modelDiff.
// compose turns a number into text with fmt where an attribute is a
// string (labels, environment), so numbers that print differently differ
// (1000000 and 1e6 are one value, but "1000000" and "1e+06" to compose).
func equalScalar(a, b any) bool {
	if x, ok := number(a); ok {
		y, ok := number(b)
		return ok && (x == y || math.IsNaN(x) && math.IsNaN(y)) && fmt.Sprint(a) == fmt.Sprint(b)
	}
	switch a.(type) {
	case map[string]any, []any:
		return false
	}
	return reflect.DeepEqual(a, b)
}

func number(v any) (float64, bool) {
	r := reflect.ValueOf(v)
	switch {
	case !r.IsValid():
		return 0, false
	case r.CanInt():
		return float64(r.Int()), true
	case r.CanUint():
		return float64(r.Uint()), true
	case r.CanFloat():
		return r.Float(), true
	}
	return 0, false
}

// at is the value at path p of m, if there is one.
func at(m any, p diffPath) (any, bool) {
	for _, k := range p {
		switch v := m.(type) {
		case map[string]any:
			x, ok := v[k]
			if !ok {
				return nil, false
			}
			m = x
		case []any:
			i, err := strconv.Atoi(strings.TrimPrefix(k, "\x00"))
			if err != nil || i < 0 || i >= len(v) {
				return nil, false
			}
			m = v[i]
		default:
			return nil, false
		}
	}
	return m, true
}
