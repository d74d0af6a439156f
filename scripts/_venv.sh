# shellcheck shell=bash
# Shared helper, sourced (not executed) by scripts/test.sh and scripts/demo.sh.
#
# Provides:
#   hutong_repo_root   absolute path of the repository root
#   hutong_ensure_venv create .venv if missing and (re)install the project
#                      when pyproject.toml changed since the last install.
#
# The install is keyed on the sha256 of pyproject.toml, stored in a stamp file
# inside .venv, so deleting .venv always forces a clean reinstall.

hutong_repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

_venv_log() { echo "venv: $*" >&2; }

# python3 -m venv needs ensurepip, which Debian splits into the python3-venv
# package. On a fresh Debian machine (as root) install it and try again.
_venv_create() {
    local venv="$1"
    if python3 -m venv "$venv"; then
        return 0
    fi
    # Only called when $venv did not exist, so this removes nothing but the
    # half-made .venv (without pip) that a failed attempt leaves behind.
    rm -rf "$venv"
    if [[ "$(id -u)" -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
        _venv_log "python3 -m venv failed; installing python3-venv with apt-get"
        apt-get update >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y python3-venv >&2
        python3 -m venv "$venv" && return 0
        rm -rf "$venv"
    fi
    _venv_log "ERROR: could not create $venv (is python3-venv / ensurepip available?)"
    return 1
}

hutong_ensure_venv() {
    local venv="$hutong_repo_root/.venv"
    local stamp="$venv/.hutong-pyproject.sha256"
    local want have=""

    if [[ ! -e "$venv" ]]; then
        _venv_log "creating $venv with $(command -v python3)"
        _venv_create "$venv" || return 1
    elif [[ ! -x "$venv/bin/python" || ! -x "$venv/bin/pip" ]]; then
        # Never delete an existing .venv behind the user's back.
        _venv_log "ERROR: $venv exists but has no usable bin/python or bin/pip; remove it and rerun"
        return 1
    fi

    want="$(sha256sum "$hutong_repo_root/pyproject.toml" | cut -d' ' -f1)"
    [[ -f "$stamp" ]] && have="$(<"$stamp")"
    if [[ "$want" != "$have" ]]; then
        _venv_log "pyproject.toml changed (or first install): pip install -e '.[dev]'"
        (cd "$hutong_repo_root" && "$venv/bin/pip" install --disable-pip-version-check -e '.[dev]') >&2
        # Written only after a successful install, so a failed one is retried.
        echo "$want" >"$stamp"
    else
        _venv_log "up to date"
    fi
}
