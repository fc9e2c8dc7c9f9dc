package api

import "github.com/tagwall/tagwall/internal/arm"

// The caller-identity types live in arm, so that authn (which implements
// Authenticator and lists subscriptions) needs no import of api; these
// aliases keep api's name for them. Subscription's alias is in config.go.
type (
	// Principal is arm.Principal: an authenticated caller.
	Principal = arm.Principal
	// Authenticator is arm.Authenticator: who sent a request.
	Authenticator = arm.Authenticator
	// StaticToken is arm.StaticToken: one bearer token, administrator of all.
	StaticToken = arm.StaticToken
)
