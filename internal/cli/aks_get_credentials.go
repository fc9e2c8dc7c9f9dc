package cli

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"path/filepath"

	"github.com/spf13/cobra"
)

// aksGetCredentialsArgs are the flags of `aks get-credentials`.
type aksGetCredentialsArgs struct {
	clusterArgs
	file, context            string
	admin, overwriteExisting bool
}

func newAksGetCredentialsCmd(a *app) *cobra.Command {
	var args aksGetCredentialsArgs
	c := a.command(&cobra.Command{Use: "get-credentials", Short: "Merge the cluster's kubeconfig into a file"}, nil,
		func(ctx context.Context) (any, error) { return a.runAksGetCredentials(ctx, args) })
	clusterFlags(c, &args.clusterArgs)
	c.Flags().StringVarP(&args.file, "file", "f", "", `Kubeconfig file to update ("-" prints to stdout; default ~/.kube/config)`)
	c.Flags().BoolVarP(&args.admin, "admin", "a", false, "Get cluster administrator credentials")
	c.Flags().BoolVar(&args.overwriteExisting, "overwrite-existing", false, "Overwrite any existing entry with the same name")
	c.Flags().StringVar(&args.context, "context", "", "Use this context name instead of the cluster's")
	return c
}

// runAksGetCredentials is `aks get-credentials`: POST
// listClusterUserCredential (listClusterAdminCredential with --admin),
// then print the kubeconfig (--file -) or merge it into the file as az does.
func (a *app) runAksGetCredentials(ctx context.Context, args aksGetCredentialsArgs) (any, error) {
	if err := a.requireCluster(); err != nil {
		return nil, err
	}
	cl, err := a.client()
	if err != nil {
		return nil, err
	}
	op := "/listClusterUserCredential"
	if args.admin {
		op = "/listClusterAdminCredential"
	}
	r, err := cl.do(ctx, http.MethodPost, cl.url(clusterPath(cl, args.clusterArgs)+op, apiAKS), nil)
	if err != nil {
		return nil, err
	}
	v, err := r.decode()
	if err != nil {
		return nil, err
	}
	kcs, _ := lookupPath(v, "kubeconfigs").([]any)
	if len(kcs) == 0 {
		return nil, userError("No Kubernetes credentials found.")
	}
	enc, _ := lookupPath(kcs[0], "value").(string)
	raw, err := base64.StdEncoding.DecodeString(enc)
	if err != nil {
		return nil, userError("decode kubeconfig of %q: %v", args.name, err)
	}
	if args.file == "-" {
		_, err := a.stdout().Write(raw)
		return nil, err
	}
	path := args.file
	if path == "" {
		path = filepath.Join(a.env.Home, ".kube", "config")
	}
	ctxName, err := mergeKubeconfig(path, raw, args.overwriteExisting, args.context, a.warn)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(a.stdout(), "Merged \"%s\" as current context in %s\n", ctxName, path)
	return nil, nil
}
