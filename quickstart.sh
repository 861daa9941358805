#!/usr/bin/env bash
# vmsim quick start.
#   ./quickstart.sh        install what is missing, build the CLI, run the showcase
#   ./quickstart.sh test   install what is missing, build (plain and
#                          ASan+UBSan), run every test; ends "N passed, N failed"
set -euo pipefail
cd "$(dirname "$0")"

want=(meson ninja-build pkg-config gcc gcc-multilib libyaml-dev libjemalloc-dev libcmocka-dev python3
	zlib1g-dev liblzma-dev libzstd-dev parallel
	python3-jsonschema python3-pytest python3-pip python3-setuptools)

install_missing() {
	local missing=()
	for p in "${want[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
			missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	echo "== installing: ${missing[*]}"
	local sudo=""
	[ "$(id -u)" -ne 0 ] && sudo="sudo"
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
}

# configure DIR [meson options...]: set up once, reconfigure never needed
configure() {
	local dir=$1
	shift
	if [ ! -f "$dir/build.ninja" ]; then
		echo "== configuring $dir/ (meson setup)"
		meson setup "$dir" --werror "$@" >/dev/null
	fi
}

# build DIR WHAT FIRST_TIME [TARGET]: ninja, quiet unless it fails;
# FIRST_TIME says how long the first build of DIR takes
build() {
	local dir=$1 what=$2 first=$3 target=${4:-}
	[ -f "$dir/.ninja_log" ] || what="$what (first time: $first)"
	echo "== building $what"
	if ! ninja -C "$dir" $target >"$dir/build-output.txt" 2>&1; then
		tail -40 "$dir/build-output.txt"
		echo "== the build failed; the whole output is in $dir/build-output.txt" >&2
		exit 1
	fi
}

cli=build/tools/vmsim-cli/vmsim-cli
install_missing
case "${1:-showcase}" in
showcase)
	configure build
	# only what the showcase runs; `./quickstart.sh test` builds the rest
	build build vmsim-cli "under a minute" tools/vmsim-cli/vmsim-cli
	exec scripts/showcase.sh "$cli"
	;;
test)
	configure build
	configure build-asan -Db_sanitize=address,undefined -Db_lundef=false -Djemalloc=disabled
	build build "everything in build/: the library, the CLI, the tests" "a few minutes"
	build build-asan "everything in build-asan/ (ASan+UBSan)" "a few minutes"
	status=0
	for dir in build build-asan; do
		echo "== tests in $dir"
		meson test -C "$dir" --print-errorlogs --num-processes 2 >"$dir/test-output.txt" 2>&1 || status=1
		grep -E "^ *[0-9]+/[0-9]+ " "$dir/test-output.txt" | grep -v " OK " || true
	done
	python3 scripts/count_tests.py build/meson-logs/testlog.json build-asan/meson-logs/testlog.json || status=1
	exit $status
	;;
*)
	echo "usage: $0 [showcase|test]" >&2
	exit 2
	;;
esac
