package wire_test

import (
	"bytes"
	"fmt"

	"github.com/warrenmq/warren/sandbox/broker/wire"
)

// A publish as a client sends it, read back the way a broker reads it.
func Example() {
	var conn bytes.Buffer // stands in for a net.Conn
	w := wire.NewWriter(&conn)
	_ = w.WriteMethod(1, &wire.BasicPublish{Exchange: "amq.topic", RoutingKey: "stock.nyse.ibm"})
	_ = w.WriteContent(1, 60, wire.Properties{ContentType: "text/plain", DeliveryMode: 2}, []byte("IBM 144.20"), 131072)
	_ = w.Flush()

	r := wire.NewReader(&conn, 131072)
	f, _ := r.ReadFrame()
	m, _ := wire.ParseMethod(f.Payload)
	pub := m.(*wire.BasicPublish)
	fmt.Printf("%s on channel %d to %q with key %q\n", m.Name(), f.Channel, pub.Exchange, pub.RoutingKey)

	h, _ := r.ReadFrame()
	_, size, props, _ := wire.ParseContentHeader(h.Payload)
	body, _ := r.ReadFrame()
	fmt.Printf("%d bytes of %s, delivery mode %d: %s\n", size, props.ContentType, props.DeliveryMode, body.Payload)

	// A frame larger than the negotiated frame_max closes the connection.
	big := wire.NewWriter(&conn)
	_ = big.WriteFrame(wire.Frame{Type: wire.FrameBody, Channel: 1, Payload: make([]byte, 5000)})
	_ = big.Flush()
	r.SetFrameMax(wire.FrameMinSize)
	_, err := r.ReadFrame()
	fmt.Println(err)
	// Output:
	// basic.publish on channel 1 to "amq.topic" with key "stock.nyse.ibm"
	// 10 bytes of text/plain, delivery mode 2: IBM 144.20
	// 501 FRAME_ERROR - type 3, all octets = <<>>: {frame_too_large,5000,4088}
}
