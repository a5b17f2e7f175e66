package stack

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// Endpoints is what `pixmill up` tells other pixmill commands about where it
// keeps things, in DATA/endpoints.json: the embedded queue's port changes
// with every start.
type Endpoints struct {
	Bucket string `json:"bucket"`
	Queues
}

// EndpointsFile is the file under the data directory that holds Endpoints.
const EndpointsFile = "endpoints.json"

func writeEndpoints(data string, cfg Config) error {
	b, err := json.MarshalIndent(Endpoints{Bucket: cfg.Bucket, Queues: cfg.Queues}, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(data, EndpointsFile), b, 0o600)
}

// ReadEndpoints reads what a running `pixmill up` on data wrote.
func ReadEndpoints(data string) (Endpoints, error) {
	var e Endpoints
	b, err := os.ReadFile(filepath.Join(data, EndpointsFile))
	if err != nil {
		return e, fmt.Errorf("no running pixmill up on %s? %w", data, err)
	}
	return e, json.Unmarshal(b, &e)
}
