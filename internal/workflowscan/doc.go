// Package workflowscan reads the image builds a repository's GitHub
// workflows make (docker buildx build, docker/build-push-action, docker
// buildx bake and the bake files it names) into plain values, and lists
// what of them it could not read, each at its file and line.
package workflowscan
