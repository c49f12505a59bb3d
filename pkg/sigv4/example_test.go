package sigv4_test

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/portico/portico/pkg/sigv4"
)

// The get-vanilla request of the AWS SigV4 test suite.
func ExampleVerifier_Verify() {
	v := &sigv4.Verifier{
		Lookup: func(id string) (sigv4.Credentials, bool) {
			if id != "AKIDEXAMPLE" {
				return sigv4.Credentials{}, false
			}
			return sigv4.Credentials{AccessKeyID: id, SecretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"}, true
		},
		Region: "us-east-1",
		Now:    func() time.Time { return time.Date(2015, 8, 30, 12, 38, 0, 0, time.UTC) },
	}
	r := &sigv4.Request{Method: "GET", RawPath: "/", Host: "example.amazonaws.com", Header: http.Header{
		"X-Amz-Date": {"20150830T123600Z"},
		"Authorization": {"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, " +
			"SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
	}}
	id, err := v.Verify(r)
	fmt.Println(id.AccessKeyID, id.Region, id.Service, err)

	r.Method = "POST"
	_, err = v.Verify(r)
	var e *sigv4.Error
	if errors.As(err, &e) {
		fmt.Println(e.Status, e.Type, e.Code)
	}
	// Output:
	// AKIDEXAMPLE us-east-1 service <nil>
	// 403 InvalidSignatureException INVALID_SIGNATURE
}
