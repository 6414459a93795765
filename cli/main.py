"""The ``cinegrade`` command: a click group whose subcommands are imported only when run.

Heavy libraries (colour-science above all) are imported inside the commands that need them, so
``cinegrade --help`` stays fast.
"""

from __future__ import annotations

import importlib
import os
import sys

import click

from cinegrade.errors import InputError

# name -> (module under cinegrade.cli, one-line help shown by ``cinegrade --help``); the module
# defines a click command of the same name.
COMMANDS: dict[str, tuple[str, str]] = {
    "info": ("info", "Describe a timeline: tracks, clips, media and its colour tags."),
    "convert": ("convert", "Convert a timeline between any two OTIO adapters."),
    "demo": ("demo", "Build the demo project from real photographs and run cinegrade on it."),
    "looks": ("looks", "List the looks (monochrome, toned, colour); --preview writes swatches; "
                       "--from-still keeps a look derived from a still."),
    "analyze": ("analyze", "Measure every shot: exposure, white balance, saturation, flicker."),
    "check": ("check", "Warn about continuity breaks between and within shots; markers, JSON, HTML report."),
    "match": ("match", "Match every shot to its scene's reference (white balance, exposure, tone)."),
    "look": ("look", "Lay a look (or your own .cube, or one derived --from-still) over every shot."),
    "grade": ("grade", "Match, add a look and check the result in one run: one .cube per clip."),
    "export": ("export", "Export a graded timeline's grades: .ccc, .cdl per clip, EDL with CDL, .cube."),
    "apply": ("apply", "Put grades back from a grading system (.ccc, .cdl, EDL with CDL) on the clips."),
}

EXIT_INPUT_ERROR = 2
#: Exit code of a bug: an exception the library does not raise on purpose.
EXIT_BUG = 3

#: The command-line option of each API field an :class:`InputError` may name, where it is not
#: ``--`` and the field with dashes.
OPTION_NAMES = {"overwrite": "--force", "ccc, cdl_dir, edl or lut_dir": "--ccc, --cdl-dir, --edl or --lut-dir",
                "cdl, cdl_dir or edl": "--cdl, --cdl-dir or --edl"}


def option_name(field: str) -> str:
    """The option that sets the API's ``field``: ``scene_by`` → ``--scene-by``."""
    return OPTION_NAMES.get(field, "--" + field.replace("_", "-"))


class InputErrorExit(click.ClickException):
    """An :class:`InputError` (or unusable file) as click reports it: one line, exit code 2."""

    exit_code = EXIT_INPUT_ERROR

    def show(self, file=None) -> None:
        click.echo(f"cinegrade: error: {self.format_message()}", err=True, file=file)


class LazyGroup(click.Group):
    """A group that imports a subcommand's module only when that subcommand runs, and turns
    input errors raised anywhere below it into :class:`InputErrorExit`."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS:
            return None
        module = importlib.import_module(f"cinegrade.cli.{COMMANDS[name][0]}")
        return getattr(module, name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with formatter.section("Commands"):
            formatter.write_dl([(name, COMMANDS[name][1]) for name in self.list_commands(ctx)])

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except InputError as error:
            names = {field: option_name(field) for field in [error.field] if field}
            raise InputErrorExit(error.describe(names)) from error
        except OSError as error:  # unreadable input, unwritable output, disk full
            where = f"{error.filename}: " if error.filename else ""
            raise InputErrorExit(f"{where}{error.strerror or error}") from error


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="cinegrade", prog_name="cinegrade")
def cinegrade() -> None:
    """Make the shots of an AI-made film look like one film.

    cinegrade reads an editor's timeline (Kdenlive, OTIO, EDL, FCP XML, ...), measures every shot,
    warns about continuity breaks, grades the shots to match and writes the timeline back.
    """


def main(argv: list[str] | None = None) -> None:
    """Console entry point: bad input is one line on stderr and exit code 2 (a wrong option
    too); a bug is one line saying so and where its trace was written, and exit code 3."""
    try:
        cinegrade.main(args=argv, prog_name="cinegrade", standalone_mode=False)
    except click.exceptions.Exit as done:
        sys.exit(done.exit_code)
    except click.exceptions.Abort:
        click.echo("cinegrade: interrupted", err=True)
        sys.exit(130)
    except click.UsageError as error:
        if type(error).__name__ == "NoArgsIsHelpError":  # plain ``cinegrade``: its help
            click.echo(error.format_message())
            sys.exit(0)
        hint = f" (cinegrade {error.ctx.command.name} --help)" if error.ctx is not None and \
            error.ctx.command is not cinegrade else " (cinegrade --help)"
        click.echo(f"cinegrade: error: {' '.join(error.format_message().split())}{hint}",
                   err=True)
        sys.exit(EXIT_INPUT_ERROR)
    except click.ClickException as error:
        error.show()
        sys.exit(error.exit_code)
    except KeyboardInterrupt:
        click.echo("cinegrade: interrupted", err=True)
        sys.exit(130)
    except Exception as error:  # noqa: BLE001 - anything else is a bug: say so in one line
        trace = write_trace(error)
        click.echo(f"cinegrade: bug: {type(error).__name__}: {' '.join(str(error).split())[:200]}"
                   f" — the full trace is in {trace}; please report it", err=True)
        sys.exit(EXIT_BUG)


def write_trace(error: BaseException) -> str:
    """Write ``error``'s traceback to a new file in the temporary folder; its path."""
    import tempfile
    import traceback

    text = "".join(traceback.format_exception(type(error), error, error.__traceback__))
    handle, path = tempfile.mkstemp(prefix="cinegrade-bug-", suffix=".txt")
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        out.write(f"cinegrade {_version()} {' '.join(sys.argv)}\n{text}")
    return path


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("cinegrade")
    except PackageNotFoundError:
        return "(not installed)"
