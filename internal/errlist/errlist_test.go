package errlist

import (
	"errors"
	"fmt"
	"io"
	"testing"
)

func TestList(t *testing.T) {
	for _, tc := range []struct {
		name  string
		max   int
		added int   // errors e0, e1, … added in order
		at    []int // then i0, i1, … inserted at these indexes
		want  string
		len   int
	}{
		{name: "none", max: 3, want: "", len: 0},
		{name: "all kept", max: 3, added: 2, want: "e0\ne1", len: 2},
		{name: "one more", max: 1, added: 2, want: "e0\nand 1 more error", len: 2},
		{name: "more", max: 2, added: 5, want: "e0\ne1\nand 3 more errors", len: 5},
		{name: "inserted in order", max: 5, added: 2, at: []int{0, 2}, want: "i0\ne0\ni1\ne1", len: 4},
		{name: "insert into an empty list", max: 5, at: []int{0}, want: "i0", len: 1},
		{name: "insert first, middle and last", max: 9, added: 3, at: []int{0, 2, 5}, want: "i0\ne0\ni1\ne1\ne2\ni2", len: 6},
		{name: "insert pushes the last out", max: 2, added: 2, at: []int{1}, want: "e0\ni0\nand 1 more error", len: 3},
		{name: "insert past the kept ones", max: 2, added: 2, at: []int{2}, want: "e0\ne1\nand 1 more error", len: 3},
		{name: "insert past the end", max: 5, added: 1, at: []int{4}, want: "e0\ni0", len: 2},
		{name: "zero keeps none", max: 0, added: 2, want: "and 2 more errors", len: 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := List{Max: tc.max}
			for i := range tc.added {
				l.Add(fmt.Errorf("e%d", i))
			}
			for i, at := range tc.at {
				l.Insert(at, fmt.Errorf("i%d", i))
			}
			got := ""
			if err := l.Err(); err != nil {
				got = err.Error()
			}
			if got != tc.want {
				t.Errorf("Err() = %q, want %q", got, tc.want)
			}
			if l.Len() != tc.len {
				t.Errorf("Len() = %d, want %d", l.Len(), tc.len)
			}
		})
	}
}

// The errors kept stay reachable through errors.Is and errors.As.
func TestListWraps(t *testing.T) {
	l := List{Max: 1}
	l.Add(fmt.Errorf("row 2: %w", io.ErrUnexpectedEOF))
	l.Add(errors.New("row 3"))
	if err := l.Err(); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("Err() = %v, does not wrap io.ErrUnexpectedEOF", err)
	}
}
