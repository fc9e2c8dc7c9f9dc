package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const existingKubeconfig = `apiVersion: v1
clusters:
- cluster:
    server: https://other:6443
  name: other
- cluster:
    server: https://old-address:443
  name: myAKSCluster
contexts:
- context:
    cluster: other
    user: other-user
  name: other
current-context: other
kind: Config
users:
- name: other-user
  user:
    token: abc
`

func TestGetCredentialsMerge(t *testing.T) {
	tests := []struct {
		name      string
		existing  string // "" = no file
		suffixed  bool   // the server already names the admin context <cluster>-admin
		args      []string
		code      int
		stdoutHas string
		stderrHas string
		fileHas   []string
		fileLacks []string
	}{
		{name: "new file", args: nil, stdoutHas: `Merged "myAKSCluster" as current context in `,
			fileHas: []string{"current-context: myAKSCluster", "clusterUser_myResourceGroup_myAKSCluster"}},
		{name: "different same-named cluster refused", existing: existingKubeconfig, code: 1,
			stderrHas: "ERROR: A different object named myAKSCluster already exists in clusters in your kubeconfig file."},
		{name: "overwrite-existing replaces and keeps others", existing: existingKubeconfig, args: []string{"--overwrite-existing"},
			stdoutHas: `Merged "myAKSCluster" as current context`,
			fileHas:   []string{"name: other", "other-user", "current-context: myAKSCluster", "hcp.eastus.azmk8s.io"},
			fileLacks: []string{"old-address"}},
		{name: "admin context gets -admin", args: []string{"--admin"}, stdoutHas: `Merged "myAKSCluster-admin" as current context`,
			fileHas: []string{"current-context: myAKSCluster-admin", "clusterAdmin_myResourceGroup_myAKSCluster"}},
		{name: "admin context from a server that already added -admin", args: []string{"--admin"}, suffixed: true,
			stdoutHas: `Merged "myAKSCluster-admin" as current context`,
			fileHas:   []string{"current-context: myAKSCluster-admin"}, fileLacks: []string{"-admin-admin"}},
		{name: "--context renames", args: []string{"--context", "mine"}, stdoutHas: `Merged "mine" as current context`,
			fileHas: []string{"current-context: mine", "cluster: mine"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeARM(t)
			f.withCluster()
			f.adminSuffixed = tc.suffixed
			env := f.env(t)
			path := filepath.Join(t.TempDir(), "kube", "config")
			if tc.existing != "" {
				if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, []byte(tc.existing), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			args := append([]string{"aks", "get-credentials", "-g", "myResourceGroup", "-n", "myAKSCluster", "--file", path}, tc.args...)
			var o, e bytes.Buffer
			code := Run(env, args, &o, &e)
			if code != tc.code || !strings.Contains(o.String(), tc.stdoutHas) || !strings.Contains(e.String(), tc.stderrHas) {
				t.Fatalf("exit %d stdout %q stderr %q", code, o.String(), e.String())
			}
			b, _ := os.ReadFile(path)
			for _, s := range tc.fileHas {
				if !strings.Contains(string(b), s) {
					t.Errorf("kubeconfig lacks %q:\n%s", s, b)
				}
			}
			for _, s := range tc.fileLacks {
				if strings.Contains(string(b), s) {
					t.Errorf("kubeconfig still has %q:\n%s", s, b)
				}
			}
			if fi, err := os.Stat(path); err == nil && fi.Mode().Perm() != 0o600 {
				t.Errorf("mode %o", fi.Mode().Perm())
			}
		})
	}
}

func TestGetCredentialsDefaultPathIsHomeKubeConfig(t *testing.T) {
	f := newFakeARM(t)
	f.withCluster()
	env := f.env(t)
	var o, e bytes.Buffer
	if code := Run(env, []string{"aks", "get-credentials", "-g", "myResourceGroup", "-n", "myAKSCluster"}, &o, &e); code != 0 {
		t.Fatal(e.String())
	}
	want := filepath.Join(env.Home, ".kube", "config")
	if o.String() != "Merged \"myAKSCluster\" as current context in "+want+"\n" {
		t.Errorf("stdout %q", o.String())
	}
}

// TestRenameAdditionAdmin pins az's merge_kubernetes_configurations rule
// for admin contexts (az 2.45 acs/custom.py): "-admin" is appended once.
func TestRenameAdditionAdmin(t *testing.T) {
	tests := []struct {
		name, ctxName, cluster, user, context string
		want                                  string
	}{
		{name: "AKS shape", ctxName: "c", cluster: "c", user: "clusterAdmin_rg_c", want: "c-admin"},
		{name: "already suffixed by the server", ctxName: "c-admin", cluster: "c", user: "clusterAdmin_rg_c", want: "c-admin"},
		{name: "cluster named x-admin", ctxName: "x-admin", cluster: "x-admin", user: "clusterAdmin_rg_x-admin", want: "x-admin-admin"},
		{name: "user credentials unchanged", ctxName: "c", cluster: "c", user: "clusterUser_rg_c", want: "c"},
		{name: "--context then suffix", ctxName: "c", cluster: "c", user: "clusterAdmin_rg_c", context: "mine", want: "mine-admin"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			add := map[string]any{
				"clusters":        []any{map[string]any{"name": tc.cluster}},
				"contexts":        []any{map[string]any{"name": tc.ctxName, "context": map[string]any{"cluster": tc.cluster, "user": tc.user}}},
				"current-context": tc.ctxName,
			}
			renameAddition(add, tc.context)
			if got := add["current-context"]; got != tc.want {
				t.Errorf("current-context %v, want %s", got, tc.want)
			}
		})
	}
}
