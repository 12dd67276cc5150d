package cli

import (
	"context"

	"github.com/spf13/pflag"

	"github.com/bricklayer-build/bricklayer/pipeline"
	"github.com/bricklayer-build/bricklayer/publish"
	"github.com/bricklayer-build/bricklayer/sign"
)

func signFlag(fs *pflag.FlagSet) *string {
	return fs.String("sign", "", "sign each index with a cosign key before the tags move: FILE or env://VAR (password: $COSIGN_PASSWORD)")
}

// signer reads the --sign key (before anything is built, so a wrong
// password costs no build) and gives the pipeline's Sign hook: nil
// without --sign.
func (c *CLI) signer(key string, reg publish.Registry) (func(context.Context, []*pipeline.ImageResult) error, error) {
	if key == "" {
		return nil, nil
	}
	k, err := sign.LoadKey(key, c.getenv)
	if err != nil {
		return nil, err
	}
	s := &sign.Signer{Key: k, Registry: reg}
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
