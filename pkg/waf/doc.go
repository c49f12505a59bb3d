// Package waf models AWS WAFv2 web ACLs and IP sets (their JSON is the WAFv2 JSON 1.1 protocol's,
// so the AWS CLI's requests decode into these types) and evaluates compiled web ACLs against
// requests at the edge.
//
// The lifecycle: decode a WebACL, Validate it (a *ValidationError carries AWS's field enum, the
// offending value and a reason), Compile it with the IP sets it refers to, then call
// Program.Evaluate per request; a Program is immutable and safe for concurrent use.
//
// Supported:
//   - Statements: ByteMatchStatement (EXACTLY, STARTS_WITH, ENDS_WITH, CONTAINS, CONTAINS_WORD;
//     case-sensitive, as AWS: use LOWERCASE with a lower-case SearchString), RegexMatchStatement
//     (Go RE2 syntax), SizeConstraintStatement, IPSetReferenceStatement (with
//     IPSetForwardedIPConfig FIRST, LAST or ANY — ANY inspects the last 10 addresses),
//     AndStatement, OrStatement, NotStatement and LabelMatchStatement.
//   - FieldToMatch: UriPath (raw, undecoded), QueryString (raw), Method, SingleHeader,
//     SingleQueryArgument (name compared case-insensitively without decoding; every occurrence is
//     inspected), AllQueryArguments (any value matches), Body (first 8 KiB; OversizeHandling
//     CONTINUE inspects those, MATCH and NO_MATCH decide). An absent header or query argument
//     does not match. Query argument values are inspected raw: add URL_DECODE to decode them.
//   - Text transformations, applied in ascending Priority: NONE, LOWERCASE, UPPERCASE,
//     URL_DECODE, URL_DECODE_UNI (also %uXXXX), COMPRESS_WHITE_SPACE, HTML_ENTITY_DECODE (quot,
//     amp, lt, gt, nbsp, apos and numeric references), BASE64_DECODE, BASE64_DECODE_EXT,
//     HEX_DECODE, REMOVE_NULLS, REPLACE_NULLS, TRIM, TRIM_LEFT, TRIM_RIGHT, REMOVE_WHITESPACE,
//     CMD_LINE.
//   - Actions: Allow and Block stop evaluation, Count records the match and continues; Block may
//     carry a CustomResponse (status 200–599, headers, a body from CustomResponseBodies).
//   - Labels: a matching rule adds its RuleLabels prefixed with the web ACL's LabelNamespace; a
//     LabelMatchStatement key starting with "awswaf:" is fully qualified, any other key is matched
//     within the web ACL's own namespace (LABEL: the label ends with the key on a ':' boundary;
//     NAMESPACE: the key appears on ':' boundaries in the label's namespaces).
//
// Rejected by Validate with "… is not supported by Portico": RateBasedStatement,
// SqliMatchStatement, XssMatchStatement, ManagedRuleGroupStatement, RuleGroupReferenceStatement,
// RegexPatternSetReferenceStatement, AsnMatchStatement, GeoMatchStatement (no geolocation
// database), the fields Cookies, JsonBody, Headers, HeaderOrder, JA3Fingerprint, JA4Fingerprint
// and UriFragment, the transformations MD5, SHA256, REPLACE_COMMENTS, ESCAPE_SEQ_DECODE,
// SQL_HEX_DECODE, CSS_DECODE, JS_DECODE, JS_DECODE_EXT, NORMALIZE_PATH, NORMALIZE_PATH_WIN,
// UTF8_TO_UNICODE, REMOVE_COMMENTS_CHAR, CMD_LINE_WIN and CMD_LINE_UNIX, the Captcha and
// Challenge actions, CustomRequestHandling and OverrideAction.
//
// Every size and count is bounded (see the Max constants). ComputeCapacity is an estimate of
// AWS's WCUs, not AWS's own computation. VisibilityConfig is validated when present and
// otherwise ignored.
package waf
