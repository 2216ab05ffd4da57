#!/bin/sh
# Makes sure Fashion-MNIST is on this machine, so attn4j can train on it.
#
#   scripts/get-fashion-mnist.sh [DIR]
#
# Looks where attn4j's loader (org.attn4j.data.FashionMnist) looks, in its order: DIR (the CLI's
# --data DIR) if given, $ATTN4J_FASHION_MNIST, ~/.attn4j/datasets/fashion-mnist,
# /usr/share/datasets/fashion-mnist. A directory counts when it holds all four files
# {train,t10k}-{images-idx3,labels-idx1}-ubyte, each plain or .gz.
#
# When the data is nowhere and this is Debian (or a derivative) with apt-get, installs the package
# dataset-fashion-mnist (into /usr/share/datasets/fashion-mnist) as root, or through sudo when sudo
# works without a password; non-interactive and quiet. Otherwise prints how to get the data.
#
# Exit status: 0 when the data is present (found or installed), 1 when it is not (instructions were
# printed on stderr; the Java loader can still download it itself on first use), 2 when DIR or
# $ATTN4J_FASHION_MNIST was given but lacks the files (the loader would refuse it too).
set -u

BASE_URL="http://fashion-mnist.s3-website.eu-central-1.amazonaws.com"
SYSTEM_DIR="/usr/share/datasets/fashion-mnist"
CACHE_DIR="${HOME:-/root}/.attn4j/datasets/fashion-mnist"
FILES="train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte"

say() { printf '%s\n' "get-fashion-mnist: $*" >&2; }

# complete DIR: true when DIR holds all four files (plain or .gz)
complete() {
    [ -d "$1" ] || return 1
    for f in $FILES; do
        [ -f "$1/$f" ] || [ -f "$1/$f.gz" ] || return 1
    done
    return 0
}

instructions() {
    cat >&2 <<EOF
get-fashion-mnist: Fashion-MNIST is not on this machine. To get it, do one of:
  1. On Debian/Ubuntu (as root or with sudo):
       apt-get update && apt-get install -y dataset-fashion-mnist
     (installs the files into $SYSTEM_DIR)
  2. Put the four files in a directory and pass --data DIR to attn4j, or export ATTN4J_FASHION_MNIST=DIR.
  3. Download them into $CACHE_DIR (attn4j also tries this itself on first use):
       mkdir -p $CACHE_DIR && cd $CACHE_DIR
       curl -fO $BASE_URL/train-images-idx3-ubyte.gz   # MD5 8d4fb7e6c68d591d4c3dfef9ec88bf0d
       curl -fO $BASE_URL/train-labels-idx1-ubyte.gz   # MD5 25c81989df183df01b3e8a0aad5dffbe
       curl -fO $BASE_URL/t10k-images-idx3-ubyte.gz    # MD5 bef4ecab320f06d8554ea6380940ec79
       curl -fO $BASE_URL/t10k-labels-idx1-ubyte.gz    # MD5 bb300cfdad3c16e7a12a480ee83cd310
     Source: https://github.com/zalandoresearch/fashion-mnist (README, "Get the Data").
EOF
}

# An explicitly named directory must hold the data: attn4j will not silently use other data instead.
if [ $# -ge 1 ] && [ -n "$1" ]; then
    if complete "$1"; then exit 0; fi
    say "the directory given ($1) does not hold the four Fashion-MNIST files"
    instructions
    exit 2
fi
if [ -n "${ATTN4J_FASHION_MNIST:-}" ]; then
    if complete "$ATTN4J_FASHION_MNIST"; then exit 0; fi
    say "ATTN4J_FASHION_MNIST=$ATTN4J_FASHION_MNIST does not hold the four Fashion-MNIST files"
    instructions
    exit 2
fi
if complete "$CACHE_DIR" || complete "$SYSTEM_DIR"; then
    exit 0
fi

# Not here: install Debian's package when we can do so without asking anyone anything.
if [ -r /etc/debian_version ] && command -v apt-get >/dev/null 2>&1; then
    if [ "$(id -u)" -eq 0 ]; then
        AS_ROOT=""
    elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        AS_ROOT="sudo -n"
    else
        AS_ROOT="none"
    fi
    if [ "$AS_ROOT" != "none" ]; then
        say "installing the Debian package dataset-fashion-mnist (30 MB) into $SYSTEM_DIR"
        LOG=$(mktemp "${TMPDIR:-/tmp}/get-fashion-mnist.XXXXXX")
        apt_get() {
            $AS_ROOT env DEBIAN_FRONTEND=noninteractive apt-get -q -y \
                -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "$@" >>"$LOG" 2>&1
        }
        # Without package lists (fresh container) the package is unknown until apt-get update.
        if ! apt_get install --no-install-recommends dataset-fashion-mnist; then
            apt_get update && apt_get install --no-install-recommends dataset-fashion-mnist
        fi
        if complete "$SYSTEM_DIR"; then
            rm -f "$LOG"
            exit 0
        fi
        say "apt-get could not install dataset-fashion-mnist; its output:"
        sed 's/^/  /' "$LOG" | tail -n 20 >&2
        rm -f "$LOG"
    else
        say "this is Debian, but installing needs root (or sudo without a password)"
    fi
fi

instructions
exit 1
