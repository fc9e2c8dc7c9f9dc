package arm

import (
	"net/http"
	"net/url"
	"time"
)

// Operation statuses.
const (
	StatusInProgress = "InProgress"
	StatusSucceeded  = "Succeeded"
	StatusFailed     = "Failed"
	StatusCanceled   = "Canceled"
)

// OperationStatus is the body of GET …/locations/{loc}/operations/{id}.
type OperationStatus struct {
	ID        string     `json:"id,omitempty"`
	Name      string     `json:"name"`
	Status    string     `json:"status"`
	StartTime *time.Time `json:"startTime,omitempty"`
	EndTime   *time.Time `json:"endTime,omitempty"`
	Error     *Error     `json:"error,omitempty"`
}

// BaseURL returns "https://<host>" for the request (the scheme is https
// unless the request came in plain and carried no forwarding hint).
func BaseURL(r *http.Request) string {
	scheme := "https"
	if r.TLS == nil && r.Header.Get("X-Forwarded-Proto") == "http" {
		scheme = "http"
	}
	return scheme + "://" + r.Host
}

// OperationPath is the path of an async operation's status resource.
func OperationPath(sub, namespace, location, id string) string {
	return "/subscriptions/" + sub + "/providers/" + namespace + "/locations/" + location + "/operations/" + id
}

// OperationResultPath is the path of an operation's Location-style result.
func OperationResultPath(sub, namespace, location, id string) string {
	return "/subscriptions/" + sub + "/providers/" + namespace + "/locations/" + location + "/operationresults/" + id
}

// WithAPIVersion appends ?api-version=v to u.
func WithAPIVersion(u, v string) string {
	return u + "?api-version=" + url.QueryEscape(v)
}

// SetAsyncHeaders sets Azure-AsyncOperation (and Location when loc is not
// empty) with Retry-After: 1.
func SetAsyncHeaders(w http.ResponseWriter, asyncURL, locURL string) {
	w.Header().Set("Azure-AsyncOperation", asyncURL)
	if locURL != "" {
		w.Header().Set("Location", locURL)
	}
	w.Header().Set("Retry-After", "1")
}
