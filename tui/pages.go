package tui

import (
	"context"
	"strings"

	"github.com/rivo/tview"

	"github.com/warrenmq/warren/scenarios"
)

// The pages over the main one: the scenario list (l, and at start when
// none is chosen), the chosen scenario's about text (i, and whenever a
// scenario opens) and the help (?). They run on the event loop.

// overlay puts p in the middle of the screen, at most width x height.
func overlay(p tview.Primitive, width, height int) tview.Primitive {
	return tview.NewFlex().
		AddItem(nil, 0, 1, false).
		AddItem(tview.NewFlex().SetDirection(tview.FlexRow).
			AddItem(nil, 0, 1, false).
			AddItem(p, height, 1, true).
			AddItem(nil, 0, 1, false), width, 1, true).
		AddItem(nil, 0, 1, false)
}

// frontPage is the name of the page on top.
func (a *App) frontPage() string {
	name, _ := a.ui.pages.GetFrontPage()
	return name
}

// showPage shows an overlay page with p focused, sized to the screen.
func (a *App) showPage(name string, p tview.Primitive, width, height int) {
	sw, sh := a.ui.screenW, a.ui.screenH
	if sw > 0 {
		width = min(width, sw)
	}
	if sh > 2 {
		height = min(height, sh-1)
	}
	if front := a.frontPage(); front == pageMain || front == diagramPageName {
		a.ui.lastFocus = a.app.GetFocus()
	}
	a.ui.pages.AddPage(name, overlay(p, width, height), true, true)
	a.app.SetFocus(p)
}

// closePage hides the page on top and gives the focus back.
func (a *App) closePage() {
	name := a.frontPage()
	if name == pageMain || name == flowPageName {
		return
	}
	a.ui.pages.RemovePage(name)
	if front := a.frontPage(); (front == pageMain || front == diagramPageName) && a.ui.lastFocus != nil {
		a.app.SetFocus(a.ui.lastFocus)
	}
}

// showScenarios opens the scenario list.
func (a *App) showScenarios() {
	if a.frontPage() == pageScenarios {
		a.closePage()
		return
	}
	a.closePage()
	h := 2*len(a.cfg.Scenarios) + 2
	wd := 20
	for _, sc := range a.cfg.Scenarios {
		wd = max(wd, width(sc.Name)+4, width(sc.Title)+6)
	}
	a.showPage(pageScenarios, a.ui.scenarios, max(wd, 60), h)
}

// choose declares sc (on the worker) and shows what it is about.
func (a *App) choose(sc *scenarios.Scenario) {
	a.submit("choose "+sc.Name, func(ctx context.Context) { a.doChoose(ctx, sc) })
	if a.frontPage() == pageScenarios {
		a.closePage()
	}
	if sc.Name != flowScenario {
		a.showAbout(sc)
	}
}

func (a *App) chooseSelected() {
	i := a.ui.scenarios.GetCurrentItem()
	if i < 0 || i >= len(a.cfg.Scenarios) {
		return
	}
	a.choose(&a.cfg.Scenarios[i])
}

// showAbout opens the about page of sc (nil: the chosen scenario).
func (a *App) showAbout(sc *scenarios.Scenario) {
	if sc == nil {
		a.m.mu.Lock()
		sc = a.m.scenario
		a.m.mu.Unlock()
	}
	if a.frontPage() == pageAbout {
		a.closePage()
		return
	}
	a.closePage()
	if sc == nil {
		a.showScenarios()
		return
	}
	sw, sh := a.ui.screenW, a.ui.screenH
	wd := min(max(sw, 40), 84)
	lines := []string{"[::b]" + tview.Escape(sc.Title) + "[::-]", ""}
	if about := strings.TrimSpace(sc.About); about != "" {
		lines = append(lines, wrapParagraphs(about, wd-2)...)
		lines = append(lines, "")
	}
	lines = append(lines, wrapPlain("[aqua]", aboutKeys(len(sc.Steps)), wd-2, 0)...)
	a.ui.about.title = "About " + tview.Escape(sc.Name) + " (i, Esc or Enter closes)"
	a.ui.about.setLines(lines)
	a.ui.about.offset = 0
	a.showPage(pageAbout, a.ui.about, wd, min(len(lines)+3, max(sh, 6)))
}

func aboutKeys(steps int) string {
	if steps == 0 {
		return "p publishes a message of your own. i shows this again, ? every key and mark, l the scenarios."
	}
	return "s plays the next step, S all the rest (as warren run does), p publishes a message of your own, b goes back a step, Q plays it as a quiz (predict, then reveal). i shows this again, ? every key and mark, l the scenarios."
}

// showHelp toggles the help page generated from the key table.
func (a *App) showHelp() {
	if a.frontPage() == pageHelp {
		a.closePage()
		return
	}
	a.closePage()
	lines := a.helpLines(62)
	a.ui.help.setLines(lines)
	a.ui.help.offset = 0
	a.showPage(pageHelp, a.ui.help, 66, len(lines)+3)
}

func (a *App) helpShown() bool { return a.frontPage() == pageHelp }
