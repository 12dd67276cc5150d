// Package buildopt parses BuildKit's option strings (type=oci,dest=out,
// type=registry,ref=REF,mode=max, id=ID,src=FILE) into typed values, once,
// where they enter the program: the command line or the spec.
package buildopt
