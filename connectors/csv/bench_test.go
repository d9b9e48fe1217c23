package csv

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"go.uber.org/zap"
)

// writeUsers writes a users file of n rows in the given encoding ("utf-8"
// or "shift_jis") into dir.
func writeUsers(b *testing.B, dir string, n int, enc string) string {
	b.Helper()
	var buf bytes.Buffer
	buf.Grow(n * 100)
	buf.WriteString("社員番号,氏名,メール,所属,役割,在籍区分,入社日\n")
	depts := []string{"本社/営業部/第一課", "本社/営業部/第二課", "本社/開発部", `"本社/管理部, 人事課"`}
	for i := range n {
		fmt.Fprintf(&buf, "%d,山田 太郎%d,user%d@example.co.jp,%s,%s,在籍,2020-04-01\n",
			100000+i, i, i, depts[i%len(depts)], []string{"一般", "部長"}[i%2])
	}
	data := buf.Bytes()
	if enc == "shift_jis" {
		data = sjis(b, buf.String())
	}
	path := filepath.Join(dir, "users.csv")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		b.Fatal(err)
	}
	return path
}

// BenchmarkRead100k reads a 100,000-row users file, detecting its encoding.
func BenchmarkRead100k(b *testing.B) {
	const rows = 100_000
	for _, enc := range []string{"utf-8", "shift_jis"} {
		b.Run(enc, func(b *testing.B) {
			path := writeUsers(b, b.TempDir(), rows, enc)
			info, err := os.Stat(path)
			if err != nil {
				b.Fatal(err)
			}
			s, err := New(Config{Users: &File{Path: path, KeyColumn: "社員番号"}}, "", zap.NewNop())
			if err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			b.SetBytes(info.Size())
			b.ReportAllocs()
			iters := 0
			for b.Loop() {
				recs, err := s.Read(ctx)
				if err != nil {
					b.Fatal(err)
				}
				if len(recs) != rows {
					b.Fatalf("%d records, want %d", len(recs), rows)
				}
				iters++
			}
			b.ReportMetric(float64(rows*iters)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}
