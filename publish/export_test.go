package publish

import "time"

// WithTagLimit is r with at most n requests of a tag move in flight at
// once to one registry: 1 moves tags one after another.
func (r Registry) WithTagLimit(n int) Registry {
	r.tagRequests = n
	return r
}

// WithTagGrace is r giving moves in flight d to be answered once the
// move is stopped.
func (r Registry) WithTagGrace(d time.Duration) Registry {
	r.tagGrace = d
	return r
}
