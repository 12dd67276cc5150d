package sign

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// TokenEnv is the variable an OIDC identity token for Fulcio is given in
// (cosign's name for it; GitLab's id_tokens can fill it).
const TokenEnv = "SIGSTORE_ID_TOKEN"

// A GitHub Actions job with permissions id-token: write has these: where
// to ask for a token, and the bearer token to ask with.
const (
	githubURLEnv    = "ACTIONS_ID_TOKEN_REQUEST_URL"
	githubBearerEnv = "ACTIONS_ID_TOKEN_REQUEST_TOKEN"
)

// audience is the audience Fulcio takes tokens for.
const audience = "sigstore"

// maxTokenResponse bounds an answer holding a token (a JWT of a few KB).
const maxTokenResponse = 1 << 20

// tokenSource is where the identity token comes from. The token is asked
// for when signing starts, after the build: it lives minutes.
type tokenSource struct {
	static      string // $SIGSTORE_ID_TOKEN
	url, bearer string // GitHub Actions
}

// findToken picks the token source of the environment: $SIGSTORE_ID_TOKEN
// first, else GitHub Actions'. A static token is checked at once, so an
// expired or malformed one costs no build.
func findToken(getenv func(string) string, now time.Time) (tokenSource, error) {
	if t := strings.TrimSpace(getenv(TokenEnv)); t != "" {
		if _, err := parseClaims(t, now); err != nil {
			return tokenSource{}, fmt.Errorf("$%s: %w", TokenEnv, err)
		}
		return tokenSource{static: t}, nil
	}
	u, b := getenv(githubURLEnv), getenv(githubBearerEnv)
	if u != "" && b != "" {
		return tokenSource{url: u, bearer: b}, nil
	}
	return tokenSource{}, fmt.Errorf("no OIDC identity token: set $%s, or in GitHub Actions give the job permissions id-token: write (then $%s and $%s are set)", TokenEnv, githubURLEnv, githubBearerEnv)
}

// token gets the identity token.
func (s tokenSource) token(ctx context.Context, client *http.Client) (string, error) {
	if s.static != "" {
		return s.static, nil
	}
	u, err := url.Parse(s.url)
	if err != nil {
		return "", fmt.Errorf("$%s: %w", githubURLEnv, err)
	}
	q := u.Query()
	q.Set("audience", audience)
	u.RawQuery = q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return "", err
	}
	req.Header.Set("Authorization", "bearer "+s.bearer)
	resp, err := client.Do(req)
	if err != nil {
		return "", fmt.Errorf("asking GitHub Actions for an identity token: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxTokenResponse))
	if err != nil {
		return "", fmt.Errorf("asking GitHub Actions for an identity token: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("asking GitHub Actions for an identity token: %s: %s", resp.Status, snippet(body))
	}
	var doc struct {
		Value string `json:"value"`
	}
	if err := json.Unmarshal(body, &doc); err != nil || doc.Value == "" {
		return "", fmt.Errorf("asking GitHub Actions for an identity token: no token in the answer")
	}
	return doc.Value, nil
}

// claims are what the signer reads of a token, unverified: Fulcio
// verifies it.
type claims struct {
	Issuer   string `json:"iss"`
	Subject  string `json:"sub"`
	Email    string `json:"email"`
	Verified any    `json:"email_verified"` // a boolean, or "true" from some issuers
	Expiry   int64  `json:"exp"`
}

// parseClaims reads a JWT's claims and checks that it has not expired.
func parseClaims(token string, now time.Time) (*claims, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil, errors.New("not a JWT (three dot-separated parts)")
	}
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return nil, fmt.Errorf("the JWT's claims: %w", err)
	}
	var c claims
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, fmt.Errorf("the JWT's claims: %w", err)
	}
	if c.Expiry != 0 && now.Unix() >= c.Expiry {
		return nil, fmt.Errorf("the token expired at %s", time.Unix(c.Expiry, 0).UTC().Format(time.RFC3339))
	}
	return &c, nil
}

// subject is the claim Fulcio has the key prove possession with: the
// email when there is one (it must be verified), else sub.
func (c *claims) subject() (string, error) {
	if c.Email != "" {
		if v, ok := c.Verified.(bool); !(ok && v) && c.Verified != "true" {
			return "", fmt.Errorf("the token's email %s is not verified by its issuer", c.Email)
		}
		return c.Email, nil
	}
	if c.Subject == "" {
		return "", errors.New("the token has neither email nor sub")
	}
	return c.Subject, nil
}

// snippet is the start of a server's answer, for an error message.
func snippet(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	return s
}
