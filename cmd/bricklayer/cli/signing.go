package cli

import (
	"context"

	"github.com/spf13/pflag"

	"github.com/bricklayer-build/bricklayer/pipeline"
	"github.com/bricklayer-build/bricklayer/publish"
	"github.com/bricklayer-build/bricklayer/sign"
)

func signFlag(fs *pflag.FlagSet) *string {
	return fs.String("sign", "", "sign each index as cosign does before the tags move: a key, FILE or env://VAR (password: $COSIGN_PASSWORD), or keyless[,fulcio=URL,rekor=URL] (Sigstore, an OIDC token)")
}

// signer reads the --sign key, or finds the keyless token, before
// anything is built (a wrong password costs no build), and gives the
// pipeline's Sign hook: nil without --sign.
func (c *CLI) signer(ref string, reg publish.Registry) (func(context.Context, []*pipeline.ImageResult) error, error) {
	if ref == "" {
		return nil, nil
	}
	s := &sign.Signer{Registry: reg}
	var err error
	if sign.IsKeyless(ref) {
		s.Keyless, err = sign.ParseKeyless(ref, c.getenv)
	} else {
		s.Key, err = sign.LoadKey(ref, c.getenv)
	}
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context, results []*pipeline.ImageResult) error {
		// The index is signed in every repository it is in: a signature
		// is found beside the image it is about.
		var targets []sign.Target
		first := make([]int, len(results))
		for i, r := range results {
			first[i] = len(targets)
			for _, repo := range append([]string{r.Repository}, r.Mirrors...) {
				targets = append(targets, sign.Target{Repository: repo, Digest: r.Digest})
			}
		}
		refs, err := s.Sign(ctx, targets)
		if err != nil {
			return err
		}
		for i, r := range results {
			r.Signature = refs[first[i]]
		}
		return nil
	}, nil
}
