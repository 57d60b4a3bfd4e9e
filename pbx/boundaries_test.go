package pbx_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestImportBoundaries keeps DESIGN.md's ownership rules: drivers know chips,
// hal knows lines, board knows wiring, pbx knows only hal; only cmd sees all.
func TestImportBoundaries(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}} {{join .Imports " "}}`, "github.com/hookswitch/hookswitch/...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	const mod = "github.com/hookswitch/hookswitch/"
	rules := []struct {
		pkg       string // package path prefix, below the module
		forbidden []string
	}{
		{"pbx", []string{mod + "hal/sim", mod + "drivers", mod + "board", mod + "cmd", "periph.io/x/host"}},
		{"hal", []string{mod + "pbx", mod + "board", mod + "cmd", "periph.io/x/host"}},
		{"drivers", []string{mod + "pbx", mod + "hal", mod + "board", mod + "cmd", "periph.io/x/host"}},
		{"board", []string{mod + "pbx", mod + "cmd"}},
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		pkg := strings.TrimPrefix(f[0], mod)
		for _, r := range rules {
			if pkg != r.pkg && !strings.HasPrefix(pkg, r.pkg+"/") {
				continue
			}
			for _, imp := range f[1:] {
				for _, bad := range r.forbidden {
					if imp == bad || strings.HasPrefix(imp, bad+"/") {
						t.Errorf("%s imports %s", pkg, imp)
					}
				}
			}
		}
	}
}
