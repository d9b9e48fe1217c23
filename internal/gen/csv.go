package gen

import (
	"bufio"
	"fmt"
	"io"
	"iter"
	"strconv"
)

// The demo's headers (configs/demo/users.csv and orgs.csv): the users file
// starts with a UTF-8 BOM, as Excel writes it; the orgs file has none.
const (
	usersHeader = "\ufeff社員番号,氏名,メールアドレス,所属,役職,役割,在籍区分,グループ\n"
	orgsHeader  = "組織パス,組織コード,説明\n"
)

// WriteUsersCSV writes users.csv in the demo's layout, one row per user in
// 社員番号 order. No value holds a comma, quote or newline, so none is quoted.
func (g *Generator) WriteUsersCSV(w io.Writer) error {
	return writeCSV(w, "users.csv", usersHeader, g.userRows)
}

// userRows yields the rows of users.csv, each in the same buffer.
func (g *Generator) userRows(yield func(row []byte) bool) {
	leafLevel := len(g.counts.Levels) - 1
	var b []byte
	for u := range g.counts.Users {
		r := g.user(u)
		b = strconv.AppendInt(b[:0], int64(r.id), 10)
		b = append(b, ',')
		b = append(b, r.sn...)
		b = append(b, ' ')
		b = append(b, r.gn...)
		b = append(b, ",u"...)
		b = strconv.AppendInt(b, int64(r.id), 10)
		b = append(b, "@example.co.jp,"...)
		b = g.appendPath(b, leafLevel, r.leaf)
		if r.manager {
			b = append(b, ",課長,管理者,"...)
		} else {
			b = append(b, ",,一般,"...)
		}
		b = append(b, r.status...)
		b = append(b, ',')
		first := true
		g.groupsOf(r.position, func(i int) {
			if !first {
				b = append(b, ';')
			}
			first = false
			b = append(b, g.groupName(i)...)
		})
		b = append(b, '\n')
		if !yield(b) {
			return
		}
	}
}

// WriteOrgsCSV writes orgs.csv in the demo's layout (組織パス, 組織コード,
// 説明), level by level, so that every parent comes before its children.
func (g *Generator) WriteOrgsCSV(w io.Writer) error {
	return writeCSV(w, "orgs.csv", orgsHeader, g.orgRows)
}

// orgRows yields the rows of orgs.csv, each in the same buffer.
func (g *Generator) orgRows(yield func(row []byte) bool) {
	var b []byte
	for k, n := range g.counts.Levels {
		for j := range n {
			b = g.appendPath(b[:0], k, j)
			b = append(b, ',')
			b = append(b, g.orgCode(k, j)...)
			b = append(b, ',')
			b = append(b, g.orgName(k, j)...)
			b = append(b, '\n')
			if !yield(b) {
				return
			}
		}
	}
}

// writeCSV writes the file name (for errors) through a buffer: header, then
// each row of rows (a whole line, newline included), stopping at the first
// error.
func writeCSV(w io.Writer, name, header string, rows iter.Seq[[]byte]) error {
	bw := bufio.NewWriterSize(w, 256<<10)
	_, err := bw.WriteString(header)
	if err == nil {
		for row := range rows {
			if _, err = bw.Write(row); err != nil {
				break
			}
		}
	}
	if err == nil {
		err = bw.Flush()
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	return nil
}
