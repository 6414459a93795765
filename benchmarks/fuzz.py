"""Fuzzing cinegrade's file readers with atheris (libFuzzer for Python): Kdenlive, .cube, ASC CDL.

    python benchmarks/fuzz.py [--seconds 60] [--target kdenlive|cube|cdl|all] [--out build/fuzz]
                              [--timeout 5] [--rss-limit-mb 1024] [--fresh] [--json FILE]
    python benchmarks/fuzz.py --target cube --reproduce FILE     # one input: value, InputError or bug

The property fuzzed, for any bytes in the file: the reader returns its value or raises
cinegrade's :class:`~cinegrade.errors.InputError` — never another exception, never a hang (a
libFuzzer ``-timeout`` per input), never unbounded memory (``-rss_limit_mb``). The readers, as
cinegrade calls them:

- ``kdenlive``: :func:`cinegrade.timeline.files.read_timeline` on a ``.kdenlive`` file: its
  checks (defusedxml), then the ``kdenlive`` OTIO adapter's ``read_from_file``, which must
  return a Timeline or raise ``KdenliveInputError`` (an ``InputError`` and an ``OTIOError``):
  another exception from the adapter, which ``read_timeline`` would turn into a one-line
  ``InputError`` as it does for third-party adapters, counts as a bug here;
- ``cube``: :func:`cinegrade.media.cube.read_cube`, a LUT3x1D, LUT3D or LUTSequence;
- ``cdl``: :func:`cinegrade.media.cdl_files.read_cdl_file` (.cc, .ccc, .cdl: the kind comes from
  the root element), a ``CDLDocument``.

Seeds: the target's folder of tests/sample_data. Mutations: libFuzzer's own (guided by coverage of
the instrumented reader modules and by their comparisons, with a dictionary of the format's
keywords, tags and property names), and for half the inputs a structure-aware one: a number,
XML attribute value or text replaced by an edge value (inf, nan, 1e309, huge integers, Unicode
digits, clock strings, JSON the Kdenlive properties hold) or by another value of the document
(ids pointing elsewhere), lines duplicated, deleted or moved.

Each target runs in a worker process for ``--seconds``; an exception that breaks the property is
recorded (the smallest input per exception type and place) and fuzzing goes on; a hang or an
out-of-memory ends the worker (libFuzzer saves the input) and a new one goes on for the remaining
time. Findings go to ``OUT/<target>/findings/`` (emptied at each run), with each exception's
input minimized (lines, then bytes, ``.min``); the corpus libFuzzer grows is kept in
``OUT/<target>/corpus/`` across runs (``--fresh`` starts from the seeds). Printed per target:
executions, seconds, executions per second and the crashes with their saved inputs (and the
:data:`KNOWN` bugs whose fix is pending elsewhere). Exit code 1 when a target crashed.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "tests" / "sample_data"

# --------------------------------------------------------------------------------------------
# The readers under test (imported in the worker, inside atheris' instrumentation)


def _read_kdenlive(path: Path) -> object:
    """cinegrade's timeline reading, which maps what an adapter raises besides ``InputError`` to
    an ``InputError`` (for third-party adapters); for cinegrade's own adapter that is a bug, so
    such an exception is raised as it was."""
    from cinegrade.errors import InputError
    from cinegrade.timeline.files import read_timeline

    try:
        return read_timeline(path)
    except InputError as error:
        raised_at = traceback.extract_tb(error.__traceback__)[-1]
        masked = error.__context__
        if raised_at.name == "read_timeline" and masked is not None and not isinstance(masked, InputError):
            raise masked from None
        raise


def _read_cube(path: Path) -> object:
    from colour import LUT3D, LUT3x1D, LUTSequence

    from cinegrade.media.cube import read_cube

    lut = read_cube(path)
    if not isinstance(lut, (LUT3x1D, LUT3D, LUTSequence)):
        raise AssertionError(f"read_cube returned a {type(lut).__name__}")
    return lut


def _read_cdl(path: Path) -> object:
    from cinegrade.media.cdl_files import CDLDocument, read_cdl_file

    document = read_cdl_file(path)
    if not isinstance(document, CDLDocument) or not document.corrections:
        raise AssertionError(f"read_cdl_file returned {document!r}")
    return document


def _read_planted(path: Path) -> object:
    """A reader with a planted bug and a planted hang: the harness' own check."""
    data = path.read_bytes()
    if data.startswith(b"crash"):
        raise ValueError("planted bug")
    if data.startswith(b"hang"):
        while True:
            time.sleep(0.01)
    return data


# --------------------------------------------------------------------------------------------
# Structure-aware mutations: on bytes, so that any input (not only valid UTF-8) can be mutated

_NUMBER = re.compile(rb"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
_ATTRIBUTE_VALUE = re.compile(rb'[\w:.-]+="([^"<]*)"')
_TEXT = re.compile(rb">([^<]+)<")
_EDGE_NUMBERS = tuple(v.encode() for v in (
    "0", "-1", "1", "2", "3", "-0", "0.5", "1e308", "1e309", "-1e309", "inf", "-inf", "nan", "NaN",
    "1e-400", "4.4e-05", "2147483647", "2147483648", "-2147483648", "9" * 40, "18446744073709551616",
    "", " ", "0x10", "1_0", "²", "١٢", "1,5", "00:00:01.000", "99:99:99.999", "00:00:00:00",
    "1:2:3:4", "1:2:3:4:5", "1;2", ":", ".", "a", "-", "+", "e", "1e", "65536", "65537", "256", "257",
    "33", "1.0 1.0", "1 2 3 4", "\u0661.\u0665"))
_EDGE_JSON = tuple(v.encode() for v in (
    "[]", "{}", "null", "[1]", "[[]]", '[{"pos": 1e400}]', '[{"pos": "x", "type": "y", "comment": 5}]',
    '[{"pos": null, "type": [], "comment": null}]', '[{"index": "x", "color": 5, "comment": "cinegrade"}]',
    '[{"index": []}]', '[{"pos": -1e308, "type": 1e308}]', '[{"pos": 10, "type": 0, "comment": "cinegrade: x"}]'))


def _spans(pattern: re.Pattern, data: bytes, group: int) -> list[tuple[int, int]]:
    return [match.span(group) for match in pattern.finditer(data)]


def _random_number(rng: random.Random) -> bytes:
    sign = rng.choice(("", "-"))
    magnitude = rng.choice((1, 10, 1000, 10 ** 6, 2 ** 31, 10 ** 20))
    if rng.random() < 0.5:
        return f"{sign}{rng.randrange(magnitude + 1)}".encode()
    return f"{sign}{rng.random() * magnitude:{rng.choice(('g', 'e', 'f'))}}".encode()


def _replace_span(data: bytes, rng: random.Random, pattern: re.Pattern, group: int, values: tuple[bytes, ...]) -> bytes:
    """One match of ``pattern`` replaced by an edge value, a random number or another match."""
    spans = _spans(pattern, data, group)
    if not spans:
        return data
    start, end = rng.choice(spans)
    choice = rng.random()
    if choice < 0.5:
        value = rng.choice(values)
    elif choice < 0.7:
        value = _random_number(rng)
    elif choice < 0.9:
        other = rng.choice(spans)
        value = data[other[0]:other[1]]
    else:
        value = data[start:end] * rng.choice((0, 2, 100))
    return data[:start] + value + data[end:]


def _mutate_lines(data: bytes, rng: random.Random) -> bytes:
    """A line (or a block of lines) duplicated, deleted or moved."""
    lines = data.splitlines(keepends=True)
    if not lines:
        return data
    start = rng.randrange(len(lines))
    count = min(rng.choice((1, 1, 1, 2, 5, 20)), len(lines) - start)
    block = lines[start:start + count]
    rest = lines[:start] + lines[start + count:]
    action = rng.random()
    if action < 0.4:
        repeat = rng.choice((1, 1, 2, 10))
        rest[start:start] = block * (repeat + 1)
    elif action < 0.7:
        pass  # deleted
    else:
        where = rng.randrange(len(rest) + 1)
        rest[where:where] = block
    return b"".join(rest)


def _mutate_xml(data: bytes, rng: random.Random, text_values: tuple[bytes, ...] = _EDGE_NUMBERS) -> bytes:
    choice = rng.random()
    if choice < 0.3:
        return _replace_span(data, rng, _ATTRIBUTE_VALUE, 1, _EDGE_NUMBERS)
    if choice < 0.55:
        return _replace_span(data, rng, _TEXT, 1, text_values)
    if choice < 0.8:
        return _replace_span(data, rng, _NUMBER, 0, _EDGE_NUMBERS)
    return _mutate_lines(data, rng)


def _mutate_kdenlive(data: bytes, rng: random.Random) -> bytes:
    return _mutate_xml(data, rng, _EDGE_NUMBERS + _EDGE_JSON)


def _mutate_cube(data: bytes, rng: random.Random) -> bytes:
    choice = rng.random()
    if choice < 0.6:
        return _replace_span(data, rng, _NUMBER, 0, _EDGE_NUMBERS)
    if choice < 0.85:
        return _mutate_lines(data, rng)
    lines = data.splitlines(keepends=True)
    where = rng.randrange(len(lines) + 1)
    keyword = rng.choice(_CUBE_TOKENS)
    arguments = b" ".join(rng.choice(_EDGE_NUMBERS) for _ in range(rng.choice((0, 1, 2, 3, 4))))
    lines[where:where] = [keyword + b" " + arguments + b"\n"]
    return b"".join(lines)


# --------------------------------------------------------------------------------------------
# Targets

_CUBE_TOKENS = tuple(v.encode() for v in (
    "TITLE", "LUT_1D_SIZE", "LUT_3D_SIZE", "DOMAIN_MIN", "DOMAIN_MAX", "LUT_1D_INPUT_RANGE",
    "LUT_3D_INPUT_RANGE", "#", "LUT_3D_SIZE 2", "LUT_1D_SIZE 2", "lut_3d_size"))
_XML_TOKENS = tuple(v.encode() for v in (
    '<?xml version="1.0" encoding="UTF-8"?>', '<?xml version="1.0" encoding="latin-1"?>',
    '<?xml version="1.0" encoding="utf-16"?>', '<?xml version="1.0" encoding="nonesuch"?>',
    "<!DOCTYPE a>", '<!DOCTYPE a [<!ENTITY e "x">]>', "&e;", "&amp;", "&#0;", "&#x10FFFF;", "<![CDATA[",
    "]]>", "<!--", "-->", "<?pi x?>", 'xmlns="', 'xmlns:a="', "a:"))
_CDL_TOKENS = tuple(v.encode() for v in (
    "ColorCorrection", "ColorCorrectionCollection", "ColorDecisionList", "ColorDecision",
    "ColorCorrectionRef", "MediaRef", "SOPNode", "SopNode", "SatNode", "SATNode", "ASC_SOP", "ASC_SAT",
    "Slope", "Offset", "Power", "Saturation", "Description", "InputDescription", "ViewingDescription",
    'id="', 'ref="', "urn:ASC:CDL:v1.01", "urn:ASC:CDL:v1.2"))
_KDENLIVE_TOKENS = tuple(v.encode() for v in (
    "mlt", "profile", "frame_rate_num", "frame_rate_den", "playlist", "main_bin", "producer", "chain",
    "tractor", "track", "entry", "blank", "filter", "transition", "property", 'name="', 'id="', 'in="',
    'out="', 'length="', 'hide="', 'producer="', 'root="', "black_track", "0.99", "1.04", "1.1",
    "kdenlive:docproperties.version", "kdenlive:docproperties.guides", "kdenlive:docproperties.guidesCategories",
    "kdenlive:docproperties.activetimeline", "kdenlive:sequenceproperties.guides", "kdenlive:uuid",
    "kdenlive:clipname", "kdenlive:projectTractor", "kdenlive:mixcut", "kdenlive:id", "kdenlive:markers",
    "kdenlive:audio_track", "kdenlive:track_name", "kdenlive:playlistid", "kdenlive:originalurl",
    "kdenlive:locked_track", "mlt_service", "kdenlive_id", "resource", "warp_resource", "internal_added",
    "cinegrade:grade", "av.file", "color", "kdenlivetitle", "luma", "mix", "both", "audio", "video",
    "cinegrade:cdl", "live", "frei0r.sopsat", "rSlope", "gOffset", "bPower", "aSlope", "saturation", "0=0.05;",
    "|=", "~=", "00:00:01.000="))


#: A small project with what no sample has: cinegrade's live SOP/Sat (keyframed), its Apply LUT,
#: a mix and guides in a "cinegrade" category.
_CINEGRADE_PROJECT = b"""<?xml version="1.0" encoding="utf-8"?>
<mlt LC_NUMERIC="C" producer="main_bin" root="/media">
 <profile frame_rate_num="25" frame_rate_den="1" width="1920" height="1080"/>
 <producer id="p0"><property name="resource">a.mp4</property><property name="length">100</property>
  <property name="kdenlive:id">2</property>
  <property name="kdenlive:markers">[{"pos": 5, "type": 1, "comment": "m"}]</property></producer>
 <playlist id="main_bin"><property name="kdenlive:docproperties.version">1.04</property>
  <property name="kdenlive:docproperties.guides">[{"pos": 30, "type": 9, "comment": "cinegrade: exposure"}]</property>
  <property name="kdenlive:docproperties.guidesCategories">[{"index": 9, "color": "#ff0000", "comment": "cinegrade"}]</property>
  <entry producer="p0"/></playlist>
 <playlist id="pl0"><entry producer="p0" in="0" out="49">
  <filter id="filter9"><property name="mlt_service">frei0r.sopsat</property><property name="kdenlive_id">frei0r.sopsat</property>
   <property name="rSlope">0=0.05;25=0.06;00:00:02.000|=0.07</property><property name="saturation">0.09</property>
   <property name="cinegrade:cdl">live</property></filter>
  <filter id="filter10"><property name="mlt_service">avfilter.lut3d</property><property name="av.file">/tmp/a.cube</property>
   <property name="cinegrade:grade">1</property></filter></entry></playlist>
 <playlist id="pl1"><blank length="40"/><entry producer="p0" in="10" out="59"/></playlist>
 <tractor id="t0"><property name="kdenlive:track_name">V1</property><track producer="pl0"/><track producer="pl1"/>
  <transition id="mix0" in="40" out="49"><property name="kdenlive:mixcut">5</property>
   <property name="mlt_service">luma</property><property name="kdenlive_id">luma</property></transition></tractor>
 <tractor id="main"><track producer="t0"/></tractor>
</mlt>
"""


@dataclass(frozen=True)
class Target:
    """One reader to fuzz: how to call it, where its seeds are, what to instrument and mutate."""

    name: str
    read: Callable[[Path], object]
    suffix: str
    seed_folders: tuple[str, ...]  # under tests/sample_data
    max_len: int
    tokens: tuple[bytes, ...]
    mutate: Callable[[bytes, random.Random], bytes]
    instrument: tuple[str, ...]
    seeds: tuple[bytes, ...] = ()  # inline seeds besides the folders


TARGETS = {
    "kdenlive": Target("kdenlive", _read_kdenlive, ".kdenlive", ("kdenlive",), 131072, _KDENLIVE_TOKENS + _XML_TOKENS,
                       _mutate_kdenlive, ("cinegrade.otio_plugins", "cinegrade.timeline.files"), (_CINEGRADE_PROJECT,)),
    "cube": Target("cube", _read_cube, ".cube", ("cube",), 32768, _CUBE_TOKENS, _mutate_cube,
                   ("cinegrade.media.cube",)),
    "cdl": Target("cdl", _read_cdl, ".cdl", ("cdl",), 16384, _CDL_TOKENS + _XML_TOKENS, _mutate_xml,
                  ("cinegrade.media.cdl_files", "cinegrade.colour.cdl")),
}
#: The harness' own check (not in "all"): one planted exception and one planted hang.
PLANTED = Target("planted", _read_planted, ".bin", (), 64, (b"crash", b"hang"), _mutate_lines, (),
                 seeds=(b"crash!", b"hang!", b"fine"))
_KNOWN = {**TARGETS, PLANTED.name: PLANTED}


#: Exceptions found whose fix lies outside the files this harness may change, matched on the
#: signature (type, file, function; not the line, which moves): printed as "known" and not counted
#: as crashes, so that CI fails on new bugs only. Each has a strict xfail in
#: tests/test_fuzz_regressions.py; when its fix lands, that test passes, fails as strict, and the
#: entry and the mark go.
KNOWN: dict[str, str] = {}


def known_bug(signature_text: str) -> str | None:
    """Why a signature is a known bug (:data:`KNOWN`), else None."""
    return next((why for pattern, why in KNOWN.items() if re.fullmatch(pattern, signature_text)), None)


def _seed_files(target: Target) -> list[Path]:
    return sorted(path for folder in target.seed_folders for path in (SAMPLES / folder).iterdir() if path.is_file())


def _dictionary(target: Target) -> str:
    """libFuzzer's -dict: the target's tokens and the tag, attribute and property names of its seeds."""
    names: set[bytes] = set(target.tokens)
    for path in _seed_files(target):
        data = path.read_bytes()
        names.update(re.findall(rb"</?([\w:.-]+)", data))
        names.update(re.findall(rb'name="([^"]{1,64})"', data))
        names.update(re.findall(rb'([\w:.-]+)="', data))
    escape = lambda token: "".join(chr(b) if 32 <= b < 127 and b not in b'"\\' else f"\\x{b:02x}" for b in token)
    return "".join(f'"{escape(token)}"\n' for token in sorted(names) if token)


# --------------------------------------------------------------------------------------------
# The worker: one libFuzzer run in this process


def _where(error: BaseException) -> str:
    """The innermost frame of the repository's own code (else the innermost) as path:line in function."""
    frames = traceback.extract_tb(error.__traceback__)
    frame = (_ours(frames) or frames or [None])[-1]
    if frame is None:
        return "?"
    filename = os.path.relpath(frame.filename, REPO) if frame.filename.startswith(str(REPO)) else frame.filename
    return f"{filename}:{frame.lineno} in {frame.name}"


def _ours(frames: list) -> list:
    """The frames of the repository's code (not the benchmark's, nor installed packages)."""
    return [f for f in frames if f[0].startswith(str(REPO)) and "site-packages" not in f[0]
            and not f[0].endswith("fuzz.py")]


def signature(error: BaseException) -> str:
    """What identifies a bug: the exception type and the place it was raised from."""
    return f"{type(error).__name__} at {_where(error)}"


def check(target: Target, path: Path) -> tuple[str, BaseException | None]:
    """Run the reader on ``path``: ("value" | "InputError", None) or ("bug", the exception)."""
    from cinegrade.errors import InputError

    try:
        target.read(path)
    except InputError:
        return "InputError", None
    except KeyboardInterrupt:
        raise
    except BaseException as error:  # noqa: B036 - SystemExit from a reader is a bug too
        return "bug", error
    return "value", None


class _Recorder:
    """Counts executions; keeps the smallest input of each signature; writes stats as JSON."""

    def __init__(self, findings: Path, stats: Path):
        self.findings, self.stats = findings, stats
        self.executions = 0
        self.signatures: dict[str, dict] = {}
        self.started = self.flushed = time.monotonic()

    def record(self, data: bytes, error: BaseException) -> None:
        key = signature(error)
        entry = self.signatures.get(key)
        if entry is None:
            slug = f"{type(error).__name__}-{hashlib.sha1(key.encode()).hexdigest()[:10]}"
            entry = self.signatures[key] = {"count": 0, "size": None, "input": f"{slug}.bin"}
            print(f"\n#{self.executions} PROPERTY BROKEN: {key}", file=sys.stderr, flush=True)
        entry["count"] += 1
        if entry["size"] is None or len(data) < entry["size"]:
            entry["size"] = len(data)
            (self.findings / entry["input"]).write_bytes(data)
            trace = "".join(traceback.format_exception(type(error), error, error.__traceback__))
            (self.findings / entry["input"]).with_suffix(".txt").write_text(f"{key}\n\n{trace}", encoding="utf-8")
            self.flush()

    def tick(self) -> None:
        self.executions += 1
        if time.monotonic() - self.flushed > 0.5:
            self.flush()

    def flush(self) -> None:
        self.flushed = time.monotonic()
        temporary = self.stats.with_suffix(".tmp")
        temporary.write_text(json.dumps({"executions": self.executions, "seconds": self.flushed - self.started,
                                         "signatures": self.signatures}), encoding="utf-8")
        temporary.replace(self.stats)


def _worker(target: Target, scratch: Path, findings: Path, stats: Path, libfuzzer_args: list[str]) -> None:
    import atheris

    if target.instrument:  # include=None would instrument every module imported
        with atheris.instrument_imports(include=list(target.instrument)):
            import cinegrade.errors  # noqa: F401 - imported (and instrumented) before fuzzing starts

            if target.name == "kdenlive":
                import opentimelineio as otio

                otio.adapters.from_name("kdenlive").module()
            for module in target.instrument:
                __import__(module)
    path = scratch / f"input{target.suffix}"
    recorder = _Recorder(findings, stats)
    recorder.flush()

    def one_input(data: bytes) -> None:
        recorder.tick()
        path.write_bytes(data)
        outcome, error = check(target, path)
        if error is not None:
            recorder.record(data, error)

    def mutator(data: bytes, max_size: int, seed: int) -> bytes:
        rng = random.Random(seed)
        if not data or rng.random() < 0.5:
            return atheris.Mutate(data, max_size)
        mutated = target.mutate(data, rng)
        if rng.random() < 0.25:
            mutated = atheris.Mutate(mutated, max_size)
        return mutated[:max_size]

    atheris.Setup([sys.argv[0], *libfuzzer_args], one_input, custom_mutator=mutator)
    atheris.Fuzz()


# --------------------------------------------------------------------------------------------
# Minimizing an input that breaks the property (lines, then bytes: ddmin-style chunk removal)


def minimize(data: bytes, breaks: Callable[[bytes], bool], deadline: float) -> bytes:
    """The smallest input found by removing chunks of lines, then of bytes, while ``breaks``."""
    for split, join in ((lambda d: d.splitlines(keepends=True), b"".join), (lambda d: [bytes([b]) for b in d], b"".join)):
        chunks = split(data)
        parts = 2
        while len(chunks) >= 2 and time.monotonic() < deadline:
            size = -(-len(chunks) // parts)
            for start in range(0, len(chunks), size):
                candidate = chunks[:start] + chunks[start + size:]
                if time.monotonic() > deadline:
                    break
                if breaks(join(candidate)):
                    chunks, parts = candidate, max(parts - 1, 2)
                    break
            else:
                if parts >= len(chunks):
                    break
                parts = min(parts * 2, len(chunks))
        data = join(chunks)
    return data


def _minimize_file(target: Target, source: Path, wanted: str, seconds: float) -> Path:
    """Write ``source``.min: the smallest input still breaking the property with signature ``wanted``."""
    import signal

    class _Slow(Exception):
        pass

    def alarm(*_):
        raise _Slow()

    signal.signal(signal.SIGALRM, alarm)
    scratch = Path(tempfile.mkdtemp(prefix="cinegrade-fuzz-min-"))
    path = scratch / f"input{target.suffix}"

    def breaks(candidate: bytes) -> bool:
        path.write_bytes(candidate)
        signal.setitimer(signal.ITIMER_REAL, 2.0)
        try:
            outcome, error = check(target, path)
        except _Slow:
            return False
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        return error is not None and signature(error) == wanted

    try:
        smallest = minimize(source.read_bytes(), breaks, time.monotonic() + seconds)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    destination = source.with_suffix(".min")
    destination.write_bytes(smallest)
    return destination


# --------------------------------------------------------------------------------------------
# The driver: workers until the time is up, then the findings


def _scratch_root() -> str | None:
    return "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None


def fuzz_target(target: Target, seconds: float, out: Path, timeout: int, rss_limit_mb: int, fresh: bool,
                minimize_seconds: float = 20.0) -> dict:
    """Fuzz one target for ``seconds`` (workers restarted after hangs and out-of-memory); a summary
    dict: executions, seconds, workers and the crashes (kind, signature, count, input files)."""
    folder = out / target.name
    findings, corpus, seeds = folder / "findings", folder / "corpus", folder / "seeds"
    shutil.rmtree(findings, ignore_errors=True)
    if fresh:
        shutil.rmtree(corpus, ignore_errors=True)
    shutil.rmtree(seeds, ignore_errors=True)
    for directory in (findings, corpus, seeds):
        directory.mkdir(parents=True, exist_ok=True)
    # copies, so that a seed that hangs can be left out of the next worker's run
    for seed in [*target.seeds, *(path.read_bytes() for path in _seed_files(target))]:
        (seeds / hashlib.sha1(seed).hexdigest()).write_bytes(seed)
    dictionary = folder / "tokens.dict"
    dictionary.write_text(_dictionary(target), encoding="utf-8")

    started = time.monotonic()
    executions, workers = 0, 0
    signatures: dict[str, dict] = {}
    artifacts: list[dict] = []
    while workers == 0 or seconds - (time.monotonic() - started) >= 2:
        remaining = max(int(seconds - (time.monotonic() - started)), 1)
        stats, log = folder / f"stats-{workers}.json", folder / f"worker-{workers}.log"
        with tempfile.TemporaryDirectory(prefix="cinegrade-fuzz-", dir=_scratch_root()) as scratch:
            command = [sys.executable, os.fspath(Path(__file__).resolve()), "--worker", target.name,
                       "--scratch", scratch, "--findings", os.fspath(findings), "--stats", os.fspath(stats), "--",
                       f"-max_total_time={remaining}", f"-timeout={timeout}", f"-rss_limit_mb={rss_limit_mb}",
                       f"-max_len={target.max_len}", "-len_control=0", "-use_value_profile=1",
                       f"-dict={dictionary}", f"-artifact_prefix={findings}{os.sep}", "-print_final_stats=1",
                       "-close_fd_mask=1", os.fspath(corpus), os.fspath(seeds)]
            with log.open("wb") as handle:
                process = subprocess.Popen(command, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True)
                try:
                    process.wait(timeout=remaining + timeout + 60)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, 9)
                    process.wait()
                    _add(artifacts, {"kind": "hang", "signature": "the worker overran its time and was killed",
                                     "input": None, "log": os.fspath(log)})
        workers += 1
        text = log.read_text(encoding="utf-8", errors="replace")
        if stats.exists():
            record = json.loads(stats.read_text(encoding="utf-8"))
            counted = re.findall(r"stat::number_of_executed_units: (\d+)", text)
            executions += max([record["executions"], *map(int, counted)])
            for key, entry in record["signatures"].items():
                known = signatures.setdefault(key, {**entry, "count": 0})
                known["count"] += entry["count"]
                if entry["size"] < known["size"]:
                    known.update(size=entry["size"], input=entry["input"])
        for written in re.findall(r"Test unit written to (\S+)", text):
            kind, digest = Path(written).name.split("-", 1)  # timeout, oom, crash (a deadly signal)
            reason = re.search(r"ERROR: libFuzzer: ([^\n]+)", text)
            reason = re.sub(r"\d+", "N", reason.group(1).strip()) if reason else kind  # "timeout after N seconds"
            _add(artifacts, {"kind": kind, "signature": reason + _stuck_at(text),
                             "input": written, "log": os.fspath(log)})
            for copy in (corpus / digest, seeds / digest):  # not again in the next worker's run
                copy.unlink(missing_ok=True)
        if stats.exists() and "Test unit written to" not in text and process.returncode != 0:
            _add(artifacts, {"kind": "error", "signature": f"worker exited with {process.returncode}",
                             "input": None, "log": os.fspath(log)})
        if not stats.exists():
            raise RuntimeError(f"the {target.name} fuzzing worker did not start; see {log}:\n{text[-3000:]}")

    fuzzed = time.monotonic() - started
    crashes, known_bugs = [], []
    for key, entry in signatures.items():
        if known_bug(key):
            known_bugs.append({"kind": "exception", "signature": key, "count": entry["count"], "why": known_bug(key),
                               "input": os.fspath(findings / entry["input"])})
            continue
        source = findings / entry["input"]
        minimized = None
        if minimize_seconds > 0:
            subprocess.run([sys.executable, os.fspath(Path(__file__).resolve()), "--target", target.name,
                            "--minimize", os.fspath(source), "--signature", key, "--seconds", str(minimize_seconds)],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=minimize_seconds + 60)
            minimized = source.with_suffix(".min") if source.with_suffix(".min").exists() else None
        crashes.append({"kind": "exception", "signature": key, "count": entry["count"], "input": os.fspath(source),
                        "minimized": os.fspath(minimized) if minimized else None,
                        "traceback": source.with_suffix(".txt").read_text(encoding="utf-8")})
    return {"executions": executions, "seconds": round(fuzzed, 1), "workers": workers,
            "crashes": crashes + artifacts, "known": known_bugs, "findings": os.fspath(findings)}


def _add(artifacts: list[dict], found: dict) -> None:
    """Count a libFuzzer finding, merged with an earlier one of the same kind and signature."""
    for known in artifacts:
        if (known["kind"], known["signature"]) == (found["kind"], found["signature"]):
            known["count"] += 1
            return
    artifacts.append({**found, "count": 1})


def _stuck_at(log: str) -> str:
    """Where the Python stack libFuzzer's report dumps (most recent call first) was in our code."""
    dump = log.split("most recent call first):", 1)
    frames = re.findall(r'File "([^"]+)", line (\d+) in (\S+)', dump[1].split("\n\n", 1)[0]) if len(dump) > 1 else []
    if not frames:
        return ""
    filename, line, function = (_ours(frames) or frames)[0]
    return f" in {os.path.relpath(filename, REPO) if filename.startswith(str(REPO)) else filename}:{line} in {function}"


def _preview(path: str | None, limit: int = 300) -> str:
    if not path or not os.path.exists(path):
        return ""
    data = Path(path).read_bytes()
    return repr(data[:limit]) + (f" ... ({len(data)} bytes)" if len(data) > limit else "")


def describe(name: str, summary: dict) -> str:
    """A target's summary as text: one line of figures, then each crash with its input."""
    rate = summary["executions"] / summary["seconds"] if summary["seconds"] else 0.0
    lines = [f"{name:9} {summary['executions']:>10} executions in {summary['seconds']:7.1f} s ({rate:7.0f}/s, "
             f"{summary['workers']} worker run{'s' if summary['workers'] != 1 else ''}), "
             f"{len(summary['crashes'])} crash{'es' if len(summary['crashes']) != 1 else ''}"]
    for crash in summary["crashes"]:
        lines.append(f"  {crash['kind']}: {crash['signature']} ({crash['count']} input(s))")
        for label in ("input", "minimized"):
            if crash.get(label):
                lines.append(f"    {label}: {crash[label]}  {_preview(crash[label])}")
        if crash.get("log"):
            lines.append(f"    log: {crash['log']}")
    for bug in summary.get("known", []):
        lines.append(f"  known, fix pending: {bug['signature']} ({bug['count']} input(s)): {bug['why']}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    libfuzzer_args = argv[argv.index("--") + 1:] if "--" in argv else []
    argv = argv[:argv.index("--")] if "--" in argv else argv
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="fuzzing time per target (default 60)")
    parser.add_argument("--target", default="all", choices=[*TARGETS, "all", PLANTED.name])
    parser.add_argument("--out", type=Path, default=REPO / "build" / "fuzz", help="corpus and findings (build/fuzz)")
    parser.add_argument("--timeout", type=int, default=5, help="seconds one input may take (libFuzzer -timeout)")
    parser.add_argument("--rss-limit-mb", type=int, default=1024, help="memory limit (libFuzzer -rss_limit_mb)")
    parser.add_argument("--fresh", action="store_true", help="start from the seeds, not the kept corpus")
    parser.add_argument("--minimize-seconds", type=float, default=20.0, help="time to minimize each crash's input")
    parser.add_argument("--json", type=Path, help="write the summary as JSON here")
    parser.add_argument("--reproduce", type=Path, help="run the target's reader on this file and say what it did")
    parser.add_argument("--minimize", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--signature", help=argparse.SUPPRESS)
    parser.add_argument("--worker", choices=list(_KNOWN), help=argparse.SUPPRESS)
    parser.add_argument("--scratch", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--findings", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--stats", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.worker:
        _worker(_KNOWN[args.worker], args.scratch, args.findings, args.stats, libfuzzer_args)
        return 0
    if args.minimize:
        _minimize_file(_KNOWN[args.target], args.minimize, args.signature, args.seconds)
        return 0
    if args.reproduce:
        if args.target == "all":
            parser.error("--reproduce needs one --target")
        target = _KNOWN[args.target]
        with tempfile.TemporaryDirectory(prefix="cinegrade-fuzz-") as scratch:  # the reader's suffix
            path = Path(scratch) / f"input{target.suffix}"
            shutil.copyfile(args.reproduce, path)
            outcome, error = check(target, path)
        if error is None:
            print(f"{args.reproduce}: {outcome}")
            return 0
        print(f"{args.reproduce}: PROPERTY BROKEN: {signature(error)}")
        traceback.print_exception(type(error), error, error.__traceback__)
        return 1
    try:
        import atheris  # noqa: F401
    except ImportError:
        print("atheris is not installed (pip install atheris; wheels for Linux x86_64)", file=sys.stderr)
        return 2
    names = list(TARGETS) if args.target == "all" else [args.target]
    summaries = {}
    for name in names:
        summaries[name] = fuzz_target(_KNOWN[name], args.seconds, args.out, args.timeout, args.rss_limit_mb, args.fresh,
                                      args.minimize_seconds)
        print(describe(name, summaries[name]), flush=True)
    if args.json:
        args.json.write_text(json.dumps({"version": 1, "seconds": args.seconds, "targets": summaries}, indent=2),
                             encoding="utf-8")
    return 1 if any(s["crashes"] for s in summaries.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
