"""``cinegrade looks``: list the shipped looks; ``--preview DIR`` writes a swatch PNG per look."""

from __future__ import annotations

from pathlib import Path

import click


@click.command("looks")
@click.option("--preview", "preview_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Write DIR/<look>.png: a photograph before (left) and through the look (right).")
@click.option("--strength", type=click.FloatRange(0.0, 1.0), default=1.0, show_default=True,
              help="Blend the previews: 0 = ungraded, 1 = the full look.")
def looks(preview_dir: Path | None, strength: float) -> None:
    """List the looks (name and description). A look name, or the path of your own .cube,
    works wherever cinegrade takes a LOOK."""
    from cinegrade.luts.looks import LOOKS, write_previews

    width = max(len(name) for name in LOOKS)
    for name, look in LOOKS.items():
        click.echo(f"{name:<{width}}  {look.description}")
    if preview_dir is not None:
        for path in write_previews(preview_dir, strength):
            click.echo(f"wrote {path}", err=True)
