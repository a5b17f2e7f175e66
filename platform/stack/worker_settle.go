package stack

import (
	"context"
	"strings"
	"time"

	"gocloud.dev/pubsub"

	"github.com/pixmill/pixmill/platform/jetstream"
)

// jetstreamFetchWait is how long the JetStream driver's pull request stays
// open on the server (jetstream.DefaultFetchWait; URLs cannot change it).
const jetstreamFetchWait = jetstream.DefaultFetchWait

// shutdownRequests shuts the requests subscription down, then, on
// JetStream, stays connected until the last pull request has expired.
//
// An idle worker always has a pull request open on the server. When it is
// stopped, a request that arrives before that pull expires is handed to it;
// the driver releases such a request at once (a nak), but only while the
// connection lives. A worker that exited first leaves the request leased to
// nobody for the whole ack wait (30s) — a cold start of half a minute for
// the next picture after a scale-down. Waiting out the pull turns that into
// an immediate redelivery to another worker.
func shutdownRequests(sub *pubsub.Subscription, url string) {
	_ = sub.Shutdown(context.Background())
	if strings.HasPrefix(url, jetstream.Scheme+"://") {
		time.Sleep(jetstreamFetchWait + 100*time.Millisecond)
	}
}
