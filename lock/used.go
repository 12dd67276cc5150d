package lock

import "sync"

// usedSet is a set of references, safe for the converter's concurrent
// resolutions.
type usedSet struct {
	mu *sync.Mutex
	m  map[string]bool
}

func newUsedSet() usedSet { return usedSet{mu: &sync.Mutex{}, m: map[string]bool{}} }

func (u usedSet) add(ref string) {
	u.mu.Lock()
	u.m[ref] = true
	u.mu.Unlock()
}

func (u usedSet) has(ref string) bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.m[ref]
}
