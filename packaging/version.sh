#!/bin/sh
# Prints the version of super being built, from `git describe`:
#   on tag v1.2.3                  1.2.3
#   4 commits after it             1.2.3-4-gabc1234
#   no v* tag yet (N commits)      0.1.0-dev-N-gabc1234   (0.1.0: core/version's own)
#   uncommitted changes            ...-dirty
#   not a git checkout             core/version's own, e.g. 0.1.0-dev
# With --deb, the same as a Debian version (no "-"; "~dev" sorts before
# the release): 1.2.3, 1.2.3+4.gabc1234, 0.1.0~dev+N.gabc1234, ...+dirty.
set -eu
cd "$(dirname "$0")/.."

own=$(sed -n 's/^var Super = "\(.*\)"$/\1/p' core/version/version.go)
if v=$(git describe --tags --match 'v[0-9]*' --dirty 2>/dev/null); then
	v=${v#v}
elif h=$(git describe --always --dirty 2>/dev/null); then
	n=$(git rev-list --count HEAD)
	v="${own%-dev}-dev-$n-g$h"
else
	v=$own
fi

if [ "${1:-}" = --deb ]; then
	printf '%s\n' "$v" | sed -e 's/-dev-\([0-9]*\)-g/~dev+\1.g/' -e 's/-dev$/~dev/' \
		-e 's/-\([0-9]*\)-g/+\1.g/' -e 's/-dirty$/+dirty/'
else
	printf '%s\n' "$v"
fi
