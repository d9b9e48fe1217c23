package gen

import (
	"bufio"
	"fmt"
	"io"
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
	bw := bufio.NewWriterSize(w, 256<<10)
	if _, err := bw.WriteString(usersHeader); err != nil {
		return fmt.Errorf("write users.csv: %w", err)
	}
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
		if _, err := bw.Write(b); err != nil {
			return fmt.Errorf("write users.csv: %w", err)
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write users.csv: %w", err)
	}
	return nil
}

// WriteOrgsCSV writes orgs.csv in the demo's layout (組織パス, 組織コード,
// 説明), level by level, so that every parent comes before its children.
func (g *Generator) WriteOrgsCSV(w io.Writer) error {
	bw := bufio.NewWriterSize(w, 256<<10)
	if _, err := bw.WriteString(orgsHeader); err != nil {
		return fmt.Errorf("write orgs.csv: %w", err)
	}
	var b []byte
	for k, n := range g.counts.Levels {
		for j := range n {
			b = g.appendPath(b[:0], k, j)
			b = append(b, ',')
			b = append(b, g.orgCode(k, j)...)
			b = append(b, ',')
			b = append(b, g.orgName(k, j)...)
			b = append(b, '\n')
			if _, err := bw.Write(b); err != nil {
				return fmt.Errorf("write orgs.csv: %w", err)
			}
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write orgs.csv: %w", err)
	}
	return nil
}
