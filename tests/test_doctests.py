"""The examples in the library's docstrings (colour maths above all) run and give what they say."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import cinegrade


def _modules_with_examples() -> list[str]:
    names = []
    for info in pkgutil.walk_packages(cinegrade.__path__, "cinegrade."):
        if info.name.startswith(("cinegrade.cli", "cinegrade.otio_plugins.kdenlive_adapter")):
            continue
        spec = importlib.util.find_spec(info.name)
        if spec is not None and spec.origin and spec.origin.endswith(".py"):
            with open(spec.origin, encoding="utf-8") as source:
                if ">>> " in source.read():
                    names.append(info.name)
    return names


MODULES = _modules_with_examples()


def test_the_colour_maths_has_examples():
    assert {"cinegrade.colour.encodings", "cinegrade.colour.adaptation", "cinegrade.colour.drift",
            "cinegrade.colour.difference"} <= set(MODULES)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed in {name}"
