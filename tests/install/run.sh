#!/usr/bin/env bash
# Install the build into a scratch prefix, then build a program outside the
# tree against it twice: with CMake's find_package(wphost) and with pkg-config.
# Usage: run.sh BUILD_DIR SOURCE_DIR SCRATCH_DIR
set -euo pipefail
build=$1 src=$2 scratch=$3
rm -rf "$scratch"
mkdir -p "$scratch"
prefix=$scratch/prefix
cmake --install "$build" --prefix "$prefix" >/dev/null

test -f "$prefix/include/wphost.h"
test -f "$prefix/include/wphost.hpp"
test -f "$prefix/lib/pkgconfig/wphost.pc"
test -f "$prefix/lib/cmake/wphost/wphostConfig.cmake"
test -L "$prefix/lib/libwphost.so"
test -f "$prefix/lib/libwphost.a"
test -x "$prefix/bin/wphost"
soname=$(readelf -d "$prefix/lib/libwphost.so" | sed -n 's/.*SONAME.*\[\(.*\)\]/\1/p')
[ "$soname" = "libwphost.so.0" ] || { echo "SONAME is '$soname'"; exit 1; }

# CMake package.
cmake -S "$src/examples/consumer" -B "$scratch/consumer" -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
cmake --build "$scratch/consumer" >/dev/null
LD_LIBRARY_PATH="$prefix/lib" "$scratch/consumer/consumer_c" "$scratch/state-c" 2>/dev/null | grep -q '"summary"'
LD_LIBRARY_PATH="$prefix/lib" "$scratch/consumer/consumer_cpp" "$scratch/state-cpp" 2>/dev/null | grep -q '"summary"'

# pkg-config.
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
[ "$(pkg-config --modversion wphost)" = "$(sed -n 's/#define WPH_VERSION_STRING "\(.*\)"/\1/p' "$src/include/wphost/version.h")" ]
cc -std=c99 -Wall -Wextra -pedantic -Werror -o "$scratch/pc_doctor" "$src/examples/c/doctor.c" $(pkg-config --cflags --libs wphost)
LD_LIBRARY_PATH="$prefix/lib" "$scratch/pc_doctor" "$scratch/state-pc" 2>/dev/null | grep -q '"summary"'

# The installed CLI runs with the installed library.
LD_LIBRARY_PATH="$prefix/lib" "$prefix/bin/wphost" --state-dir "$scratch/state-cli" version | grep -q '^wphost '
echo "install: 1 passed, 0 failed"
