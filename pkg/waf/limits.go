package waf

// Bounds on what a web ACL, an IP set and an evaluation may hold. Where AWS documents a quota,
// the bound is AWS's.
const (
	MaxRules                 = 100   // rules per web ACL
	MaxDepth                 = 20    // statement nesting depth
	MaxStatements            = 1000  // statements per web ACL, nested ones included
	MaxNested                = 100   // statements directly inside one And/Or statement
	MaxSearchString          = 200   // bytes of a ByteMatchStatement SearchString
	MaxRegex                 = 512   // characters of a RegexString
	MaxTransformations       = 10    // text transformations per statement
	MaxRuleLabels            = 100   // RuleLabels per rule
	MaxLabelLen              = 1024  // characters of a label name or label match key
	MaxNameLen               = 128   // characters of a web ACL, IP set, rule or body key name
	MaxDescriptionLen        = 256   // characters of a description
	MaxFieldNameLen          = 64    // characters of a SingleHeader or SingleQueryArgument name
	MaxIPSetAddresses        = 10000 // addresses per IP set
	MaxCustomBodies          = 50    // CustomResponseBodies per web ACL
	MaxCustomBodyLen         = 4096  // bytes of one custom response body
	MaxCustomHeaders         = 10    // headers of one custom response
	MaxHeaderValueLen        = 255   // characters of a custom response header value
	MaxForwardedIPs          = 10    // addresses inspected by Position ANY (the last ones)
	MaxSize                  = 21474836480
	BodyInspectionLimit      = 8 * 1024 // bytes of the body inspected, AWS's regional default
	maxForwardedHeaderLength = 255
)
