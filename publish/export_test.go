package publish

// WithTagLimit is r with at most n requests of a tag move in flight at
// once to one registry: 1 moves tags one after another.
func (r Registry) WithTagLimit(n int) Registry {
	r.tagRequests = n
	return r
}
