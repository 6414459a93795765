"""``cinegrade looks``: list the shipped looks (and those you kept); ``--preview DIR`` writes a
swatch PNG per look; ``--install-kdenlive`` / ``--uninstall-kdenlive`` put them into (take them
out of) Kdenlive's Effects panel (:mod:`cinegrade.luts.kdenlive`); ``--from-still FRAME --name
NAME`` keeps the look of a still as your look NAME (:func:`cinegrade.api.keep_look_from_still`)."""

from __future__ import annotations

from pathlib import Path

import click


@click.command("looks")
@click.option("--preview", "preview_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Write DIR/<look>.png: a photograph before (left) and through the look (right).")
@click.option("--strength", type=click.FloatRange(0.0, 1.0), default=1.0, show_default=True,
              help="Blend the previews, the looks installed in Kdenlive and a look kept --from-still "
                   "(baked into their LUT: Kdenlive's Apply LUT has no mix): 0 = ungraded, 1 = the full look.")
@click.option("--install-kdenlive", "install", is_flag=True,
              help="Install the looks as Kdenlive effects (\"cinegrade – Sepia\", in the Effects "
                   "panel under Custom): Apply LUT presets in $XDG_DATA_HOME/kdenlive/effects, their "
                   ".cube in $XDG_DATA_HOME/cinegrade/luts. Restart Kdenlive to see them.")
@click.option("--uninstall-kdenlive", "uninstall", is_flag=True,
              help="Remove the Kdenlive effects cinegrade installed and their .cube files, nothing "
                   "else (projects that use them then render without the look).")
@click.option("--look", "look_names", multiple=True, metavar="LOOK",
              help="With --install-kdenlive or --uninstall-kdenlive: only this look (repeatable; "
                   "for --uninstall-kdenlive also the NAME of your own .cube).")
@click.option("--cube", type=click.Path(dir_okay=False, path_type=Path),
              help="With --install-kdenlive: install your own .cube instead of the shipped looks.")
@click.option("--from-still", metavar="FRAME", type=click.Path(dir_okay=False, path_type=Path),
              help="Keep the look of this image (its tone curve and palette) as your look --name NAME, "
                   "at --strength (baked in); then `cinegrade look TIMELINE NAME` and "
                   "`--install-kdenlive --look NAME` take it.")
@click.option("--name", help="With --cube: the look's name in Kdenlive (default: the file's name); with "
                             "--from-still: the name to keep the look under.")
@click.option("--force", is_flag=True,
              help="With --install-kdenlive: replace effect or .cube files cinegrade did not write; with "
                   "--from-still: replace a kept look of that name.")
def looks(preview_dir: Path | None, strength: float, install: bool, uninstall: bool,
          look_names: tuple[str, ...], cube: Path | None, from_still: Path | None, name: str | None,
          force: bool) -> None:
    """List the looks (name and description), and those you kept. A look name, the name of a
    look you kept, or the path of your own .cube, works wherever cinegrade takes a LOOK."""
    if from_still is not None:
        if install or uninstall or cube or look_names or preview_dir:
            raise click.UsageError("--from-still goes alone (with --name, --strength and --force)")
        if name is None:
            raise click.UsageError("--from-still needs --name NAME: the name to keep the look under")
        from cinegrade.api import keep_look_from_still

        kept = keep_look_from_still(from_still, name, strength=strength, overwrite=force)
        click.echo(f"{kept.name}  {kept.cube}")
        click.echo(f"kept the look of {from_still.name} as {kept.name!r}"
                   f"{f' at strength {kept.strength:g}' if kept.strength < 1 else ''}: cinegrade look "
                   f"TIMELINE {kept.name!r} -o OUT; cinegrade looks --install-kdenlive --look {kept.name!r}",
                   err=True)
        return
    if install and uninstall:
        raise click.UsageError("give --install-kdenlive or --uninstall-kdenlive, not both")
    if (cube or name or force) and not install:
        raise click.UsageError("--cube, --name and --force go with --install-kdenlive")
    if look_names and not (install or uninstall):
        raise click.UsageError("--look goes with --install-kdenlive or --uninstall-kdenlive")
    if name is not None and cube is None:
        raise click.UsageError("--name goes with --cube (installed shipped looks keep their names)")
    if cube is not None and look_names:
        raise click.UsageError("give --cube or --look, not both")
    if install:
        from cinegrade.api import install_kdenlive_looks

        installed = install_kdenlive_looks(look_names, cube=cube, name=name, strength=strength,
                                           overwrite=force)
        width = max(len(look.name) for look in installed.looks)
        for look in installed.looks:
            click.echo(f"{look.name:<{width}}  {look.effect}")
        click.echo(f"installed {len(installed.looks)} Kdenlive effect(s); their LUTs are in "
                   f"{installed.folders.luts}. Restart Kdenlive: Effects panel, Custom.", err=True)
    elif uninstall:
        from cinegrade.api import uninstall_kdenlive_looks

        removed = uninstall_kdenlive_looks(look_names)
        for path in removed.removed:
            click.echo(f"removed {path}")
        for path, reason in removed.kept:
            click.echo(f"kept {path}: {reason}", err=True)
        click.echo(f"uninstalled {len(removed.effect_ids)} Kdenlive effect(s)"
                   + ("; restart Kdenlive" if removed.effect_ids else ""), err=True)
    else:
        from cinegrade.luts.looks import LOOKS, user_look_description, user_looks

        yours = user_looks()
        width = max(len(name) for name in [*LOOKS, *yours])
        for look_name, look in LOOKS.items():
            click.echo(f"{look_name:<{width}}  {look.description}")
        for look_name, path in yours.items():
            click.echo(f"{look_name:<{width}}  (yours) {user_look_description(path)}")
    if preview_dir is not None:
        from cinegrade.luts.looks import write_previews

        for path in write_previews(preview_dir, strength):
            click.echo(f"wrote {path}", err=True)
