package cli

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// camel turns "aks nodepool list" into "AksNodepoolList".
func camel(path string) string {
	var b strings.Builder
	for _, w := range strings.FieldsFunc(path, func(r rune) bool { return r == ' ' || r == '-' }) {
		b.WriteString(strings.ToUpper(w[:1]) + w[1:])
	}
	return b.String()
}

// TestOneFilePerCommand checks the layout docs/cli.md promises: every
// command of commandList lives in <path>.go with its args struct,
// constructor and typed run function, and is reachable in the tree.
func TestOneFilePerCommand(t *testing.T) {
	for _, e := range commandList {
		t.Run(e.path, func(t *testing.T) {
			file := strings.NewReplacer(" ", "_", "-", "_").Replace(e.path) + ".go"
			b, err := os.ReadFile(file)
			if err != nil {
				t.Fatalf("command %q: %v", e.path, err)
			}
			name := camel(e.path)
			run := regexp.MustCompile(`func \(a \*app\) run` + name + `\((ctx|_) context\.Context, (args|_) ` + strings.ToLower(name[:1]) + name[1:] + `Args\)`)
			if !run.Match(b) {
				t.Errorf("%s lacks the typed run function %s", file, run)
			}
			for _, want := range []string{
				"func new" + name + "Cmd(a *app) *cobra.Command",
				"func (a *app) run" + name + "(",
				"type " + strings.ToLower(name[:1]) + name[1:] + "Args ",
			} {
				if !strings.Contains(string(b), want) {
					t.Errorf("%s lacks %q", file, want)
				}
			}
			parent, last := splitPath(e.path)
			g := Command(Env{}, strings.Fields(e.path)[0])
			c, _, err := g.Root().Find(strings.Fields(e.path)[1:])
			if err != nil || c.Name() != last || c.Parent().CommandPath() != parent {
				t.Errorf("%q not in the tree: found %q (%v)", e.path, c.CommandPath(), err)
			}
		})
	}
}

// TestNoInitRegistration: commands are registered only from commandList.
func TestNoInitRegistration(t *testing.T) {
	initFunc := regexp.MustCompile(`(?m)^func init\(\)`)
	files, _ := filepath.Glob("*.go")
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if initFunc.Match(b) {
			t.Errorf("%s has an init function", f)
		}
	}
}
