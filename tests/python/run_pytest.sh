#!/bin/bash
# The Python bindings' tests (python/tests), against the package as pip
# installs it: python/ is copied to a scratch folder, installed there with
# `pip install --no-build-isolation --no-index --target` (Debian's
# setuptools, no network), and pytest runs on the installed copy with
# libvmsim.so from the build.
# Usage: run_pytest.sh PYTHON LIBVMSIM.SO SOURCE-ROOT
# Exit 77 (skipped) when the host has no python3 with pytest, pip and setuptools.
set -euo pipefail
py=$1 lib=$2 root=$3
if [ -z "$py" ] || ! command -v "$py" >/dev/null; then
	echo "no python3 with pytest on this host, or a sanitizer build (which an" \
		"uninstrumented python3 cannot load): the Python bindings are not tested"
	exit 77
fi
for mod in pytest pip setuptools; do
	if ! "$py" -c "import $mod" 2>/dev/null; then
		echo "$py has no $mod (Debian: apt-get install python3-pytest python3-pip" \
			"python3-setuptools): the Python bindings are not tested"
		exit 77
	fi
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp -r "$root/python" "$tmp/src"
rm -rf "$tmp/src/build" "$tmp/src"/*.egg-info
if ! "$py" -m pip install -q --no-build-isolation --no-index --no-deps --target "$tmp/site" \
	"$tmp/src" >"$tmp/pip.log" 2>&1; then
	cat "$tmp/pip.log"
	echo "pip install of python/ failed"
	exit 1
fi
[ -f "$tmp/site/vmsim/__init__.py" ] || { echo "pip installed no vmsim package"; exit 1; }
cd "$root"
export VMSIM_LIBRARY=$lib PYTHONPATH=$tmp/site VMSIM_SOURCE_ROOT=$root
# the tests and the example import the installed copy, not python/vmsim
exec "$py" -m pytest -q -p no:cacheprovider --rootdir "$tmp" "$tmp/src/tests" \
	"$tmp/src/examples/test_examples.py"
