package ctl

import "strings"

// rotate: rotate log files now, through super.rotateLogs (issue 26). It is
// super's own command: not in 4.2's vocabulary, so `help` and completion
// list exactly 4.2's commands; `help rotate` explains it.

func init() {
	actions["rotate"] = (*controller).doRotate
	helpTexts["rotate"] = "rotate <name>\t\tRotate a process' log files now\n" +
		"rotate <gname>:*\tRotate the log files of every process in a group\n" +
		"rotate <name> <name>\tRotate the log files of several processes or groups\n" +
		"rotate all\t\tRotate every process' log files and the main log"
}

func (c *controller) doRotate(arg string) (bool, error) {
	if ok, err := c.upcheck(); !ok {
		return false, err
	}
	names := strings.Fields(arg)
	if len(names) == 0 {
		c.output("Error: rotate requires a process name")
		c.exit = exitGeneric
		c.helpTopic("rotate")
		return false, nil
	}
	if contains(names, "all") {
		names = []string{"all"}
	}
	for _, name := range names {
		v, err := c.call("super.rotateLogs", name)
		if err != nil {
			switch f, _ := asFault(err); {
			case faultCode(err) == faultUnknownMethod:
				c.output("rotate: the server does not rotate logs on demand (it is not super)")
				c.exit = exitGeneric
				return false, nil
			case faultCode(err) == faultBadName:
				c.output(name + ": ERROR (no such process)")
				c.setExitFromFault(f.Code, faultSuccess)
				continue
			}
			return false, err
		}
		if err := c.outputResults(v, rotateResult, faultSuccess); err != nil {
			return false, err
		}
	}
	return false, nil
}

func rotateResult(r result) (string, error) {
	name := namespec(r.Group, r.Name)
	if r.Group == "" {
		name = r.Name // the main log
	}
	switch r.Status {
	case faultSuccess:
		return name + ": rotated", nil
	case faultNoFile:
		return name + ": ERROR (no log file)", nil
	}
	return name + ": ERROR (" + r.Description + ")", nil
}
