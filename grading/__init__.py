"""cinegrade: make the shots of an AI-made film look like one film.

The public API is one call per command (:mod:`cinegrade.api`)::

    import cinegrade

    cinegrade.analyze_timeline("cut.kdenlive")                 # per-shot statistics
    cinegrade.check_timeline("cut.kdenlive", output="checked.kdenlive")   # continuity warnings
    cinegrade.grade_timeline("cut.kdenlive", "graded.kdenlive", look="sepia")
    cinegrade.export_grades("graded.kdenlive", ccc="grades.ccc")

The library's steps, one sub-package each, lower ones never importing higher ones:
``colour`` (pure maths) → ``media`` (decoding, .cube and CDL files) → ``timeline`` (the only
code that walks OTIO) → ``analysis`` (samples → statistics) → ``correspondence`` (what shots
share) → ``continuity`` (warnings) and ``matching`` (corrections) → ``grade`` (grades, the
whole-timeline pipeline, reports). ``demo`` builds synthetic media; ``cli`` and ``otio_plugins``
sit on top. Nothing here prints or exits; bad input raises :class:`~cinegrade.errors.InputError`.
"""

import warnings

# colour-science warns at import that matplotlib is absent; cinegrade plots without it.
warnings.filterwarnings("ignore", message='"Matplotlib" related API features are not available')

_API = ("Reading", "ShotWork", "describe_timeline", "convert_timeline", "analyze_timeline",
        "check_timeline", "grade_timeline", "match_timeline", "look_timeline", "export_grades",
        "install_kdenlive_looks", "uninstall_kdenlive_looks", "apply_grades", "keep_look_from_still")
__all__ = [*_API, "InputError"]


def __getattr__(name: str):
    # the API is imported on first use, so that ``import cinegrade.cli`` stays fast
    if name in _API:
        from cinegrade import api

        return getattr(api, name)
    if name == "InputError":
        from cinegrade.errors import InputError

        return InputError
    raise AttributeError(f"module 'cinegrade' has no attribute {name!r}")
