package buildroot

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The rules below restate Buildroot's manual ("Writing rules", "Adding
// packages": Config.in, .mk and start-script conventions) as checks; each
// returns findings as "line: message".

type rule func(name string, lines []string) []string

func finding(n int, format string, args ...any) string {
	return fmt.Sprintf("%d: %s", n, fmt.Sprintf(format, args...))
}

// Every file: no trailing white space, no run of blank lines, no blank last line.
func commonRules(_ string, lines []string) []string {
	var out []string
	for i, l := range lines {
		if strings.TrimRight(l, " \t") != l {
			out = append(out, finding(i+1, "trailing white space"))
		}
		if i > 0 && l == "" && lines[i-1] == "" {
			out = append(out, finding(i+1, "consecutive empty lines"))
		}
	}
	if n := len(lines); n > 0 && lines[n-1] == "" {
		out = append(out, finding(n, "empty line at end of file"))
	}
	return out
}

var (
	mkVariable   = regexp.MustCompile(`^(define\s+)?([A-Z0-9_]+_[A-Z0-9_]+)\s*(\+|:|\?)?=?`)
	mkBraces     = regexp.MustCompile(`^[^#].*[^$]\$\{\w+\}`)
	mkBackslash  = regexp.MustCompile(`^.*(  |\t ?)\\$`)
	mkUseless    = regexp.MustCompile(`_INSTALL_TARGET\s*=\s*YES|_INSTALL_STAGING\s*=\s*NO|_INSTALL_IMAGES\s*=\s*NO|_INSTALL_REDISTRIBUTE\s*=\s*YES`)
	mkTarget     = regexp.MustCompile(`^[^# \t]+:\s`)
	mkStartDef   = regexp.MustCompile(`^\s*define\s`)
	mkEndDef     = regexp.MustCompile(`^\s*endef\b`)
	mkConditonal = regexp.MustCompile(`^\s*(ifdef|ifeq|ifndef|ifneq|else|endif)\b`)
)

// mkRules: the 80-hash header naming the package, variables prefixed with the
// package name, tabs exactly inside define/continuations/recipes, one space
// before a backslash, $() not ${}, no default flags, the infrastructure macro last.
func mkRules(name string, lines []string) []string {
	var out []string
	pkg := strings.TrimSuffix(filepath.Base(name), ".mk")
	prefix := strings.ToUpper(strings.ReplaceAll(pkg, "-", "_")) + "_"
	header := []string{strings.Repeat("#", 80), "#", "# " + pkg, "#", strings.Repeat("#", 80), ""}
	for i, want := range header {
		if i >= len(lines) || lines[i] != want {
			out = append(out, finding(i+1, "header line should be %q", want))
		}
	}
	inDefine, backslash, recipe := false, false, false
	last := ""
	for i, l := range lines {
		n := i + 1
		if strings.TrimSpace(l) != "" {
			last = l
		}
		if m := mkVariable.FindStringSubmatch(l); m != nil && !strings.HasPrefix(m[2], prefix) && !strings.HasPrefix(m[2], "HOST_"+prefix) {
			out = append(out, finding(n, "variable %s: expected prefix %s", m[2], prefix))
		}
		if mkBraces.MatchString(l) {
			out = append(out, finding(n, "use $() to delimit variables, not ${}"))
		}
		if mkBackslash.MatchString(l) {
			out = append(out, finding(n, "use only one space before backslash"))
		}
		if mkUseless.MatchString(l) {
			out = append(out, finding(n, "useless default value"))
		}
		switch {
		case mkStartDef.MatchString(l):
			inDefine = true
		case mkEndDef.MatchString(l):
			inDefine = false
		case strings.TrimSpace(l) == "":
			recipe = false
		case strings.HasPrefix(strings.TrimSpace(l), "#") && inDefine:
		default:
			wantTab := (inDefine || backslash || recipe) && !(mkConditonal.MatchString(l) && !backslash)
			if wantTab && !strings.HasPrefix(l, "\t") {
				out = append(out, finding(n, "expected indent with tabs"))
			}
			if !wantTab && strings.HasPrefix(l, "\t") {
				out = append(out, finding(n, "unexpected indent with tabs"))
			}
			if mkTarget.MatchString(l) {
				recipe = true
			}
		}
		backslash = strings.HasSuffix(l, "\\") && !strings.HasPrefix(l, "#")
	}
	if strings.HasSuffix(name, "package/"+pkg+"/"+pkg+".mk") && !regexp.MustCompile(`^\$\(eval \$\((host-)?[a-z]+-package\)\)$`).MatchString(last) {
		out = append(out, finding(len(lines), "the last line should be $(eval $(<infra>-package))"))
	}
	return out
}

var configIndented = map[string]bool{"bool": true, "default": true, "depends": true, "help": true, "prompt": true, "select": true, "string": true}
var configTopLevel = map[string]bool{"choice": true, "comment": true, "config": true, "endchoice": true, "endif": true, "endmenu": true, "if": true, "menu": true, "menuconfig": true, "source": true}
var configOrder = map[string]int{"bool": 1, "prompt": 1, "string": 1, "default": 2, "depends": 3, "select": 4, "help": 5}

// configRules: entries at column 0, attributes indented by one tab in the
// order type, default, depends on, select, help; help text as <tab><2 spaces>
// and at most 62 characters; no "default n".
func configRules(_ string, lines []string) []string {
	var out []string
	inHelp, state := false, 0
	for i, l := range lines {
		n := i + 1
		t := strings.TrimSpace(l)
		if t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		word := strings.Fields(t)[0]
		if inHelp && strings.HasPrefix(l, "\t  ") {
			if len(l) > 3+62 {
				out = append(out, finding(n, "help text longer than 62 characters"))
			}
			continue
		}
		inHelp = false
		if configTopLevel[word] {
			state = 0
			if l != strings.TrimLeft(l, " \t") {
				out = append(out, finding(n, "%s should not be indented", word))
			}
			continue
		}
		if configIndented[word] && !strings.HasPrefix(l, "\t"+word) {
			out = append(out, finding(n, "%s should be indented with one tab", word))
		}
		if o, ok := configOrder[word]; ok {
			if o < state {
				out = append(out, finding(n, "attributes order: type, default, depends on, select, help"))
			}
			state = o
		}
		if word == "help" {
			inHelp = true
		}
		if l == "\tdefault n" {
			out = append(out, finding(n, "boolean symbols default to 'n'"))
		}
	}
	return out
}

var (
	sysvDaemon  = regexp.MustCompile(`^DAEMON=["']?([^"']*)["']?`)
	sysvPidfile = regexp.MustCompile(`^PIDFILE=["']?([^"']*)["']?`)
)

// sysvRules: tabs, DAEMON without a path, PIDFILE under /var/run named after
// $DAEMON, and the file named S<NN><daemon>.
func sysvRules(name string, lines []string) []string {
	var out []string
	daemon := ""
	for i, l := range lines {
		n := i + 1
		if strings.HasPrefix(strings.TrimLeft(l, "\t"), " ") && strings.TrimSpace(l) != "" {
			out = append(out, finding(n, "should be indented with tabs"))
		}
		if m := sysvDaemon.FindStringSubmatch(l); m != nil {
			daemon = m[1]
			if strings.Contains(daemon, "/") {
				out = append(out, finding(n, "do not include path in DAEMON"))
				daemon = filepath.Base(daemon)
			}
		}
		if m := sysvPidfile.FindStringSubmatch(l); m != nil && !regexp.MustCompile(`^/var/run/(\$DAEMON|\$\{DAEMON\})\.pid$`).MatchString(m[1]) {
			out = append(out, finding(n, `PIDFILE should be "/var/run/$DAEMON.pid"`))
		}
	}
	if daemon == "" {
		out = append(out, finding(0, "DAEMON variable not defined"))
	} else if !regexp.MustCompile(`^S\d\d` + regexp.QuoteMeta(daemon) + `$`).MatchString(filepath.Base(name)) {
		out = append(out, finding(0, "filename should be S<NN>%s", daemon))
	}
	return out
}

// defconfigRules: only BR2_ options and comments; every file named under
// $(BR2_EXTERNAL_HOOKSWITCH_PATH) exists in this tree.
func defconfigRules(_ string, lines []string) []string {
	var out []string
	option := regexp.MustCompile(`^(BR2_[A-Za-z0-9_]+=.+|# BR2_[A-Za-z0-9_]+ is not set|#.*|)$`)
	path := regexp.MustCompile(`\$\(BR2_EXTERNAL_HOOKSWITCH_PATH\)/([^" ]+)`)
	for i, l := range lines {
		if !option.MatchString(l) {
			out = append(out, finding(i+1, "not a BR2_ option or comment"))
		}
		for _, m := range path.FindAllStringSubmatch(l, -1) {
			if _, err := os.Stat(m[1]); err != nil {
				out = append(out, finding(i+1, "%s does not exist", m[1]))
			}
		}
	}
	return out
}

// externalDescRules: name is [A-Za-z0-9_]+ (it becomes BR2_EXTERNAL_<name>_PATH).
func externalDescRules(_ string, lines []string) []string {
	var out []string
	keys := map[string]string{}
	for _, l := range lines {
		if k, v, ok := strings.Cut(l, ":"); ok {
			keys[k] = strings.TrimSpace(v)
		}
	}
	if !regexp.MustCompile(`^[A-Za-z0-9_]+$`).MatchString(keys["name"]) {
		out = append(out, finding(1, "name must match [A-Za-z0-9_]+"))
	}
	if d := keys["desc"]; d == "" || len(d) > 40 {
		out = append(out, finding(2, "desc must be 1 to 40 characters"))
	}
	return out
}

// rulesFor picks the rules check-package would apply to a file of the tree.
func rulesFor(path string) []rule {
	base := filepath.Base(path)
	switch {
	case strings.HasSuffix(base, ".mk") && strings.HasPrefix(path, "package/"):
		return []rule{commonRules, mkRules}
	case base == "Config.in" || strings.HasPrefix(base, "Config.in."):
		return []rule{commonRules, configRules}
	case strings.HasPrefix(path, "package/") && regexp.MustCompile(`^S\d\d`).MatchString(base):
		return []rule{commonRules, sysvRules}
	case strings.HasPrefix(path, "configs/") && strings.HasSuffix(base, "_defconfig"):
		return []rule{commonRules, defconfigRules}
	case base == "external.desc":
		return []rule{commonRules, externalDescRules}
	case base == "external.mk":
		return []rule{commonRules}
	}
	return nil
}

func readLines(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return lines
}

func TestTreePassesCheckPackageRules(t *testing.T) {
	checked := 0
	err := filepath.WalkDir(".", func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rules := rulesFor(path)
		if rules == nil {
			return nil
		}
		checked++
		lines := readLines(t, path)
		for _, r := range rules {
			for _, f := range r(path, lines) {
				t.Errorf("%s:%s", path, f)
			}
		}
		// Package files are installed by the .mk, never run from the tree.
		if fi, err := d.Info(); err == nil && strings.HasPrefix(path, "package/") && fi.Mode()&0o111 != 0 {
			t.Errorf("%s: should not be executable (install it with $(INSTALL) -D -m 0755)", path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 7 {
		t.Fatalf("only %d files checked: the tree is not where the test expects it", checked)
	}
}

func TestBoardScriptsAreExecutable(t *testing.T) {
	scripts, _ := filepath.Glob("board/hookswitch/common/*.sh")
	scripts2, _ := filepath.Glob("scripts/*.sh")
	for _, s := range append(scripts, scripts2...) {
		fi, err := os.Stat(s)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode()&0o100 == 0 {
			t.Errorf("%s: Buildroot and make run it directly, it must be executable", s)
		}
	}
}

// TestRulesCatchMistakes feeds each rule a known-bad input: a lint that
// passes everything proves nothing.
func TestRulesCatchMistakes(t *testing.T) {
	hashes := strings.Repeat("#", 80)
	goodMk := []string{hashes, "#", "# foo", "#", hashes, "", "FOO_VERSION = 1", "", "$(eval $(golang-package))"}
	tests := []struct {
		name  string
		rule  rule
		file  string
		lines []string
		want  string // substring of a finding; "" = no finding
	}{
		{"mk good", mkRules, "package/foo/foo.mk", goodMk, ""},
		{"mk short header", mkRules, "package/foo/foo.mk", append([]string{strings.Repeat("#", 79)}, goodMk[1:]...), "header line"},
		{"mk typo prefix", mkRules, "package/foo/foo.mk", append(append([]string{}, goodMk[:7]...), "FOOO_SITE = x", "", goodMk[8]), "expected prefix FOO_"},
		{"mk braces", mkRules, "package/foo/foo.mk", append(append([]string{}, goodMk[:7]...), "FOO_SITE = ${FOO_X}", "", goodMk[8]), "$()"},
		{"mk spaces in define", mkRules, "package/foo/foo.mk", append(append([]string{}, goodMk[:7]...), "define FOO_CMDS", "    true", "endef", "", goodMk[8]), "tabs"},
		{"mk eval not last", mkRules, "package/foo/foo.mk", append(append([]string{}, goodMk...), "FOO_X = 1"), "last line"},
		{"mk useless flag", mkRules, "package/foo/foo.mk", append(append([]string{}, goodMk[:7]...), "FOO_INSTALL_TARGET = YES", "", goodMk[8]), "useless"},
		{"config good", configRules, "Config.in", []string{"config BR2_PACKAGE_FOO", "\tbool \"foo\"", "\tdepends on BR2_X", "\thelp", "\t  Foo."}, ""},
		{"config spaces", configRules, "Config.in", []string{"config BR2_PACKAGE_FOO", "    bool \"foo\""}, "one tab"},
		{"config indented entry", configRules, "Config.in", []string{"\tconfig BR2_PACKAGE_FOO"}, "not be indented"},
		{"config order", configRules, "Config.in", []string{"config BR2_PACKAGE_FOO", "\tdepends on BR2_X", "\tbool \"foo\""}, "attributes order"},
		{"config long help", configRules, "Config.in", []string{"config BR2_PACKAGE_FOO", "\tbool \"foo\"", "\thelp", "\t  " + strings.Repeat("x", 63)}, "62"},
		{"config default n", configRules, "Config.in", []string{"config BR2_PACKAGE_FOO", "\tbool \"foo\"", "\tdefault n"}, "default to 'n'"},
		{"sysv good", sysvRules, "package/foo/S50food", []string{`DAEMON="food"`, `PIDFILE="/var/run/$DAEMON.pid"`, "start() {", "\ttrue", "}"}, ""},
		{"sysv path", sysvRules, "package/foo/S50food", []string{`DAEMON="/usr/bin/food"`}, "path in DAEMON"},
		{"sysv pidfile", sysvRules, "package/foo/S50food", []string{`DAEMON="food"`, `PIDFILE="/run/food.pid"`}, "PIDFILE"},
		{"sysv name", sysvRules, "package/foo/S50foo", []string{`DAEMON="food"`}, "filename"},
		{"sysv spaces", sysvRules, "package/foo/S50food", []string{`DAEMON="food"`, "start() {", "    true", "}"}, "tabs"},
		{"defconfig junk", defconfigRules, "configs/x_defconfig", []string{"BR2_aarch64=y", "aarch64=y"}, "not a BR2_ option"},
		{"defconfig missing file", defconfigRules, "configs/x_defconfig", []string{`BR2_ROOTFS_OVERLAY="$(BR2_EXTERNAL_HOOKSWITCH_PATH)/board/nope"`}, "does not exist"},
		{"desc bad name", externalDescRules, "external.desc", []string{"name: PBX-1", "desc: x"}, "name must"},
		{"common trailing space", commonRules, "x", []string{"a "}, "trailing"},
		{"common blank runs", commonRules, "x", []string{"a", "", "", "b"}, "consecutive"},
		{"common blank end", commonRules, "x", []string{"a", ""}, "end of file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := strings.Join(tt.rule(tt.file, tt.lines), "\n")
			if tt.want == "" && got != "" {
				t.Fatalf("unexpected findings:\n%s", got)
			}
			if tt.want != "" && !strings.Contains(got, tt.want) {
				t.Fatalf("want a finding with %q, got:\n%s", tt.want, got)
			}
		})
	}
}
