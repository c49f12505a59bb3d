// Package sigv4 verifies AWS Signature Version 4 requests, both the
// Authorization-header form and the presigned (query-string) form.
//
// The AWS SDKs can sign but not verify; this package is the server side. It is
// neutral of net/http and fasthttp: callers describe a request with [Request]
// ([FromHTTP] builds one from a *http.Request; the fasthttp edge fills the
// fields itself, with [Request.HeaderValues] to avoid copying headers).
//
// The verifier follows the client's SignedHeaders: it never re-signs with a
// header set of its own, so requests signed by aws-sdk-go-v2, botocore, curl
// --aws-sigv4 and other signers verify alike. The canonical request is built as
// AWS does for services other than S3 (the escaped path is URI-encoded again,
// query pairs are decoded, RFC 3986-encoded and sorted by key then value).
// Where well-known signers differ, a few alternative canonical forms are
// tried after the standard one failed, and only forms that cannot make one
// request's signature cover another: the query pairs as sent (botocore signing
// a prepared URL), header values with tabs folded (botocore, curl), and, when
// Verifier.AllowNormalizedPath is set, the path with dot segments and
// duplicate slashes removed (botocore).
//
// Failures are returned as *[Error], carrying the HTTP status, the AWS error
// type and message as AWS writes them, and the API Gateway gateway-response
// type the edge should render.
//
// Bounds: Authorization header ≤ [MaxAuthorizationLen] bytes, ≤
// [MaxSignedHeaders] signed headers, ≤ [MaxQueryParams] query parameters, path
// ≤ [MaxPathLen] and query ≤ [MaxQueryLen] bytes, canonical headers ≤
// [MaxCanonicalHeadersLen] bytes, presigned X-Amz-Expires ≤ 7 days. A request
// over a bound is refused with an IncompleteSignatureException, never a panic.
package sigv4
