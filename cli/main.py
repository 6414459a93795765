"""The ``cinegrade`` command: a click group whose subcommands are imported only when run.

Heavy libraries (colour-science above all) are imported inside the commands that need them, so
``cinegrade --help`` stays fast.
"""

from __future__ import annotations

import importlib

import click

from cinegrade.errors import InputError

# name -> (module under cinegrade.cli, one-line help shown by ``cinegrade --help``); the module
# defines a click command of the same name.
COMMANDS: dict[str, tuple[str, str]] = {
    "info": ("info", "Describe a timeline: tracks, clips, media and its colour tags."),
    "convert": ("convert", "Convert a timeline between any two OTIO adapters."),
    "demo": ("demo", "Build the demo project from real photographs and run cinegrade on it."),
    "looks": ("looks", "List the looks (monochrome, toned, colour); --preview writes swatches."),
    "analyze": ("analyze", "Measure every shot: exposure, white balance, saturation, flicker."),
    "check": ("check", "Warn about continuity breaks between and within shots; markers, JSON, HTML report."),
    "match": ("match", "Match every shot to its scene's reference (white balance, exposure, tone)."),
    "look": ("look", "Lay a look (or your own .cube) over every shot of a timeline."),
    "grade": ("grade", "Match, add a look and check the result in one run: one .cube per clip."),
    "export": ("export", "Export a graded timeline's grades: .ccc, .cdl per clip, EDL with CDL, .cube."),
}

EXIT_INPUT_ERROR = 2


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
            raise InputErrorExit(str(error)) from error
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


def main() -> None:
    """Console entry point."""
    cinegrade(prog_name="cinegrade")
