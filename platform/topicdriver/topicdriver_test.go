package topicdriver

import (
	"context"
	"errors"
	"testing"

	"gocloud.dev/pubsub/driver"
)

func TestSendEachStopsAtTheFirstError(t *testing.T) {
	boom := errors.New("boom")
	tests := []struct {
		name     string
		failAt   int // -1: none
		wantSent int
		wantErr  error
	}{
		{"all sent", -1, 3, nil},
		{"first fails", 0, 0, boom},
		{"second fails", 1, 1, boom},
	}
	for _, tt := range tests {
		dms := []*driver.Message{{Body: []byte("a")}, {Body: []byte("b")}, {Body: []byte("c")}}
		var sent int
		err := SendEach(context.Background(), dms, func(_ context.Context, dm *driver.Message) error {
			if sent == tt.failAt {
				return boom
			}
			sent++
			return nil
		})
		if sent != tt.wantSent || !errors.Is(err, tt.wantErr) {
			t.Errorf("%s: sent %d, err %v; want %d, %v", tt.name, sent, err, tt.wantSent, tt.wantErr)
		}
	}
}

func TestHooksGetTheDriversValue(t *testing.T) {
	type ack struct{ seq int }
	var got *ack
	var asString bool
	dm := &driver.Message{AfterSend: func(as func(any) bool) error {
		var s string
		asString = as(&s)
		if !as(&got) {
			return errors.New("not an *ack")
		}
		return nil
	}}
	if err := AfterSend(dm, &ack{seq: 7}); err != nil {
		t.Fatal(err)
	}
	if got == nil || got.seq != 7 || asString {
		t.Errorf("hook got %v (as string: %v), want the ack with seq 7 and no string", got, asString)
	}
	if err := BeforeSend(&driver.Message{}, 1); err != nil {
		t.Errorf("no hook: %v", err)
	}
}
