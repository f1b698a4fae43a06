package cli

import (
	"crypto/rand"
	"encoding/hex"

	"github.com/spf13/cobra"
)

// nameSuffixHelp is --name-suffix's help, for run and the TUI.
const nameSuffixHelp = "append this to every exchange and queue name declared (results show the scenario's names); " +
	"default: a random suffix on a --url broker, so that runs of the same scenario by other people on it never collide, none on the embedded broker; \"\" for none"

// nameSuffix is what `warren run` and the TUI append to the exchange and
// queue names they declare: --name-suffix when given (even ""); else, on
// a broker named by --url or $AMQP_URL, which other people may be using,
// a random one ("-3fa9c1"), so that two runs of one scenario never share
// a queue (their consumers would compete) nor delete each other's
// exchanges when one ends; on the embedded broker of this process, none.
func (e *env) nameSuffix(cmd *cobra.Command) string {
	if f := cmd.Flags().Lookup("name-suffix"); f != nil && f.Changed {
		return f.Value.String()
	}
	if e.brokerURL(cmd) == "" {
		return ""
	}
	return randomNameSuffix()
}

func randomNameSuffix() string {
	var b [3]byte
	_, _ = rand.Read(b[:])
	return "-" + hex.EncodeToString(b[:])
}
