package emulator

import (
	"go.uber.org/zap"

	"github.com/orgbridge/orgbridge/internal/emukit"
)

// DemoToken is the admin token NewDemo accepts and configs/tenantadmin.yaml
// uses (through the TENANTADMIN_TOKEN environment variable). It guards
// nothing but a local emulator.
const DemoToken = "demo-tenantadmin-token"

// DemoUsers are the tenant's users of the demo: usr_ and the employee
// number of each row of configs/demo/users.csv, with its name and mail.
func DemoUsers() []User {
	return []User{
		{ID: "usr_1001", Name: "山田 太郎", Email: "taro.yamada@example.co.jp"},
		{ID: "usr_1002", Name: "佐藤 花子", Email: "hanako.sato@example.co.jp"},
		{ID: "usr_1003", Name: "鈴木 一郎", Email: "ichiro.suzuki@example.co.jp"},
		{ID: "usr_1004", Name: "高橋 健太", Email: "kenta.takahashi@example.co.jp"},
		{ID: "usr_1005", Name: "田中 美咲", Email: "misaki.tanaka@example.co.jp"},
		{ID: "usr_1006", Name: "伊藤 翔", Email: "sho.ito@example.co.jp"},
		{ID: "usr_1007", Name: "渡辺 さくら", Email: "sakura.watanabe@example.co.jp"},
		{ID: "usr_1008", Name: "中村 大輔", Email: "daisuke.nakamura@example.co.jp"},
		{ID: "usr_1009", Name: "小林 陽菜", Email: "hina.kobayashi@example.co.jp"},
		{ID: "usr_1010", Name: "加藤 拓海", Email: "takumi.kato@example.co.jp"},
		{ID: "usr_1011", Name: "吉田 結衣", Email: "yui.yoshida@example.co.jp"},
		{ID: "usr_1012", Name: "山本 蓮", Email: "ren.yamamoto@example.co.jp"},
	}
}

// NewDemo returns an emulator ready for configs/tenantadmin.yaml: the demo
// users, DemoToken accepted, no organization, no rate limit, no faults.
func NewDemo(logger *zap.Logger) *Server {
	return New(Options{Options: emukit.Options{Logger: logger}, Users: DemoUsers(), Tokens: []string{DemoToken}})
}
