// Package ref reads image repositories once, with the distribution
// reference grammar, and formats the references bricklayer makes of them
// (repository:tag, repository@digest) in one place.
package ref
