// Package armthrottle is Azure Resource Manager's request throttle: the
// token buckets ARM applies, since 2024, to every authenticated request
// before it reaches a resource provider.
//
// Contract (learn.microsoft.com, azure-resource-manager/management/
// request-limits-and-throttling, "Regional throttling and token bucket
// algorithm"):
//
//   - A request is a read (GET, HEAD), a delete (DELETE) or a write
//     (anything else: PUT, PATCH, POST).
//   - Subscription requests take one token from the bucket of (subscription,
//     principal, kind) and one from the subscription's global bucket of that
//     kind, whose size and refill are GlobalFactor (15) times a principal's;
//     tenant requests (no subscription) take one from (principal, kind).
//   - Azure's buckets: reads 250 refilled at 25 per second, writes and
//     deletes 200 refilled at 10 per second (Azure).
//   - A request that finds either bucket empty is refused and takes nothing:
//     Take reports how long until a token is back (the Retry-After), and the
//     caller answers 429 SubscriptionRequestsThrottled.
//   - Take reports the tokens left after it (ARM's x-ms-ratelimit-remaining-
//     headers).
//
// Buckets are per Throttle (per replica: ARM's are per region, so a fleet of
// N replicas admits up to N times a bucket, as N regions would). The number
// of buckets is bounded (MaxBuckets): keys come from authenticated
// principals and the subscriptions they may use, but an administrator's
// token may name any subscription. When the bound is reached, buckets that
// are full (they carry no state: a new one would be the same) are dropped
// first; if that frees too little, arbitrary buckets are dropped, which can
// only hand their owners tokens back early. Dropped buckets are counted.
//
// A Throttle is safe for concurrent use; Take is one map lookup per bucket
// under one mutex (ARM request rates, not connection rates). Buckets are
// integer GCRA (the time each is full again), not golang.org/x/time/rate:
// x/time/rate's float tokens read 0.99999… after an exact drain and
// refill (TestAgainstReference, an exact reference, caught it), and
// BenchmarkTake / BenchmarkTakeXRate compare the two on the same work.
package armthrottle
