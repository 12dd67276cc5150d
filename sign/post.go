package sign

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
)

// postJSON posts v as JSON to base+path and gives the answer's body, at
// most limit bytes, when its status is one of ok. Errors name the service
// (Fulcio, Rekor) and base; header adds request headers.
func postJSON(ctx context.Context, client *http.Client, service, base, path string, v any, header map[string]string, limit int64, ok ...int) ([]byte, error) {
	reqBody, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	url := strings.TrimSuffix(base, "/") + path
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(reqBody))
	if err != nil {
		return nil, fmt.Errorf("%s at %s: %w", service, base, err)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s at %s: %w", service, base, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, limit))
	if err != nil {
		return nil, fmt.Errorf("%s at %s: %w", service, base, err)
	}
	if !slices.Contains(ok, resp.StatusCode) {
		return nil, fmt.Errorf("%s at %s: %s: %s", service, base, resp.Status, snippet(body))
	}
	return body, nil
}
