// Package ciflow is the CI step the GitHub Action and the Azure Pipelines
// template run as `bricklayer ci`: it reads the step's inputs, logs in,
// vets, plans into the job summary, builds or publishes, and reports
// through the CI's own commands (outputs, summary, annotations, groups).
package ciflow
