package ldaptest

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/orgbridge/orgbridge/internal/testsrv"
)

// tools are the OpenLDAP programs and files a Server needs, found once.
type tools struct {
	slapd, slapadd, ldapmodify string
	schemaDir                  string
	moduleDir                  string // "" when the modules are built in
}

var (
	toolsOnce sync.Once
	toolsVal  tools
	toolsErr  error
)

// Places to look beyond $PATH: Debian and Ubuntu (/usr/sbin), RHEL and
// source builds (/usr/local/libexec, /usr/libexec), Homebrew.
var (
	sbinDirs   = []string{"/usr/sbin", "/usr/local/sbin", "/usr/libexec", "/usr/local/libexec", "/opt/homebrew/opt/openldap/libexec", "/usr/local/opt/openldap/libexec"}
	binDirs    = []string{"/usr/bin", "/usr/local/bin", "/opt/homebrew/opt/openldap/bin", "/usr/local/opt/openldap/bin"}
	schemaDirs = []string{"/etc/ldap/schema", "/etc/openldap/schema", "/usr/local/etc/openldap/schema", "/opt/homebrew/etc/openldap/schema"}
	moduleDirs = []string{"/usr/lib/ldap", "/usr/lib64/openldap", "/usr/lib/openldap", "/usr/local/libexec/openldap", "/usr/libexec/openldap"}
)

// The schemas every server includes, in dependency order.
var schemaFiles = []string{"core.schema", "cosine.schema", "inetorgperson.schema", "nis.schema"}

func findProgram(name, env string, dirs []string) (string, error) {
	if p := os.Getenv(env); p != "" {
		if _, err := exec.LookPath(p); err != nil {
			return "", fmt.Errorf("%s=%s: %w", env, p, err)
		}
		return p, nil
	}
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	for _, d := range dirs {
		p := filepath.Join(d, name)
		if st, err := os.Stat(p); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s not found in $PATH or %s (set %s)", name, strings.Join(dirs, ", "), env)
}

func findTools() (tools, error) {
	var t tools
	var errs []error
	var err error
	if t.slapd, err = findProgram("slapd", "ORGBRIDGE_SLAPD", sbinDirs); err != nil {
		errs = append(errs, err)
	}
	if t.slapadd, err = findProgram("slapadd", "ORGBRIDGE_SLAPADD", sbinDirs); err != nil {
		errs = append(errs, err)
	}
	if t.ldapmodify, err = findProgram("ldapmodify", "ORGBRIDGE_LDAPMODIFY", binDirs); err != nil {
		errs = append(errs, err)
	}
	for _, d := range schemaDirs {
		if _, err := os.Stat(filepath.Join(d, "inetorgperson.schema")); err == nil {
			t.schemaDir = d
			break
		}
	}
	if t.schemaDir == "" {
		errs = append(errs, fmt.Errorf("OpenLDAP schema files (inetorgperson.schema) not found in %s", strings.Join(schemaDirs, ", ")))
	} else {
		for _, f := range schemaFiles {
			if _, err := os.Stat(filepath.Join(t.schemaDir, f)); err != nil {
				errs = append(errs, fmt.Errorf("schema %s: %w", f, err))
			}
		}
	}
	// back_mdb may be a module (Debian) or built in (some source builds);
	// when no module directory holds it, assume it is built in and let
	// slaptest say otherwise.
	for _, d := range moduleDirs {
		if _, err := os.Stat(filepath.Join(d, "back_mdb.so")); err == nil {
			t.moduleDir = d
			break
		}
		if _, err := os.Stat(filepath.Join(d, "back_mdb.la")); err == nil {
			t.moduleDir = d
			break
		}
	}
	if len(errs) > 0 {
		return t, fmt.Errorf("ldaptest: OpenLDAP is not usable here (on Debian or Ubuntu: apt-get install slapd ldap-utils): %w", errors.Join(errs...))
	}
	return t, nil
}

func getTools() (tools, error) {
	toolsOnce.Do(func() { toolsVal, toolsErr = findTools() })
	return toolsVal, toolsErr
}

// hasModule reports whether the overlay or backend name can be loaded.
func (t tools) hasModule(name string) bool {
	if t.moduleDir == "" {
		return true // built in, or slaptest will tell
	}
	for _, ext := range []string{".so", ".la"} {
		if _, err := os.Stat(filepath.Join(t.moduleDir, name+ext)); err == nil {
			return true
		}
	}
	return false
}

// Available returns nil if a Server can be started here: slapd, slapadd,
// ldapmodify, the core, cosine, inetorgperson and nis schemas, and the
// mdb backend were found. ORGBRIDGE_SLAPD, ORGBRIDGE_SLAPADD and
// ORGBRIDGE_LDAPMODIFY name the programs explicitly.
func Available() error {
	t, err := getTools()
	if err != nil {
		return err
	}
	for _, m := range []string{"back_mdb", "memberof", "ppolicy", "syncprov"} {
		if !t.hasModule(m) {
			return fmt.Errorf("ldaptest: OpenLDAP module %s not found in %s", m, t.moduleDir)
		}
	}
	return nil
}

// Require skips the test when slapd cannot run here, except under CI
// (testsrv.InCI), where a missing slapd fails the test: CI installs slapd, and a
// test that silently skips there is a test that never runs.
func Require(t testing.TB) {
	t.Helper()
	testsrv.Require(t, Available(), "LDAP")
}
