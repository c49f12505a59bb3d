package vtl_test

import (
	"context"
	"fmt"

	"github.com/portico/portico/pkg/vtl"
)

func Example() {
	// Compile once, when the deployment is loaded...
	t, err := vtl.Compile(`#set($body = $input.path('$'))
{
  "user": "$util.escapeJavaScript($body.name)",
  "id": "$input.params('id')",
  "stage": "$context.stage"
}
#set($context.responseOverride.status = 201)`)
	if err != nil {
		panic(err)
	}
	// ...and execute per request, from any number of goroutines.
	out, ov, err := t.Render(context.Background(), &vtl.Vars{
		Body:    []byte(`{"name": "O'Brien"}`),
		Path:    map[string]string{"id": "7"},
		Context: map[string]any{"stage": "prod"},
	})
	if err != nil {
		panic(err)
	}
	fmt.Print(out)
	fmt.Println(ov.ResponseStatus)
	// Output:
	// {
	//   "user": "O\'Brien",
	//   "id": "7",
	//   "stage": "prod"
	// }
	// 201
}
