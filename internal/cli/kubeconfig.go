package cli

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

// mergeKubeconfig is az's merge_kubernetes_configurations: clusters, users
// and contexts of addition replace same-named entries only when identical
// or overwrite is set (else an error), the admin context gets "-admin",
// current-context moves to the addition's, and the file is written as
// yaml.safe_dump would (mode 0600 when created). It returns the new
// current context.
func mergeKubeconfig(path string, addition []byte, overwrite bool, contextName string, warn func(string, ...any)) (string, error) {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return "", userError("create %s: %v", dir, err)
		}
	}
	fh, err := os.OpenFile(path, os.O_CREATE|os.O_RDONLY, 0o600)
	if err != nil {
		return "", userError("open %s: %v", path, err)
	}
	fh.Close()
	existing, err := loadKubeconfig(path)
	if err != nil {
		return "", err
	}
	add, err := parseKubeconfig(addition, "the cluster's kubeconfig")
	if err != nil {
		return "", err
	}
	if add == nil {
		return "", userError("failed to load additional configuration from the server")
	}
	renameAddition(add, contextName)
	if existing == nil {
		existing = add
	} else {
		for _, key := range []string{"clusters", "users", "contexts"} {
			if err := mergeNamed(existing, add, key, overwrite); err != nil {
				return "", err
			}
		}
		existing["current-context"] = add["current-context"]
	}
	if fi, err := os.Lstat(path); err == nil && fi.Mode().Perm()&0o077 != 0 {
		warn("%s has permissions \"%o\".\nIt should be readable and writable only by its owner.", path, fi.Mode().Perm())
	}
	var b bytes.Buffer
	if err := writeYAML(&b, existing); err != nil {
		return "", err
	}
	if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
		return "", userError("write %s: %v", path, err)
	}
	cur, _ := add["current-context"].(string)
	if cur == "" {
		cur = "UNKNOWN"
	}
	return cur, nil
}

func loadKubeconfig(path string) (map[string]any, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, userError("%s does not exist", path)
	}
	return parseKubeconfig(b, path)
}

// parseKubeconfig decodes YAML into JSON-like maps; an empty document is nil.
func parseKubeconfig(b []byte, name string) (map[string]any, error) {
	var v any
	if err := yaml.Unmarshal(b, &v); err != nil && !errors.Is(err, io.EOF) {
		return nil, userError("Error parsing %s (%v)", name, err)
	}
	if v == nil {
		return nil, nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, userError("Error parsing %s (not a mapping)", name)
	}
	return m, nil
}

// renameAddition applies --context and az's "-admin" suffix for admin users.
//
// AKS names the admin kubeconfig's context after the cluster and az
// appends "-admin" (merge_kubernetes_configurations), giving
// "<cluster>-admin". A server that has already appended it (tagwall's,
// before issue 13) is recognised by a context named "<its cluster>-admin"
// and not suffixed twice; a cluster whose own name ends in "-admin" still
// gets az's suffix, as in az.
func renameAddition(add map[string]any, contextName string) {
	ctxs, _ := add["contexts"].([]any)
	if contextName != "" && len(ctxs) > 0 {
		if ctx, ok := ctxs[0].(map[string]any); ok {
			ctx["name"] = contextName
			if inner, ok := ctx["context"].(map[string]any); ok {
				inner["cluster"] = contextName
			}
		}
		if cls, _ := add["clusters"].([]any); len(cls) > 0 {
			if cm, ok := cls[0].(map[string]any); ok {
				cm["name"] = contextName
			}
		}
		add["current-context"] = contextName
	}
	for _, c := range ctxs {
		ctx, _ := c.(map[string]any)
		user, _ := lookupPath(ctx, "context.user").(string)
		if strings.HasPrefix(user, "clusterAdmin") {
			name, _ := ctx["name"].(string)
			cluster, _ := lookupPath(ctx, "context.cluster").(string)
			if cluster == "" || name != cluster+"-admin" {
				ctx["name"] = name + "-admin"
			}
			add["current-context"] = ctx["name"]
			break
		}
	}
}

// mergeNamed is az's _handle_merge for one list key.
func mergeNamed(existing, add map[string]any, key string, replace bool) error {
	adds, _ := add[key].([]any)
	if len(adds) == 0 {
		return nil
	}
	cur, _ := existing[key].([]any)
	if len(cur) == 0 {
		existing[key] = adds
		return nil
	}
	for _, i := range adds {
		im, _ := i.(map[string]any)
		iname, _ := im["name"].(string)
		kept := cur[:0:0]
		for _, j := range cur {
			jm, _ := j.(map[string]any)
			jname, _ := jm["name"].(string)
			if iname != "" && jname != "" && iname == jname {
				if !replace && !reflect.DeepEqual(im, jm) {
					return userError("A different object named %s already exists in %s in your kubeconfig file.", iname, key)
				}
				continue
			}
			kept = append(kept, j)
		}
		cur = append(kept, i)
	}
	existing[key] = cur
	return nil
}
