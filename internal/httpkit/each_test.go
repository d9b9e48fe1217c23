package httpkit

import (
	"context"
	"errors"
	"strconv"
	"sync/atomic"
	"testing"
	"time"
)

func TestReadEachKeepsOrderAndBound(t *testing.T) {
	var running, peak atomic.Int32
	items := []int{5, 4, 3, 2, 1, 0, 9, 8}
	got, err := ReadEach(context.Background(), 3, items, func(_ context.Context, n int) (string, error) {
		r := running.Add(1)
		for {
			p := peak.Load()
			if r <= p || peak.CompareAndSwap(p, r) {
				break
			}
		}
		time.Sleep(time.Duration(n) * time.Millisecond)
		running.Add(-1)
		return strconv.Itoa(n), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for i, n := range items {
		if got[i] != strconv.Itoa(n) {
			t.Fatalf("results %v out of order", got)
		}
	}
	if p := peak.Load(); p > 3 {
		t.Errorf("%d reads at once, want at most 3", p)
	}
}

func TestReadEachStopsAtFirstError(t *testing.T) {
	boom := errors.New("boom")
	got, err := ReadEach(context.Background(), 2, []int{1, 2, 3}, func(ctx context.Context, n int) (int, error) {
		if n == 2 {
			return 0, boom
		}
		<-ctx.Done() // the others see the cancellation
		return n, ctx.Err()
	})
	if !errors.Is(err, boom) || got != nil {
		t.Fatalf("ReadEach = %v, %v", got, err)
	}
	if got, err := ReadEach(context.Background(), 0, []int(nil), func(context.Context, int) (int, error) { return 0, nil }); err != nil || len(got) != 0 {
		t.Errorf("no items: %v, %v", got, err)
	}
}
