package difftest

import "testing"

// TestEmbeddedErrorsMatchModel provokes on the embedded broker the errors
// TestErrorsMatchRabbitMQ provokes on RabbitMQ, and holds their codes and
// texts to the model at the embedded broker's version.
func TestEmbeddedErrorsMatchModel(t *testing.T) {
	url, _ := startEmbedded(t)
	o, err := Dial(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { o.Close() })
	checkErrors(t, o, url)
}
