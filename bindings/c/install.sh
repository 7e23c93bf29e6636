#!/usr/bin/env bash
# Installs the C library under PREFIX:
#   PREFIX/include/tokenward.h
#   PREFIX/lib/libtokenward_c.a
#   PREFIX/lib/libtokenward_c.so.VERSION, with the symlinks libtokenward_c.so.MAJOR (its SONAME,
#       what the loader looks for) and libtokenward_c.so (what -ltokenward_c finds)
#   PREFIX/lib/pkgconfig/tokenward.pc (shared) and tokenward-static.pc (static)
#
#     bindings/c/install.sh PREFIX                  # builds the release library with cargo first
#     bindings/c/install.sh PREFIX --lib-dir DIR    # installs the libraries already built in DIR
#
# Then: cc app.c $(pkg-config --cflags --libs tokenward)   (see include/tokenward.h).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"

usage() { echo "usage: $0 PREFIX [--lib-dir DIR]" >&2; exit 2; }
[ $# -ge 1 ] || usage
prefix="$1"; shift
lib_dir=""
while [ $# -gt 0 ]; do
    case "$1" in
        --lib-dir) [ $# -ge 2 ] || usage; lib_dir="$2"; shift 2 ;;
        *) usage ;;
    esac
done

if [ -z "$lib_dir" ]; then
    cargo build --release -p tokenward-c --lib --manifest-path "$root/Cargo.toml"
    lib_dir="${CARGO_TARGET_DIR:-$root/target}/release"
fi
for lib in libtokenward_c.a libtokenward_c.so; do
    [ -f "$lib_dir/$lib" ] || { echo "$0: $lib_dir/$lib not found" >&2; exit 1; }
done

mkdir -p "$prefix"
prefix="$(cd "$prefix" && pwd)" # the .pc files need an absolute prefix
version="$(sed -n 's/^version = "\(.*\)"$/\1/p' "$root/Cargo.toml" | head -n 1)"
major="${version%%.*}"

install -d "$prefix/include" "$prefix/lib/pkgconfig"
install -m 644 "$root/include/tokenward.h" "$prefix/include/"
install -m 644 "$lib_dir/libtokenward_c.a" "$prefix/lib/"
install -m 755 "$lib_dir/libtokenward_c.so" "$prefix/lib/libtokenward_c.so.$version"
ln -sfn "libtokenward_c.so.$version" "$prefix/lib/libtokenward_c.so.$major"
ln -sfn "libtokenward_c.so.$major" "$prefix/lib/libtokenward_c.so"
for pc in tokenward tokenward-static; do
    sed -e "s|@PREFIX@|$prefix|g" -e "s|@VERSION@|$version|g" \
        "$root/bindings/c/$pc.pc.in" > "$prefix/lib/pkgconfig/$pc.pc"
done
echo "installed tokenward $version under $prefix"
