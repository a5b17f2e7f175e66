// Package drivers registers every gocloud.dev driver pixmill's programs can
// be configured with, so that each program is put together with one import
// and the programs cannot disagree about which URLs they open:
//
//	buckets  file://, gs://, s3://
//	queues   jetstream:// (platform/jetstream), gcppubsub://, rabbit://,
//	         http(s):// topics that POST CloudEvents (platform/cehttptopic)
//
// mem:// buckets and queues are gocloud.dev's own, for tests; gocloud.dev
// registers them with its portable packages.
package drivers

import (
	_ "gocloud.dev/blob/fileblob"
	_ "gocloud.dev/blob/gcsblob"
	_ "gocloud.dev/blob/s3blob"
	_ "gocloud.dev/pubsub/gcppubsub"
	_ "gocloud.dev/pubsub/rabbitpubsub"

	_ "github.com/pixmill/pixmill/platform/cehttptopic"
	_ "github.com/pixmill/pixmill/platform/jetstream"
)
