# Shared by scripts/start and scripts/test (sourced, not run): system packages, the
# git-ignored .venv at the repo root, Python dependencies and translations.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
VENV="$ROOT/.venv"
PY="$VENV/bin/python"
PYTHON=${PYTHON:-python3}  # the interpreter that creates .venv; 3.11 or newer

# gettext: msgfmt for compilemessages. The rest is what WeasyPrint loads at run time
# (Pango, HarfBuzz and its subsetter) and the CJK font the bulletins are set in.
RUNTIME_PACKAGES=(gettext fonts-noto-cjk libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b
    libharfbuzz-subset0)

log() { printf '\n==> %s\n' "$*"; }
die() { printf '\nERROR: %s\n' "$*" >&2; exit 1; }

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# Install the Debian packages named that are not installed yet; no apt-get at all
# (so no network and no root) when every one of them already is.
ensure_apt_packages() {
    local pkg missing=()
    if ! command -v "$PYTHON" >/dev/null 2>&1; then
        [ "$PYTHON" = python3 ] || die "$PYTHON not found"
        missing+=(python3)
    fi
    for pkg in "$@"; do
        if [ "$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null)" != installed ]; then
            missing+=("$pkg")
        fi
    done
    # Debian's own python3 makes venvs only with python3-venv (it holds ensurepip).
    if ! "$PYTHON" -c 'import ensurepip, venv' >/dev/null 2>&1; then
        missing+=(python3-venv)
    fi
    if [ ${#missing[@]} -eq 0 ]; then
        log "System packages: all installed"
        return
    fi
    log "System packages: installing ${missing[*]}"
    as_root apt-get update -q
    as_root env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -q --no-install-recommends "${missing[@]}"
}

# Create .venv unless a working one is there.
ensure_venv() {
    "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
        || die "Python 3.11 or newer is needed; $PYTHON is $("$PYTHON" -V 2>&1). Run with PYTHON=python3.11."
    if [ -x "$PY" ] && "$PY" -m pip --version >/dev/null 2>&1; then
        return
    fi
    log "Creating .venv with $("$PYTHON" -V 2>&1)"
    rm -rf "$VENV"
    "$PYTHON" -m venv "$VENV"
    "$PY" -m pip install -q --upgrade pip
}

# pip install -e ".[EXTRAS]": pyproject.toml's [tool.setuptools] packages = [] makes
# that install only the dependencies. Skipped while pyproject.toml is unchanged since
# the last install, so a second run needs no network.
install_python_deps() {
    local extras=${1:-} spec=. stamp
    [ -z "$extras" ] || spec=".[$extras]"
    stamp="$VENV/.installed-$(sha256sum pyproject.toml | cut -c1-16)-${extras:-base}"
    if [ -f "$stamp" ]; then
        log "Python dependencies: up to date ($spec)"
        return
    fi
    log "Python dependencies: pip install -e '$spec'"
    "$PY" -m pip install -q -e "$spec"
    rm -rf "$ROOT/bairi.egg-info"  # setuptools' build by-product; nothing reads it
    rm -f "$VENV"/.installed-*-"${extras:-base}"
    touch "$stamp"
}

manage() { "$PY" "$ROOT/manage.py" "$@"; }

# .mo files are git-ignored: build them from the .po files. compilemessages walks the
# whole tree, so keep it out of .venv (every installed package's catalogues) and var/.
compile_messages() {
    if [ -z "$(find . \( -path ./.venv -o -path ./var -o -path ./.git \) -prune -o -name '*.po' -print -quit)" ]; then
        log "Translations: no .po files yet"
        return
    fi
    log "Translations: compilemessages"
    # Settings refuse to load without SECRET_KEY when DEBUG is off; this command needs none.
    SECRET_KEY=${SECRET_KEY:-compilemessages-only} \
        manage compilemessages --ignore=.venv --ignore=var --verbosity 0
}

# The GB/T 9704 type classes for the printed bulletin and briefing pack: 仿宋, 黑体, 楷体 and
# 小标宋 (FandolFang, FandolHei, FandolKai, FandolSong-Bold; FandolSong for page numbers).
# Debian ships them only inside texlive-lang-chinese, which drags in TeX: so download that
# one .deb, unpack it in a temporary directory and keep only the Fandol .otf files and their
# licence in $REPORT_FONTS_DIR (git-ignored). No root needed when the package lists are
# there. Never fatal: without the fonts the PDFs fall back to Noto CJK (a logged warning).
FANDOL_FONTS=(FandolFang-Regular FandolHei-Regular FandolKai-Regular FandolSong-Regular
    FandolSong-Bold)
ensure_fandol_fonts() {
    local dir=${REPORT_FONTS_DIR:-$ROOT/fonts/fandol} font missing=0 tmp deb src
    for font in "${FANDOL_FONTS[@]}"; do
        [ -s "$dir/$font.otf" ] || missing=1
    done
    if [ "$missing" -eq 0 ]; then
        log "Report fonts: Fandol in $dir"
        return
    fi
    log "Report fonts: extracting Fandol from Debian's texlive-lang-chinese into $dir"
    tmp=$(mktemp -d)
    # The sandbox user option keeps apt from warning that _apt cannot write a private
    # temporary directory when this runs as root; as any other user apt drops nothing.
    if ! (cd "$tmp" && apt-get -q -o APT::Sandbox::User="$(id -un)" download texlive-lang-chinese) \
        && ! { as_root apt-get update -q \
            && (cd "$tmp" && apt-get -q -o APT::Sandbox::User="$(id -un)" download texlive-lang-chinese); }; then
        rm -rf "$tmp"
        printf 'WARNING: could not download texlive-lang-chinese; PDFs will use Noto CJK.\n' >&2
        return
    fi
    deb=$(ls "$tmp"/texlive-lang-chinese_*.deb)
    dpkg-deb -x "$deb" "$tmp/x"
    src="$tmp/x/usr/share/texlive/texmf-dist/fonts/opentype/public/fandol"
    mkdir -p "$dir"
    for font in "${FANDOL_FONTS[@]}"; do
        cp "$src/$font.otf" "$dir/"
    done
    # GPL with the font exception: the licence travels with the files.
    cp "$tmp/x/usr/share/doc/texlive-doc/fonts/fandol/README" "$dir/README"
    zcat "$tmp/x/usr/share/doc/texlive-doc/fonts/fandol/COPYING.gz" >"$dir/COPYING"
    cp "$tmp/x/usr/share/doc/texlive-lang-chinese/copyright" "$dir/copyright.Debian"
    rm -rf "$tmp"
}
