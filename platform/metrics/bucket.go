package metrics

import (
	"context"

	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

// gocloud.dev's blob package counts the bytes it reads and writes with
// these OpenTelemetry counters, per bucket driver.
const (
	blobBytesRead    = "gocloud.dev/blob/bytes_read"
	blobBytesWritten = "gocloud.dev/blob/bytes_written"
)

// CountBucketBytes exports the bytes this process reads from and writes to
// its buckets, which in a worker are the originals it edits and the results
// it stores. It reads gocloud.dev's own counters: it installs a global
// OpenTelemetry meter provider that keeps those two instruments and drops
// every other, so call it once, before opening the bucket.
func (w *Worker) CountBucketBytes() {
	reader := sdkmetric.NewManualReader()
	keep := func(i sdkmetric.Instrument) (sdkmetric.Stream, bool) {
		if i.Name == blobBytesRead || i.Name == blobBytesWritten {
			return sdkmetric.Stream{Name: i.Name, Description: i.Description, Unit: i.Unit}, true
		}
		return sdkmetric.Stream{Aggregation: sdkmetric.AggregationDrop{}}, true
	}
	otel.SetMeterProvider(sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader), sdkmetric.WithView(keep)))
	w.reg.MustRegister(bucketBytes{
		reader:  reader,
		read:    prometheus.NewDesc("pixmill_worker_read_bytes_total", "Bytes this worker read from the bucket: the originals it edited.", nil, nil),
		written: prometheus.NewDesc("pixmill_worker_written_bytes_total", "Bytes this worker wrote to the bucket: the results it stored.", nil, nil),
	})
}

type bucketBytes struct {
	reader        *sdkmetric.ManualReader
	read, written *prometheus.Desc
}

func (b bucketBytes) Describe(ch chan<- *prometheus.Desc) {
	ch <- b.read
	ch <- b.written
}

func (b bucketBytes) Collect(ch chan<- prometheus.Metric) {
	var rm metricdata.ResourceMetrics
	if err := b.reader.Collect(context.Background(), &rm); err != nil {
		ch <- prometheus.NewInvalidMetric(b.read, err)
		return
	}
	var read, written int64
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			sum, ok := m.Data.(metricdata.Sum[int64])
			if !ok {
				continue
			}
			for _, p := range sum.DataPoints {
				switch m.Name {
				case blobBytesRead:
					read += p.Value
				case blobBytesWritten:
					written += p.Value
				}
			}
		}
	}
	ch <- prometheus.MustNewConstMetric(b.read, prometheus.CounterValue, float64(read))
	ch <- prometheus.MustNewConstMetric(b.written, prometheus.CounterValue, float64(written))
}
