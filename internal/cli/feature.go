package cli

// featureSchema is the fields az prints for a FeatureResult.
var featureSchema = &schema{
	fields:   []string{"id", "name", "properties", "type"},
	children: map[string]*schema{"properties": {fields: []string{"state"}}},
}

var featureTable = columns("Name=name", "RegistrationState=properties.state")

// featureArgs names one feature: --namespace and --name.
type featureArgs struct {
	namespace, name string
}

func featurePath(cl *client, f featureArgs) string {
	return cl.sub() + "/providers/Microsoft.Features/providers/" + f.namespace + "/features/" + f.name
}

// Texts of az's register_feature and unregister_feature (azure-cli
// 2.45 command_modules/resource/custom.py), logged BEFORE the call, so
// they are printed also when the call fails. tagwall quotes az verbatim,
// 'az provider register' included (issue 13: say what Azure says).
const (
	msgFeatureRegistered   = "Once the feature '%s' is registered, invoking 'az provider register -n %s' is required to get the change propagated"
	msgFeatureUnregistered = "Once the feature '%s' is unregistered, invoking 'az provider register -n %s' is required to get the change propagated"
)
