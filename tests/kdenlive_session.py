"""The start of a shell session that runs Debian's Kdenlive under Xvfb for a test: a private
home, runtime folder and D-Bus session bus, Kdenlive started on $PROJECT (its log in
$WORK/kdenlive.log, its pid in $pid, the bus daemon's in $bus), and a wait of up to 45 s for its
window, named after the project ($NAME). $SHORT is a short folder (socket paths are limited)."""

import textwrap


def kdenlive_start(home: str) -> str:
    """The session's first lines, with Kdenlive's home (and XDG folders) at ``home``."""
    return textwrap.dedent(f"""\
        export HOME="{home}" XDG_CONFIG_HOME="{home}/.config" XDG_DATA_HOME="{home}/.local/share"
        export XDG_RUNTIME_DIR="$SHORT/run" TMPDIR="$SHORT/tmp"
        mkdir -p "$XDG_RUNTIME_DIR" "$TMPDIR"; chmod 700 "$XDG_RUNTIME_DIR"
        set -- $(dbus-daemon --session --fork --nopidfile --print-address=1 --print-pid=1)
        export DBUS_SESSION_BUS_ADDRESS="$1"; bus=$2
        kdenlive "$PROJECT" > "$WORK/kdenlive.log" 2>&1 &
        pid=$!
        i=0
        while [ $i -lt 90 ]; do
            sleep 0.5; i=$((i + 1))
            xdotool search --onlyvisible --name "^$NAME" > /dev/null 2>&1 && break
        done
        sleep 4
        """)
