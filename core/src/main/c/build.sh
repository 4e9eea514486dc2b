#!/bin/sh
# Builds libnexttoken.so, the native kernels of nexttoken-core (see nexttoken_kernels.c), for
# Linux x86-64, reproducibly: the same bytes from any checkout path and any JDK 17, with Debian
# bookworm's gcc-12 at exactly the version pinned below. The library is committed at
# core/src/main/resources/dev/nexttoken/core/model/native/linux-x86_64/libnexttoken.so, so the
# Maven build needs no C compiler and the jar is the same everywhere; NativeLibraryReproducibleTest
# checks that this script rebuilds the committed bytes.
#
#   core/src/main/c/build.sh [output file]      (default: the committed library's path)
#
# Needs: gcc-12 12.2.0-14+deb12u1 and binutils 2.40-2 (Debian 12: apt-get install
# gcc-12=12.2.0-14+deb12u1 binutils=2.40-2) and a JDK for jni.h (JAVA_HOME, else javac's).
# -nostartfiles: the library has no constructors, so it links no start files of the C library's
# development package, whose version moves with Debian's point releases.
set -eu

# The compiler, and the linker it calls (its objects and libgcc.a come with gcc-12's packages).
PINNED_PACKAGE=gcc-12
PINNED_VERSION=12.2.0-14+deb12u1
PINNED_LINKER=binutils
PINNED_LINKER_VERSION=2.40-2

here=$(cd "$(dirname "$0")" && pwd)
out=${1:-"$here/../resources/dev/nexttoken/core/model/native/linux-x86_64/libnexttoken.so"}

if [ "$(uname -s -m)" != "Linux x86_64" ]; then
    echo "build.sh: builds the Linux x86-64 library, on Linux x86-64 only (this is $(uname -s -m))" >&2
    exit 1
fi
version=$(dpkg-query -W -f='${Version}' "$PINNED_PACKAGE" 2>/dev/null || true)
if [ "$version" != "$PINNED_VERSION" ] || ! command -v gcc-12 >/dev/null; then
    echo "build.sh: needs Debian's $PINNED_PACKAGE $PINNED_VERSION (found: ${version:-none}), so that the" \
         "library is the same bytes wherever it is built: apt-get install $PINNED_PACKAGE=$PINNED_VERSION" >&2
    exit 2
fi
linker=$(dpkg-query -W -f='${Version}' "$PINNED_LINKER" 2>/dev/null || true)
if [ "$linker" != "$PINNED_LINKER_VERSION" ]; then
    echo "build.sh: needs Debian's $PINNED_LINKER $PINNED_LINKER_VERSION (found: ${linker:-none}), the linker" \
         "gcc-12 calls: apt-get install $PINNED_LINKER=$PINNED_LINKER_VERSION" >&2
    exit 2
fi
if [ -z "${JAVA_HOME:-}" ]; then
    JAVA_HOME=$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")
fi
if [ ! -f "$JAVA_HOME/include/jni.h" ]; then
    echo "build.sh: no jni.h under JAVA_HOME=$JAVA_HOME (needs a JDK)" >&2
    exit 1
fi

# Compiled in a temporary folder from copies of the sources, so that no path of this checkout or
# of the JDK can reach the output; -ffile-prefix-map as well, in case one did.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/src" "$work/jni"
cp "$here/nexttoken_kernels.c" "$here/nexttoken_kernels_isa.h" "$work/src/"
cp "$JAVA_HOME/include/jni.h" "$JAVA_HOME/include/linux/jni_md.h" "$work/jni/"
(
    cd "$work"
    LC_ALL=C SOURCE_DATE_EPOCH=0 gcc-12 -O3 -shared -fPIC -std=c11 -Wall -Wextra -Werror \
        -g0 -s -nostartfiles -Wl,--build-id=none -Wl,--hash-style=gnu \
        -ffile-prefix-map="$work"=. -ffile-prefix-map="$here"=. -ffile-prefix-map="$JAVA_HOME"=. \
        -Ijni src/nexttoken_kernels.c -o libnexttoken.so
)
mkdir -p "$(dirname "$out")"
cp "$work/libnexttoken.so" "$out"
echo "build.sh: $out ($(sha256sum "$out" | cut -d' ' -f1))"
