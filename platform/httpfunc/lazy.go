package httpfunc

import (
	"context"
	"sync"
)

// lazy opens a value on first use and keeps it. Unlike sync.Once it does not
// keep a failure: a bucket or broker that is down when the first event
// arrives may be up for the next one.
type lazy[T any] struct {
	open func(context.Context) (T, error)

	mu   sync.Mutex
	v    T
	done bool
}

func (l *lazy[T]) get(ctx context.Context) (T, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.done {
		return l.v, nil
	}
	v, err := l.open(ctx)
	if err != nil {
		return v, err
	}
	l.v, l.done = v, true
	return v, nil
}
