// Command registry is the distribution registry with what the tests, the
// demo and the benchmarks use of it: filesystem and in-memory storage
// (hack/bench-tags.sh) and htpasswd auth. Upstream's command also links
// the Azure, GCS and S3 storage drivers, whose SDKs are a good part of a
// cold hack/install.sh; this one leaves them out.
package main

import (
	"os"

	"github.com/distribution/distribution/v3/registry"
	_ "github.com/distribution/distribution/v3/registry/auth/htpasswd"
	_ "github.com/distribution/distribution/v3/registry/storage/driver/filesystem"
	_ "github.com/distribution/distribution/v3/registry/storage/driver/inmemory"
)

func main() {
	if err := registry.RootCmd.Execute(); err != nil {
		os.Exit(1)
	}
}
