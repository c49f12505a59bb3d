package edge

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/portico/portico/pkg/natstest"
)

func TestReplyMux(t *testing.T) {
	srv := natstest.Start(t)
	nc := natstest.Connect(t, srv)
	responder := natstest.Connect(t, srv)
	sub, err := responder.Subscribe("mux.echo", func(m *nats.Msg) {
		r := nats.NewMsg(m.Reply)
		r.Header.Set("X-Got", m.Header.Get("X-Sent"))
		r.Data = m.Data
		_ = m.RespondMsg(r)
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sub.Unsubscribe() })
	silent, err := responder.Subscribe("mux.silent", func(*nats.Msg) {})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = silent.Unsubscribe() })
	if err := responder.Flush(); err != nil {
		t.Fatal(err)
	}
	m := newReplyMux(nc)

	tests := []struct {
		name    string
		subject string
		wantErr error
	}{
		{name: "reply", subject: "mux.echo"},
		{name: "no responders", subject: "mux.nobody", wantErr: nats.ErrNoResponders},
		{name: "timeout", subject: "mux.silent", wantErr: nats.ErrTimeout},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			msg := nats.NewMsg(tc.subject)
			msg.Header.Set("X-Sent", "v")
			msg.Data = []byte("body")
			reply, err := m.request(msg, 200*time.Millisecond)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("request(%s) error = %v, want %v", tc.subject, err, tc.wantErr)
			}
			if tc.wantErr == nil && (string(reply.Data) != "body" || reply.Header.Get("X-Got") != "v") {
				t.Fatalf("request(%s) = %q %v, want the echo", tc.subject, reply.Data, reply.Header)
			}
		})
	}

	t.Run("concurrent replies reach their own waiters", func(t *testing.T) {
		var wg sync.WaitGroup
		errs := make(chan error, 64)
		for i := range 64 {
			wg.Go(func() {
				for j := range 20 {
					want := fmt.Sprintf("%d-%d", i, j)
					msg := nats.NewMsg("mux.echo")
					msg.Data = []byte(want)
					reply, err := m.request(msg, 10*time.Second)
					if err != nil || string(reply.Data) != want {
						errs <- fmt.Errorf("request(%s) = %v, want it back", want, err)
						return
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
	})

	t.Run("closed connection", func(t *testing.T) {
		done := make(chan error, 1)
		go func() {
			_, err := m.request(nats.NewMsg("mux.silent"), time.Minute)
			done <- err
		}()
		natstest.Eventually(t, 10*time.Second, func() error {
			m.mu.Lock()
			defer m.mu.Unlock()
			if len(m.waiters) == 0 {
				return errors.New("no request waiting yet")
			}
			return nil
		})
		nc.Close()
		if err := <-done; !errors.Is(err, nats.ErrConnectionClosed) {
			t.Fatalf("request on a closed connection: %v, want %v", err, nats.ErrConnectionClosed)
		}
		if _, err := m.request(nats.NewMsg("mux.echo"), time.Second); !errors.Is(err, nats.ErrConnectionClosed) {
			t.Fatalf("request after close: %v, want %v", err, nats.ErrConnectionClosed)
		}
	})
}
