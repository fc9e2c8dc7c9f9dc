// Package arm is the Azure Resource Manager plumbing tagwall's control plane
// speaks through: resource IDs (ParseResourceID, ResourceID.String), the error
// envelope {"error":{"code","message","target","details"}} and the one point
// that translates Go errors into it (WriteError), api-version checking
// (CheckAPIVersion), request checks (CheckContentType, CheckHeaders,
// ReadJSON's one-object rule), safe quoting of client text in messages
// (Printable), the URLs and body of asynchronous operations, and small
// JSON helpers.
//
// WriteError maps *Error as given, *rangespec.Error (alone or joined) to 400
// with the rule's code and message, store sentinels to 404/409, and anything
// else to 500 InternalServerError with a generic message while the full error
// is logged. Nothing here keeps state; every function is safe for concurrent
// use.
//
// The caller-identity types are here too (identity.go): Principal,
// Authenticator, StaticToken and Subscription, shared by api (which
// authorizes with them; it keeps aliases of the same names) and authn
// (which implements Authenticator), so authn does not import api.
package arm
