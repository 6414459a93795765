"""OpenTimelineIO plugins of cinegrade: adapters, hooks and schemadefs.

OTIO finds them through the ``opentimelineio.plugins`` entry point, which names this package;
OTIO then reads ``plugin_manifest.json`` beside this file.
"""
