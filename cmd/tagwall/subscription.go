package main

import (
	"fmt"
	"net/http"

	"github.com/spf13/cobra"

	"github.com/tagwall/tagwall/internal/authn"
)

func newSubscriptionCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "subscription",
		Short: "Subscriptions of the running server (az login lists them)",
	}
	cmd.AddCommand(newSubscriptionCreateCmd(), newSubscriptionListCmd())
	return cmd
}

func newSubscriptionCreateCmd() *cobra.Command {
	var cfg, name, id string
	cmd := &cobra.Command{
		Use:   "create",
		Short: "Create a subscription (a new GUID unless --id is given)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := newAdminClient(cfg)
			if err != nil {
				return err
			}
			var out authn.SubscriptionBody
			req := authn.CreateSubscriptionRequest{SubscriptionID: id, DisplayName: name}
			if err := c.do(http.MethodPost, "/tagwall/subscriptions", req, &out); err != nil {
				return fmt.Errorf("create subscription %q: %w", name, err)
			}
			return printJSON(cmd.OutOrStdout(), out)
		},
	}
	configFlag(cmd, &cfg)
	cmd.Flags().StringVarP(&name, "name", "n", "", "display name (default tagwall-<first 8 of the id>)")
	cmd.Flags().StringVar(&id, "id", "", "subscription id, a GUID (default: a new one)")
	return cmd
}

func newSubscriptionListCmd() *cobra.Command {
	return newAdminListCmd[authn.SubscriptionBody]("List subscriptions", "/tagwall/subscriptions", "subscriptions")
}
