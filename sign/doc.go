// Package sign signs the image indexes bricklayer publishes as cosign
// signs images, with a key or keyless, so that `cosign verify` accepts
// them.
//
// It writes cosign's signature layout from the protocol (the
// simple-signing payload, an ECDSA signature over it, the sha256-HEX.sig
// tag) with go-containerregistry, and decrypts cosign's key files with
// go-securesystemslib, the library cosign itself uses for them. Keyless,
// it speaks Sigstore's HTTP APIs itself: an OIDC token buys a Fulcio
// certificate for a key made for the run (POST /api/v2/signingCert), and
// each signature is logged in Rekor as a hashedrekord entry (POST
// /api/v1/log/entries), its signed entry timestamp stored beside it for
// offline verification. Linking cosign's own packages (pkg/cosign,
// pkg/oci/remote, mutate, static) for the same few steps was measured
// and left out: 5.3 MB more binary (32.4 to 37.7 MB), 115 more package
// inits costing 9 ms more at every start (20 to 29 ms by
// GODEBUG=inittrace=1, govalidator alone 5.9 ms), `bricklayer version`
// and the pre-commit `vet` included, against a start-up budget of 1.1x
// `cue version`; sigstore-go's signer would bring the same.
package sign
