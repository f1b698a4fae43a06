package cli

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/warrenmq/warren/scenarios"
)

func newListCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List the built-in scenarios, one a line: name and title",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			for _, sc := range scenarios.Builtins() {
				fmt.Fprintf(w, "%s\t%s\n", sc.Name, sc.Title)
			}
			return w.Flush()
		},
	}
}
