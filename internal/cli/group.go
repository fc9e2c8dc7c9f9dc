package cli

import "github.com/spf13/cobra"

var groupSchema = &schema{
	fields:   []string{"id", "location", "managedBy", "name", "properties", "tags", "type"},
	children: map[string]*schema{"properties": {fields: []string{"provisioningState"}}},
	raw:      map[string]bool{"tags": true},
}

var groupTable = columns("Name=name", "Location=location", "Status=properties.provisioningState")

// groupNameFlag adds --name/-n and its alias --resource-group/-g.
func groupNameFlag(c *cobra.Command, name *string) {
	c.Flags().StringVarP(name, "name", "n", "", "Name of the resource group")
	c.Flags().StringVarP(name, "resource-group", "g", "", "Name of the resource group")
}

func groupPath(cl *client, name string) string { return cl.sub() + "/resourcegroups/" + name }

// errGroupName is az's message when neither --name nor --resource-group is given.
var errGroupName = usage("the following arguments are required: --name/--resource-group/-n/-g")

// errNoTTYConfirm is az's answer when a confirmation prompt cannot be
// shown; tagwall never prompts, so --yes is required.
var errNoTTYConfirm = userError("Unable to prompt for confirmation as no tty available. Use --yes.")
