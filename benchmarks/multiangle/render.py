"""Render multi-angle benchmark scenes: 4 procedural sets x 6 cameras, each set under one key light, with Blender's bpy.

Shots of one scene share light, exposure and characters but (mostly) not pixels, so the colour truth between any two
cameras of a scene is exact: zero drift. Run with a Python that has ``bpy`` (4.2-4.5, cp311), ``numpy`` and
``scikit-image`` -- not the project's venv::

    /tmp/bpy-venv/bin/python benchmarks/multiangle/render.py OUT_DIR [--size 960x540] [--samples 16] [--scenes N]

Writes OUT_DIR/<scene>/<camera>.png (8-bit sRGB PNG, Cycles on CPU, OIDN denoise, view transform "Standard") and,
last, OUT_DIR/scenes.json: lights (type, colour temperature, linear RGB), render settings, bpy version, seed, and per
camera the pose, projected face boxes of both characters, scale relative to the wide, visible surfaces and the
fraction of background points each camera shares with every other camera (ray-cast, see ``analyse_cameras``).

Everything is seeded (``--seed``; Cycles' sampling seed too), so a rerun with the same bpy gives the same frames.
Faces are ``skimage.data.astronaut()`` cropped and projected onto the front of each head (character B: mirrored and
darker skin); posters use other scikit-image photos.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import random
import sys
import time

import bpy  # first: importing bpy puts bmesh, bpy_extras and mathutils on the path

# isort: split
import bmesh
import numpy as np
import skimage.data
from bpy_extras.object_utils import world_to_camera_view
from mathutils import Matrix, Vector

CAMERAS = ("wide", "medium", "close-a", "ots-a", "reverse", "close-b")
SCENES = ("tungsten_living", "daylight_window", "night_alley", "overcast_courtyard")

# Astronaut crop (rows, cols) mapped onto the head, and OpenCV Haar's face box on the full photo (x, y, w, h) --
# measured once with haarcascade_frontalface_default.xml, scaleFactor 1.1, minNeighbors 5.
FACE_ROWS, FACE_COLS = (52, 184), (168, 282)
HAAR_BOX_ON_PHOTO = (177, 66, 95, 95)
# Head: unit sphere scaled to these radii (m): x = width, y = depth (forward is +y), z = height.
HEAD_RADII = (0.098, 0.11, 0.122)
HEAD_Z = 1.64
# Crop placement in head object coordinates (unit sphere): x in [-FACE_WX, FACE_WX], z in [FACE_ZBOT, FACE_ZTOP].
FACE_WX, FACE_ZTOP = 0.9, 0.67
FACE_ZBOT = FACE_ZTOP - 2 * FACE_WX * HEAD_RADII[0] / HEAD_RADII[2] * (FACE_ROWS[1] - FACE_ROWS[0]) / (
    FACE_COLS[1] - FACE_COLS[0])
B_SKIN_GAIN = (0.70, 0.56, 0.46)  # linear-light multiplier turning the photo into character B's darker skin


# --------------------------------------------------------------------------------------------------- colour helpers
def lin(c):
    """sRGB-encoded (0-1) triple -> linear-light RGBA tuple for shader inputs (IEC 61966-2-1)."""
    c = np.asarray(c, float)
    out = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    return (*out.tolist(), 1.0)


def srgb_to_linear(a):
    return np.where(a <= 0.04045, a / 12.92, ((a + 0.055) / 1.055) ** 2.4)


def linear_to_srgb(a):
    a = np.clip(a, 0, 1)
    return np.where(a <= 0.0031308, a * 12.92, 1.055 * a ** (1 / 2.4) - 0.055)


# --------------------------------------------------------------------------------------------------- scene helpers
class Builder:
    """Creates meshes, materials and images in the current bpy scene; ``group`` tags every object for analysis."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.scene = bpy.context.scene
        self._mats: dict[str, bpy.types.Material] = {}

    # ---- objects
    def link(self, name, mesh, matrix, mat, group, smooth=False, camera_only=False):
        obj = bpy.data.objects.new(name, mesh)
        self.scene.collection.objects.link(obj)
        obj.matrix_world = matrix
        if mat is not None:
            mesh.materials.append(mat)
        if smooth:
            for p in mesh.polygons:
                p.use_smooth = True
        if camera_only:  # seen by the camera but neither lights nor shadows anything
            obj.visible_diffuse = obj.visible_glossy = obj.visible_shadow = obj.visible_transmission = False
        obj["group"] = group
        return obj

    def box(self, name, center, size, mat, group, yaw=0.0, camera_only=False, uv_offset=None):
        """Axis-aligned box (before ``yaw``) with metric UVs per face (1 UV unit = 1 m), offset by its world position."""
        bm = bmesh.new()
        bmesh.ops.create_cube(bm, size=1.0)
        for v in bm.verts:
            v.co = Vector((v.co.x * size[0], v.co.y * size[1], v.co.z * size[2]))
        uv = bm.loops.layers.uv.new("UVMap")
        off = Vector(center) if uv_offset is None else Vector(uv_offset)
        bm.normal_update()
        for f in bm.faces:
            ax = max(range(3), key=lambda i: abs(f.normal[i]))
            for loop in f.loops:
                co = loop.vert.co + off
                loop[uv].uv = (co.y, co.z) if ax == 0 else (co.x, co.z) if ax == 1 else (co.x, co.y)
        mesh = bpy.data.meshes.new(name)
        bm.to_mesh(mesh)
        bm.free()
        m = Matrix.Translation(center) @ Matrix.Rotation(yaw, 4, "Z")
        return self.link(name, mesh, m, mat, group, camera_only=camera_only)

    def sphere(self, name, matrix, mat, group, seg=32, camera_only=False):
        """Unit sphere transformed by ``matrix`` (object coordinates stay on the unit sphere)."""
        bm = bmesh.new()
        bmesh.ops.create_uvsphere(bm, u_segments=seg, v_segments=seg // 2, radius=1.0, calc_uvs=True)
        mesh = bpy.data.meshes.new(name)
        bm.to_mesh(mesh)
        bm.free()
        return self.link(name, mesh, matrix, mat, group, smooth=True, camera_only=camera_only)

    def ellipsoid(self, name, center, radii, mat, group, base=Matrix(), seg=24, camera_only=False):
        m = base @ Matrix.Translation(center) @ Matrix.Diagonal((*radii, 1.0))
        return self.sphere(name, m, mat, group, seg=seg, camera_only=camera_only)

    def cylinder(self, name, p0, p1, r0, r1, mat, group, base=Matrix(), squash=1.0, seg=24, camera_only=False,
                 caps=True):
        """Truncated cone from local point p0 (radius r0) to p1 (radius r1), squashed along its local y; then ``base``."""
        p0, p1 = Vector(p0), Vector(p1)
        axis = p1 - p0
        bm = bmesh.new()
        bmesh.ops.create_cone(bm, cap_ends=caps, segments=seg, radius1=r0, radius2=r1, depth=axis.length, calc_uvs=True)
        for v in bm.verts:
            v.co.y *= squash
        mesh = bpy.data.meshes.new(name)
        bm.to_mesh(mesh)
        bm.free()
        rot = axis.to_track_quat("Z", "Y").to_matrix().to_4x4()
        m = base @ Matrix.Translation((p0 + p1) / 2) @ rot
        obj = self.link(name, mesh, m, mat, group, smooth=True, camera_only=camera_only)
        return obj

    def quad(self, name, center, w, h, yaw, mat, group, camera_only=False):
        """Vertical w x h plane with UV 0-1, seen unmirrored from its local -y side (yaw turns that side)."""
        mesh = bpy.data.meshes.new(name)
        mesh.from_pydata([(-w / 2, 0, -h / 2), (w / 2, 0, -h / 2), (w / 2, 0, h / 2), (-w / 2, 0, h / 2)], [],
                         [(0, 1, 2, 3)])
        uv = mesh.uv_layers.new(name="UVMap")
        for loop, (u, v) in zip(mesh.loops, [(0, 0), (1, 0), (1, 1), (0, 1)]):
            uv.data[loop.index].uv = (u, v)
        m = Matrix.Translation(center) @ Matrix.Rotation(yaw, 4, "Z")
        return self.link(name, mesh, m, mat, group, camera_only=camera_only)

    # ---- materials
    def _principled(self, name, rough=0.6, metallic=0.0, sheen=0.0, spec=0.5):
        m = bpy.data.materials.new(name)
        m.use_nodes = True
        nt = m.node_tree
        bsdf = nt.nodes["Principled BSDF"]
        bsdf.inputs["Roughness"].default_value = rough
        bsdf.inputs["Metallic"].default_value = metallic
        bsdf.inputs["Sheen Weight"].default_value = sheen
        bsdf.inputs["Specular IOR Level"].default_value = spec
        return m, nt, bsdf

    def flat(self, name, rgb, rough=0.6, metallic=0.0, sheen=0.0, spec=0.5):
        m, _, bsdf = self._principled(name, rough, metallic, sheen, spec)
        bsdf.inputs["Base Color"].default_value = lin(rgb)
        return m

    def _coord(self, nt, coord):
        tc = nt.nodes.new("ShaderNodeTexCoord")
        return tc.outputs["UV" if coord == "UV" else "Object"]

    def _ramp(self, nt, fac, c1, c2, p1=0.3, p2=0.7):
        r = nt.nodes.new("ShaderNodeValToRGB")
        e = r.color_ramp.elements
        e[0].position, e[0].color = p1, lin(c1)
        e[1].position, e[1].color = p2, lin(c2)
        nt.links.new(fac, r.inputs["Fac"])
        return r.outputs["Color"]

    def _bump(self, nt, bsdf, height, strength):
        b = nt.nodes.new("ShaderNodeBump")
        b.inputs["Strength"].default_value = strength
        b.inputs["Distance"].default_value = 0.02
        nt.links.new(height, b.inputs["Height"])
        nt.links.new(b.outputs["Normal"], bsdf.inputs["Normal"])

    def noise(self, name, c1, c2, scale=4.0, rough=0.7, detail=6.0, coord="OBJECT", bump=0.0, sheen=0.0):
        m, nt, bsdf = self._principled(name, rough, sheen=sheen)
        n = nt.nodes.new("ShaderNodeTexNoise")
        n.inputs["Scale"].default_value = scale
        n.inputs["Detail"].default_value = detail
        nt.links.new(self._coord(nt, coord), n.inputs["Vector"])
        nt.links.new(self._ramp(nt, n.outputs["Fac"], c1, c2), bsdf.inputs["Base Color"])
        if bump:
            self._bump(nt, bsdf, n.outputs["Fac"], bump)
        return m

    def brick(self, name, c1, c2, mortar, scale=2.0, width=0.45, row=0.13, mortar_size=0.015, rough=0.85, bump=0.3):
        m, nt, bsdf = self._principled(name, rough)
        b = nt.nodes.new("ShaderNodeTexBrick")
        b.offset = 0.5
        for k, v in (("Color1", lin(c1)), ("Color2", lin(c2)), ("Mortar", lin(mortar)), ("Scale", scale),
                     ("Mortar Size", mortar_size), ("Brick Width", width), ("Row Height", row), ("Bias", 0.0)):
            b.inputs[k].default_value = v
        nt.links.new(self._coord(nt, "UV"), b.inputs["Vector"])
        # a little noise on top so bricks are not flat colour
        n = nt.nodes.new("ShaderNodeTexNoise")
        n.inputs["Scale"].default_value = 40.0
        nt.links.new(self._coord(nt, "UV"), n.inputs["Vector"])
        mix = nt.nodes.new("ShaderNodeMix")
        mix.data_type, mix.blend_type = "RGBA", "MULTIPLY"
        mix.inputs[0].default_value = 0.35
        nt.links.new(b.outputs["Color"], mix.inputs[6])
        nt.links.new(n.outputs["Color"], mix.inputs[7])
        nt.links.new(mix.outputs[2], bsdf.inputs["Base Color"])
        if bump:
            self._bump(nt, bsdf, b.outputs["Fac"], bump)
        return m

    def wood(self, name, c1, c2, plank_w=0.16, plank_len=1.2, seam=(0.12, 0.08, 0.05), rough=0.45):
        """Planks: brick layout whose bricks are filled with wave-texture wood grain along u."""
        m, nt, bsdf = self._principled(name, rough)
        uvn = self._coord(nt, "UV")
        w = nt.nodes.new("ShaderNodeTexWave")
        w.wave_type, w.bands_direction = "BANDS", "Y"
        w.inputs["Scale"].default_value = 20.0
        w.inputs["Distortion"].default_value = 3.0
        w.inputs["Detail"].default_value = 3.0
        nt.links.new(uvn, w.inputs["Vector"])
        grain = self._ramp(nt, w.outputs["Fac"], c1, c2, 0.2, 0.8)
        b = nt.nodes.new("ShaderNodeTexBrick")
        b.offset = 0.37
        for k, v in (("Mortar", lin(seam)), ("Scale", 1.0), ("Mortar Size", 0.004), ("Brick Width", plank_len),
                     ("Row Height", plank_w), ("Bias", 0.0)):
            b.inputs[k].default_value = v
        nt.links.new(grain, b.inputs["Color1"])
        nt.links.new(grain, b.inputs["Color2"])
        nt.links.new(uvn, b.inputs["Vector"])
        nt.links.new(b.outputs["Color"], bsdf.inputs["Base Color"])
        return m

    def checker(self, name, c1, c2, scale=4.0, rough=0.5, coord="UV"):
        m, nt, bsdf = self._principled(name, rough)
        c = nt.nodes.new("ShaderNodeTexChecker")
        c.inputs["Color1"].default_value, c.inputs["Color2"].default_value = lin(c1), lin(c2)
        c.inputs["Scale"].default_value = scale
        nt.links.new(self._coord(nt, coord), c.inputs["Vector"])
        nt.links.new(c.outputs["Color"], bsdf.inputs["Base Color"])
        return m

    def image(self, name, pixels, rough=0.45, extension="REPEAT", coord="UV", scale=1.0, emission=0.0):
        """Material from a uint8 (H, W, 3|4) sRGB image; ``scale`` repeats it per UV unit."""
        img = make_image(name, pixels)
        m, nt, bsdf = self._principled(name, rough)
        t = nt.nodes.new("ShaderNodeTexImage")
        t.image, t.extension = img, extension
        mp = nt.nodes.new("ShaderNodeMapping")
        mp.inputs["Scale"].default_value = (scale, scale, scale)
        nt.links.new(self._coord(nt, coord), mp.inputs["Vector"])
        nt.links.new(mp.outputs["Vector"], t.inputs["Vector"])
        nt.links.new(t.outputs["Color"], bsdf.inputs["Base Color"])
        if emission:
            nt.links.new(t.outputs["Color"], bsdf.inputs["Emission Color"])
            bsdf.inputs["Emission Strength"].default_value = emission
        return m

    def emit(self, name, rgb, strength):
        m = bpy.data.materials.new(name)
        m.use_nodes = True
        nt = m.node_tree
        for n in list(nt.nodes):
            nt.nodes.remove(n)
        e = nt.nodes.new("ShaderNodeEmission")
        e.inputs["Color"].default_value = lin(rgb)
        e.inputs["Strength"].default_value = strength
        out = nt.nodes.new("ShaderNodeOutputMaterial")
        nt.links.new(e.outputs[0], out.inputs["Surface"])
        return m

    def face(self, name, photo_rgba, skin_rgb_linear, hair_rgb_linear):
        """Head material: the face photo projected along +y (object space) onto the unit-sphere head; skin on the
        front, hair on the back and top."""
        img = make_image(name + "_photo", photo_rgba)
        m, nt, bsdf = self._principled(name, rough=0.5, spec=0.35)
        sep = nt.nodes.new("ShaderNodeSeparateXYZ")
        nt.links.new(self._coord(nt, "OBJECT"), sep.inputs[0])

        def affine(src, a, b):
            n = nt.nodes.new("ShaderNodeMath")
            n.operation = "MULTIPLY_ADD"
            nt.links.new(src, n.inputs[0])
            n.inputs[1].default_value, n.inputs[2].default_value = a, b
            return n.outputs[0]

        # image left edge (u=0) sits on the character's right (+x); v=0 at the bottom of the crop
        u = affine(sep.outputs["X"], -0.5 / FACE_WX, 0.5)
        v = affine(sep.outputs["Z"], 1 / (FACE_ZTOP - FACE_ZBOT), -FACE_ZBOT / (FACE_ZTOP - FACE_ZBOT))
        uvw = nt.nodes.new("ShaderNodeCombineXYZ")
        nt.links.new(u, uvw.inputs[0])
        nt.links.new(v, uvw.inputs[1])
        tex = nt.nodes.new("ShaderNodeTexImage")
        tex.image, tex.extension = img, "CLIP"
        nt.links.new(uvw.outputs[0], tex.inputs["Vector"])
        front = nt.nodes.new("ShaderNodeMapRange")  # only the front half of the head, faded in over y 0.05..0.35
        front.inputs["From Min"].default_value, front.inputs["From Max"].default_value = 0.05, 0.35
        nt.links.new(sep.outputs["Y"], front.inputs["Value"])
        fac = nt.nodes.new("ShaderNodeMath")
        fac.operation = "MULTIPLY"
        nt.links.new(tex.outputs["Alpha"], fac.inputs[0])
        nt.links.new(front.outputs["Result"], fac.inputs[1])
        skin_zone = nt.nodes.new("ShaderNodeMapRange")  # skin for y > 0.2 (front) below z 0.55, hair elsewhere
        skin_zone.inputs["From Min"].default_value, skin_zone.inputs["From Max"].default_value = -0.1, 0.2
        nt.links.new(sep.outputs["Y"], skin_zone.inputs["Value"])
        below = nt.nodes.new("ShaderNodeMapRange")
        below.inputs["From Min"].default_value, below.inputs["From Max"].default_value = 0.7, 0.5
        nt.links.new(sep.outputs["Z"], below.inputs["Value"])
        zone = nt.nodes.new("ShaderNodeMath")
        zone.operation = "MULTIPLY"
        nt.links.new(skin_zone.outputs["Result"], zone.inputs[0])
        nt.links.new(below.outputs["Result"], zone.inputs[1])
        base = nt.nodes.new("ShaderNodeMix")
        base.data_type = "RGBA"
        nt.links.new(zone.outputs[0], base.inputs[0])
        base.inputs[6].default_value = (*hair_rgb_linear, 1.0)
        base.inputs[7].default_value = (*skin_rgb_linear, 1.0)
        mix = nt.nodes.new("ShaderNodeMix")
        mix.data_type = "RGBA"
        nt.links.new(fac.outputs[0], mix.inputs[0])
        nt.links.new(base.outputs[2], mix.inputs[6])
        nt.links.new(tex.outputs["Color"], mix.inputs[7])
        nt.links.new(mix.outputs[2], bsdf.inputs["Base Color"])
        return m


def make_image(name, pixels):
    """bpy image (sRGB, byte buffer) from a uint8 (H, W), (H, W, 3) or (H, W, 4) array, top row first."""
    a = np.asarray(pixels)
    if a.dtype == bool:
        a = a.astype(np.uint8) * 255
    if a.ndim == 2:
        a = np.stack([a] * 3, -1)
    if a.shape[2] == 3:
        a = np.concatenate([a, np.full(a.shape[:2] + (1,), 255, np.uint8)], -1)
    h, w = a.shape[:2]
    img = bpy.data.images.new(name, w, h, alpha=True)
    img.alpha_mode = "STRAIGHT"
    img.pixels.foreach_set((np.flipud(a).astype(np.float32) / 255.0).ravel())
    img.pack()
    return img


# --------------------------------------------------------------------------------------------------- characters
def face_photo(mirror=False, gain=(1.0, 1.0, 1.0)):
    """Astronaut face crop as RGBA uint8 with a soft elliptical alpha, its mean cheek skin colour and its mean hair
    colour (both linear RGB)."""
    crop = skimage.data.astronaut()[FACE_ROWS[0]:FACE_ROWS[1], FACE_COLS[0]:FACE_COLS[1]].astype(float) / 255
    linear = srgb_to_linear(crop) * np.asarray(gain)
    full = srgb_to_linear(skimage.data.astronaut().astype(float) / 255) * np.asarray(gain)
    cheek = full[115:135, 190:205].reshape(-1, 3).mean(0)  # the photo's left cheek, below the eye
    hair = full[45:60, 203:248].reshape(-1, 3).mean(0) * 0.3  # top of the hair, less its highlights
    rgb = (linear_to_srgb(linear) * 255 + 0.5).astype(np.uint8)
    h, w = rgb.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w]
    r = np.hypot((xx + 0.5) / w - 0.5, ((yy + 0.5) / h - 0.5) * 0.96) / 0.5  # 1 at the ellipse edge
    alpha = (np.clip((1.0 - r) / 0.12, 0, 1) * 255).astype(np.uint8)
    rgba = np.concatenate([rgb, alpha[..., None]], -1)
    if mirror:
        rgba = rgba[:, ::-1].copy()
    return rgba, tuple(float(c) for c in cheek), tuple(float(c) for c in hair)


CHARACTERS = {
    # costume colours are sRGB; skin and hair colours come from the photo (times B's gain for B)
    "A": dict(shirt=(0.55, 0.12, 0.14), trousers=(0.13, 0.15, 0.25), shoes=(0.12, 0.08, 0.06), mirror=False,
              gain=(1.0, 1.0, 1.0)),
    "B": dict(shirt=(0.16, 0.42, 0.40), trousers=(0.52, 0.47, 0.38), shoes=(0.05, 0.05, 0.05), mirror=True,
              gain=B_SKIN_GAIN),
}


def build_character(bld: Builder, key, pos, facing):
    """Stylised standing figure at floor point ``pos`` facing unit vector ``facing`` (xy). Returns its head object."""
    c = CHARACTERS[key]
    yaw = math.atan2(facing[1], facing[0]) - math.pi / 2
    base = Matrix.Translation((pos[0], pos[1], 0.0)) @ Matrix.Rotation(yaw, 4, "Z")
    g = "char" + key
    photo, skin, hair_lin = face_photo(c["mirror"], c["gain"])
    skin_mat = bld.flat(f"{g}_skin", linear_to_srgb(np.asarray(skin)), rough=0.5, spec=0.35)
    shirt = bld.noise(f"{g}_shirt", c["shirt"], np.asarray(c["shirt"]) * 0.8, scale=60, rough=0.8, sheen=0.4,
                      bump=0.15)
    trousers = bld.noise(f"{g}_trousers", c["trousers"], np.asarray(c["trousers"]) * 0.85, scale=80, rough=0.8)
    shoes = bld.flat(f"{g}_shoes", c["shoes"], rough=0.35)
    for s in (-1, 1):
        x = 0.1 * s
        bld.ellipsoid(f"{g}_shoe{s}", (x, 0.05, 0.04), (0.055, 0.13, 0.045), shoes, g, base)
        bld.cylinder(f"{g}_leg{s}", (x, 0, 0.06), (x, 0, 0.88), 0.065, 0.08, trousers, g, base)
        bld.ellipsoid(f"{g}_shoulder{s}", (0.2 * s, 0, 1.41), (0.09, 0.08, 0.07), shirt, g, base)
        bld.cylinder(f"{g}_uparm{s}", (0.23 * s, 0, 1.4), (0.25 * s, 0.03, 1.09), 0.056, 0.048, shirt, g, base)
        bld.cylinder(f"{g}_forearm{s}", (0.25 * s, 0.03, 1.09), (0.24 * s, 0.16, 0.9), 0.047, 0.04, shirt, g, base)
        bld.ellipsoid(f"{g}_hand{s}", (0.24 * s, 0.18, 0.86), (0.035, 0.045, 0.055), skin_mat, g, base)
    bld.ellipsoid(f"{g}_hips", (0, 0, 0.9), (0.18, 0.12, 0.1), trousers, g, base)
    bld.cylinder(f"{g}_torso", (0, 0, 0.88), (0, 0, 1.46), 0.165, 0.205, shirt, g, base, squash=0.62)
    bld.ellipsoid(f"{g}_chest", (0, 0.0, 1.43), (0.2, 0.125, 0.075), shirt, g, base)
    bld.cylinder(f"{g}_neck", (0, 0, 1.45), (0, 0.0, 1.57), 0.047, 0.045, skin_mat, g, base)
    head_mat = bld.face(f"{g}_face", photo, skin, hair_lin)
    head = bld.ellipsoid(f"{g}_head", (0, 0, HEAD_Z), HEAD_RADII, head_mat, g, base, seg=48)
    return head


# --------------------------------------------------------------------------------------------------- staging
A_POS, B_POS = Vector((-0.3, -0.55, 0)), Vector((0.3, 0.55, 0))
CHEAT = math.radians(15)  # both actors open up 15 degrees towards the camera side of the line


def staging():
    """Positions, facings, the camera side and the six cameras (location, target, focal length in mm)."""
    u = (B_POS - A_POS).normalized()
    side = Vector((u.y, -u.x, 0))  # camera side of the line of action (180-degree rule)

    def towards_side(d):
        return (d * math.cos(CHEAT) + side * math.sin(CHEAT)).normalized()

    dA, dB = towards_side(u), towards_side(-u)
    hA = A_POS + Vector((0, 0, HEAD_Z + 0.02))
    hB = B_POS + Vector((0, 0, HEAD_Z + 0.02))
    mid = (hA + hB) / 2
    cams = {
        "wide": (mid - u * 2.9 + side * 1.45 + Vector((0, 0, 0.05)), mid - Vector((0, 0, 0.75)), 20.0),
        "medium": (mid - u * 1.75 + side * 1.15 + Vector((0, 0, -0.05)), mid - Vector((0, 0, 0.2)), 35.0),
        "close-a": (hA + dA * 1.05 + side * 0.2 + Vector((0, 0, 0.0)), hA - Vector((0, 0, 0.03)), 55.0),
        "ots-a": (hA - dA * 0.55 + side * 0.42 + Vector((0, 0, 0.04)), hB - Vector((0, 0, 0.04)) - side * 0.12, 40.0),
        "reverse": (hB - dB * 0.55 + side * 0.42 + Vector((0, 0, 0.04)), hA - Vector((0, 0, 0.04)) - side * 0.12, 40.0),
        "close-b": (hB + dB * 1.05 + side * 0.2, hB - Vector((0, 0, 0.03)), 55.0),
    }
    return dict(u=u, side=side, dA=dA, dB=dB, cams=cams)


def add_camera(scene, name, loc, target, focal):
    cam = bpy.data.cameras.new(name)
    cam.lens, cam.sensor_width, cam.sensor_fit = focal, 36.0, "HORIZONTAL"
    cam.clip_start, cam.clip_end = 0.05, 200.0
    obj = bpy.data.objects.new(name, cam)
    scene.collection.objects.link(obj)
    obj.location = loc
    obj.rotation_euler = (Vector(target) - Vector(loc)).to_track_quat("-Z", "Y").to_euler()
    return obj


# --------------------------------------------------------------------------------------------------- rooms & props
def room(bld, name, half_x, half_y, height, walls, floor, ceiling, windows=()):
    """Closed room x in [-half_x, half_x], y in [-half_y, half_y]; ``walls`` maps back/front/left/right to materials.
    ``windows``: (side, centre_along_wall, sill, width, height). The ceiling is camera-only: world fill enters from
    above as on a studio set without a ceiling."""
    t = 0.2
    bld.box(f"{name}_floor", (0, 0, -0.05), (2 * half_x + 2 * t, 2 * half_y + 2 * t, 0.1), floor, "floor")
    bld.box(f"{name}_ceiling", (0, 0, height + 0.05), (2 * half_x + 2 * t, 2 * half_y + 2 * t, 0.1), ceiling,
            "ceiling", camera_only=True)
    spec = {"back": ((0, half_y + t / 2), "x", half_x), "front": ((0, -half_y - t / 2), "x", half_x),
            "left": ((-half_x - t / 2, 0), "y", half_y), "right": ((half_x + t / 2, 0), "y", half_y)}
    for side, ((cx, cy), along, half) in spec.items():
        win = [w for w in windows if w[0] == side]
        pieces = []  # (a0, a1, z0, z1) along the wall
        if not win:
            pieces.append((-half - t, half + t, 0, height))
        else:
            _, c, sill, ww, wh = win[0]
            pieces += [(-half - t, c - ww / 2, 0, height), (c + ww / 2, half + t, 0, height),
                       (c - ww / 2, c + ww / 2, 0, sill), (c - ww / 2, c + ww / 2, sill + wh, height)]
        for i, (a0, a1, z0, z1) in enumerate(pieces):
            ac, al = (a0 + a1) / 2, a1 - a0
            center = (ac, cy, (z0 + z1) / 2) if along == "x" else (cx, ac, (z0 + z1) / 2)
            size = (al, t, z1 - z0) if along == "x" else (t, al, z1 - z0)
            bld.box(f"{name}_wall_{side}{i}", center, size, walls[side], f"wall_{side}")


def framed_picture(bld, name, pixels, center, width, yaw, frame_mat):
    h = width * pixels.shape[0] / pixels.shape[1]
    fwd = Vector((math.sin(yaw), -math.cos(yaw), 0))  # the picture's viewing side
    bld.box(f"{name}_frame", Vector(center) - fwd * 0.01, (width + 0.08, 0.03, h + 0.08), frame_mat, name, yaw=yaw)
    bld.quad(f"{name}_img", Vector(center) + fwd * 0.006, width, h, yaw, bld.image(f"{name}_mat", pixels), name)


def table(bld, name, center, size, top_mat, leg_mat):
    x, y, _ = center
    w, d, h = size
    bld.box(f"{name}_top", (x, y, h - 0.025), (w, d, 0.05), top_mat, name)
    for sx in (-1, 1):
        for sy in (-1, 1):
            bld.box(f"{name}_leg{sx}{sy}", (x + sx * (w / 2 - 0.05), y + sy * (d / 2 - 0.05), (h - 0.05) / 2),
                    (0.05, 0.05, h - 0.05), leg_mat, name)


def books(bld, name, x0, y, z, length, yaw_axis="x", depth=0.2):
    """A row of books standing on a shelf from x0 along +x (or +y)."""
    rng = bld.rng
    palette = [(0.55, 0.1, 0.1), (0.1, 0.25, 0.5), (0.75, 0.62, 0.2), (0.15, 0.4, 0.2), (0.85, 0.82, 0.75),
               (0.3, 0.15, 0.35), (0.9, 0.45, 0.1), (0.1, 0.1, 0.1)]
    a = 0.0
    i = 0
    while a < length - 0.05:
        t = rng.uniform(0.025, 0.06)
        h = rng.uniform(0.18, 0.3)
        col = palette[rng.randrange(len(palette))]
        mat = bld.flat(f"{name}_m{i}", col, rough=rng.uniform(0.3, 0.7))
        c = (x0 + a + t / 2, y, z + h / 2) if yaw_axis == "x" else (x0, y + a + t / 2, z + h / 2)
        s = (t, depth, h) if yaw_axis == "x" else (depth, t, h)
        bld.box(f"{name}_{i}", c, s, mat, name)
        a += t + 0.003
        i += 1


def bookshelf(bld, name, center, width, height, wood_mat, axis="x"):
    x, y, _ = center
    depth = 0.32
    dims = (width, depth, height) if axis == "x" else (depth, width, height)
    for i, z in enumerate(np.linspace(0.02, height - 0.02, 5)):
        bld.box(f"{name}_shelf{i}", (x, y, z), (dims[0], dims[1], 0.03), wood_mat, name)
        if i < 4:
            if axis == "x":
                books(bld, f"{name}_row{i}", x - width / 2 + 0.04, y, z + 0.015, width - 0.08, "x")
            else:
                books(bld, f"{name}_row{i}", x, y - width / 2 + 0.04, z + 0.015, width - 0.08, "y")
    for s in (-1, 1):
        c = (x + s * width / 2, y, height / 2) if axis == "x" else (x, y + s * width / 2, height / 2)
        bld.box(f"{name}_side{s}", c, (0.03, depth, height) if axis == "x" else (depth, 0.03, height), wood_mat, name)


def plant(bld, name, pos, scale=1.0):
    x, y = pos
    pot = bld.noise(f"{name}_pot", (0.62, 0.32, 0.2), (0.5, 0.25, 0.16), scale=20, rough=0.8)
    leaf = bld.noise(f"{name}_leaves", (0.12, 0.35, 0.1), (0.3, 0.5, 0.15), scale=12, rough=0.6, bump=0.4)
    bld.cylinder(f"{name}_pot", (x, y, 0), (x, y, 0.35 * scale), 0.14 * scale, 0.19 * scale, pot, name)
    for i, (dx, dy, dz, r) in enumerate([(0, 0, 0.65, 0.28), (0.12, 0.05, 0.9, 0.2), (-0.1, -0.06, 0.95, 0.18),
                                         (0.02, 0.1, 1.15, 0.15)]):
        bld.ellipsoid(f"{name}_leaf{i}", (x + dx * scale, y + dy * scale, dz * scale), (r * scale,) * 3, leaf, name)


def sofa(bld, name, center, width, yaw, fabric):
    rot = Matrix.Rotation(yaw, 4, "Z")
    c = Vector(center)

    def part(nm, off, size):
        p = c + rot @ Vector(off)
        bld.box(f"{name}_{nm}", p, size, fabric, name, yaw=yaw)

    part("seat", (0, 0, 0.22), (width, 0.85, 0.44))
    part("back", (0, 0.35, 0.6), (width, 0.2, 0.45))
    for s in (-1, 1):
        part(f"arm{s}", (s * (width / 2 - 0.1), 0, 0.55), (0.2, 0.85, 0.3))
    cushion = bld.flat(f"{name}_cushion", (0.8, 0.65, 0.3), rough=0.9, sheen=0.5)
    for i, dx in enumerate((-0.45, 0.4)):
        p = c + rot @ Vector((dx, 0.2, 0.62))
        bld.box(f"{name}_cushion{i}", p, (0.4, 0.12, 0.36), cushion, name, yaw=yaw)


def crates(bld, name, base, n, mat):
    rng = bld.rng
    for i in range(n):
        s = rng.uniform(0.35, 0.55)
        x = base[0] + rng.uniform(-0.4, 0.4)
        y = base[1] + rng.uniform(-0.3, 0.3)
        z = s / 2 if i < n - 1 else s / 2 + 0.5
        bld.box(f"{name}_{i}", (x, y, z), (s, s, s), mat, name, yaw=rng.uniform(-0.4, 0.4))


def world(scene, temperature, strength):
    w = bpy.data.worlds.new("world")
    scene.world = w
    w.use_nodes = True
    nt = w.node_tree
    bg = nt.nodes["Background"]
    bb = nt.nodes.new("ShaderNodeBlackbody")
    bb.inputs["Temperature"].default_value = temperature
    nt.links.new(bb.outputs[0], bg.inputs["Color"])
    bg.inputs["Strength"].default_value = strength
    return {"temperature_K": temperature, "strength": strength}


def add_light(scene, name, kind, loc, temperature, energy, target=None, size=None, angle=None, radius=None):
    ld = bpy.data.lights.new(name, kind)
    ld.use_temperature, ld.temperature = True, temperature
    ld.energy = energy
    if size is not None:
        ld.shape, ld.size, ld.size_y = "RECTANGLE", size[0], size[1]
    if angle is not None:
        ld.angle = math.radians(angle)
    if radius is not None:
        ld.shadow_soft_size = radius
    obj = bpy.data.objects.new(name, ld)
    scene.collection.objects.link(obj)
    obj.location = loc
    if target is not None:
        obj.rotation_euler = (Vector(target) - Vector(loc)).to_track_quat("-Z", "Y").to_euler()
    info = {"name": name, "type": kind, "temperature_K": temperature,
            "rgb_linear": [round(v, 4) for v in ld.temperature_color], "location_m": [round(v, 3) for v in loc]}
    info["energy"] = energy
    info["energy_unit"] = "W/m^2 (irradiance)" if kind == "SUN" else "W"
    if size is not None:
        info["size_m"] = list(size)
    if angle is not None:
        info["angle_deg"] = angle
    if radius is not None:
        info["radius_m"] = radius
    return info


# --------------------------------------------------------------------------------------------------- the four sets
def set_tungsten_living(bld, scene):
    """Evening living room lit by one 3200 K floor lamp; dim neutral world fill from above."""
    walls = bld.noise("plaster_warm", (0.78, 0.72, 0.62), (0.7, 0.64, 0.55), scale=3, rough=0.9, bump=0.2)
    brick = bld.brick("brick_red", (0.55, 0.25, 0.18), (0.45, 0.2, 0.15), (0.75, 0.72, 0.68))
    floor = bld.wood("oak_floor", (0.55, 0.36, 0.2), (0.38, 0.23, 0.12))
    room(bld, "living", 4.0, 3.6, 2.8, {"back": brick, "front": walls, "left": walls, "right": walls}, floor,
         bld.flat("ceiling_grey", (0.55, 0.55, 0.53)))
    wood = bld.wood("walnut", (0.35, 0.2, 0.1), (0.22, 0.12, 0.06), plank_w=0.5)
    metal = bld.flat("black_metal", (0.05, 0.05, 0.05), rough=0.35, metallic=1.0)
    frame = bld.flat("gilt_frame", (0.6, 0.48, 0.25), rough=0.35, metallic=0.8)
    sofa(bld, "sofa", (-1.7, 2.4, 0), 2.2, 0.0, bld.noise("velvet_green", (0.15, 0.35, 0.28), (0.1, 0.28, 0.22),
                                                          scale=30, rough=0.9, sheen=0.8))
    table(bld, "coffee_table", (-1.6, 1.3, 0), (1.2, 0.6, 0.45), wood, metal)
    rug = bld.checker("rug_check", (0.65, 0.2, 0.15), (0.85, 0.75, 0.55), scale=3.0, rough=1.0)
    bld.box("rug", (-0.6, 0.9, 0.005), (3.2, 2.2, 0.01), rug, "rug")
    bookshelf(bld, "shelf", (2.4, 3.35, 0), 1.6, 2.0, wood)
    bookshelf(bld, "shelf2", (-3.75, -1.2, 0), 1.8, 1.8, wood, axis="y")
    plant(bld, "plant", (3.4, 2.9))
    plant(bld, "plant2", (-3.3, -3.1), 0.8)
    framed_picture(bld, "coffee_print", skimage.data.coffee(), (-1.7, 3.48, 1.7), 1.2, 0.0, frame)
    framed_picture(bld, "cat_print", skimage.data.chelsea(), (-2.2, -3.48, 1.55), 1.0, math.pi, frame)
    framed_picture(bld, "rocket_print", skimage.data.rocket(), (3.88, -0.8, 1.6), 1.1, -math.pi / 2, frame)
    framed_picture(bld, "cells_print", skimage.data.immunohistochemistry(), (-3.88, 1.6, 1.6), 0.8, math.pi / 2,
                   frame)
    box = bld.noise("cardboard", (0.6, 0.45, 0.3), (0.5, 0.37, 0.24), scale=25, rough=0.9)
    crates(bld, "boxes", (3.2, -2.8), 3, box)
    table(bld, "side_table", (2.9, -2.2, 0), (0.6, 0.6, 0.7), wood, metal)
    bld.box("vase", (2.9, -2.2, 0.82), (0.12, 0.12, 0.24), bld.flat("vase_blue", (0.15, 0.3, 0.6), rough=0.15), "vase")
    # the lamp: pole, base and a shade that is seen by the camera but does not block the bulb
    lamp_xy = (1.9, -1.3)
    bld.cylinder("lamp_base", (*lamp_xy, 0), (*lamp_xy, 0.03), 0.16, 0.16, metal, "lamp")
    bld.cylinder("lamp_pole", (*lamp_xy, 0.03), (*lamp_xy, 1.55), 0.015, 0.015, metal, "lamp")
    bld.cylinder("lamp_shade", (*lamp_xy, 1.5), (*lamp_xy, 1.82), 0.24, 0.16, bld.emit("shade", (1.0, 0.75, 0.45), 2.0),
                 "lamp", camera_only=True, caps=False)
    key = add_light(scene, "key_lamp", "POINT", (lamp_xy[0], lamp_xy[1], 1.72), 3200, 300.0, radius=0.12)
    fill = world(scene, 5000, 0.12)
    return key, None, fill, 0.22


def set_daylight_window(bld, scene):
    """Daytime room: one 5600 K area light filling a window on the camera-side wall; soft sky fill."""
    walls = bld.noise("paint_blue_grey", (0.66, 0.72, 0.76), (0.6, 0.66, 0.7), scale=2.5, rough=0.9, bump=0.1)
    accent = bld.noise("paint_sage", (0.55, 0.62, 0.48), (0.5, 0.57, 0.43), scale=2.5, rough=0.9, bump=0.1)
    floor = bld.checker("tiles", (0.82, 0.8, 0.76), (0.25, 0.25, 0.27), scale=2.5, rough=0.3)
    room(bld, "studio", 3.6, 3.6, 2.9, {"back": accent, "front": walls, "left": walls, "right": walls}, floor,
         bld.flat("ceiling_white", (0.9, 0.9, 0.9)), windows=[("right", -1.0, 0.8, 1.8, 1.6)])
    # bright exterior seen through the window (camera-only) and a window frame
    bld.quad("outside", (5.0, -1.0, 1.6), 4.5, 3.5, -math.pi / 2, bld.image("outside_sky", skimage.data.coffee()[::-1],
                                                                           emission=3.0), "outside", camera_only=True)
    white = bld.flat("frame_white", (0.92, 0.92, 0.9), rough=0.4)
    for i, (dy, dz, sy, sz) in enumerate([(0, 0.8, 1.9, 0.06), (0, 2.4, 1.9, 0.06), (-0.93, 1.6, 0.06, 1.6),
                                          (0.93, 1.6, 0.06, 1.6), (0, 1.6, 0.04, 1.6), (0, 1.6, 1.8, 0.04)]):
        bld.box(f"window_frame{i}", (3.62, -1.0 + dy, dz), (0.08, sy, sz), white, "window_frame")
    wood = bld.wood("pine", (0.78, 0.6, 0.38), (0.62, 0.45, 0.26), plank_w=0.3)
    steel = bld.flat("steel", (0.6, 0.6, 0.62), rough=0.25, metallic=1.0)
    frame = bld.flat("black_frame", (0.04, 0.04, 0.04), rough=0.5)
    table(bld, "desk", (-2.4, 2.6, 0), (1.8, 0.8, 0.76), wood, steel)
    bld.box("laptop", (-2.5, 2.5, 0.77), (0.36, 0.26, 0.02), bld.flat("alu", (0.7, 0.7, 0.72), 0.3, 1.0), "laptop")
    books(bld, "desk_books", -1.9, 2.75, 0.76, 0.4)
    bookshelf(bld, "shelf", (-3.35, -0.6, 0), 2.2, 2.2, wood, axis="y")
    bookshelf(bld, "shelf_front", (1.2, -3.35, 0), 1.6, 1.6, wood)
    plant(bld, "plant", (2.9, 2.9), 1.2)
    plant(bld, "plant2", (-2.9, -3.0))
    framed_picture(bld, "hubble_print", skimage.data.hubble_deep_field()[100:700, 100:900], (0.6, 3.58, 1.55), 1.3,
                   0.0, frame)
    framed_picture(bld, "rocket_print", skimage.data.rocket(), (-1.8, -3.58, 1.55), 1.1, math.pi, frame)
    framed_picture(bld, "retina_print", skimage.data.retina()[::4, ::4], (3.58, 2.0, 1.55), 0.7, -math.pi / 2, frame)
    chair = bld.flat("chair_orange", (0.85, 0.4, 0.1), rough=0.4)
    bld.box("chair_seat", (-2.4, 1.95, 0.45), (0.48, 0.45, 0.05), chair, "chair")
    bld.box("chair_back", (-2.4, 1.73, 0.75), (0.48, 0.04, 0.55), chair, "chair")
    for sx in (-1, 1):
        for sy in (-1, 1):
            bld.box(f"chair_leg{sx}{sy}", (-2.4 + sx * 0.2, 1.95 + sy * 0.19, 0.22), (0.03, 0.03, 0.44), steel, "chair")
    box = bld.noise("cardboard", (0.6, 0.45, 0.3), (0.5, 0.37, 0.24), scale=25, rough=0.9)
    crates(bld, "boxes", (2.6, 0.9), 3, box)
    key = add_light(scene, "key_window", "AREA", (3.55, -1.0, 1.6), 5600, 900.0, target=(0.0, -0.4, 1.2),
                    size=(1.8, 1.6))
    fill = world(scene, 7500, 0.35)
    return key, None, fill, 0.28


def set_night_alley(bld, scene):
    """Night exterior: a bluish moon (sun lamp, 12000 K) and one warm 2700 K street lantern; deep blue sky fill."""
    ground = bld.brick("cobbles", (0.42, 0.42, 0.45), (0.32, 0.33, 0.36), (0.15, 0.15, 0.15), scale=4.0, width=0.5,
                       row=0.3, mortar_size=0.02, rough=0.6, bump=0.6)
    brick = bld.brick("brick_dark", (0.45, 0.22, 0.16), (0.36, 0.2, 0.16), (0.5, 0.48, 0.45))
    render_w = bld.noise("render_ochre", (0.72, 0.6, 0.42), (0.6, 0.5, 0.35), scale=2, rough=0.95, bump=0.4)
    bld.box("ground", (0, 0, -0.05), (30, 30, 0.1), ground, "floor")
    bld.box("wall_back", (0, 4.2, 2.5), (16, 0.4, 5), brick, "wall_back")
    bld.box("wall_left", (-4.2, 0, 3.5), (0.4, 16, 7), render_w, "wall_left")
    bld.box("wall_front", (0, -5.2, 2.0), (16, 0.4, 4), brick, "wall_front")
    bld.box("wall_right", (6.0, -1.0, 2.0), (0.4, 8, 4), render_w, "wall_right")
    # windows with warm light behind them (camera-only), a door, posters
    glow = bld.emit("window_glow", (1.0, 0.7, 0.4), 1.5)
    dark_glass = bld.flat("dark_glass", (0.03, 0.04, 0.05), rough=0.05)
    for i, (x, z, lit) in enumerate([(-2.2, 3.6, True), (0.6, 3.6, False), (3.0, 3.6, True), (1.8, 1.5, False)]):
        bld.box(f"window{i}", (x, 3.99, z), (1.0, 0.02, 1.3), glow if lit else dark_glass, "windows",
                camera_only=lit)
    door = bld.wood("door_green", (0.12, 0.3, 0.22), (0.1, 0.25, 0.18), plank_w=0.12, plank_len=3.0)
    bld.box("door", (-4.0, 1.4, 1.05), (0.05, 1.0, 2.1), door, "door")
    paper = bld.flat("paper", (0.8, 0.78, 0.7), rough=0.9)
    framed_picture(bld, "poster_rocket", skimage.data.rocket(), (-1.0, 3.98, 1.6), 1.0, 0.0, paper)
    framed_picture(bld, "poster_coffee", skimage.data.coffee(), (-2.5, -4.98, 1.6), 1.1, math.pi, paper)
    framed_picture(bld, "poster_cat", skimage.data.chelsea(), (0.8, -4.98, 1.7), 0.9, math.pi, paper)
    framed_picture(bld, "poster_cells", skimage.data.immunohistochemistry(), (-3.98, -1.8, 1.6), 0.8, math.pi / 2,
                   paper)
    metal = bld.flat("bin_green", (0.1, 0.28, 0.15), rough=0.5, metallic=0.6)
    for i, x in enumerate((2.6, 3.4)):
        bld.box(f"bin{i}", (x, 3.6, 0.55), (0.7, 0.7, 1.1), metal, "bins")
    crate = bld.wood("crate_wood", (0.6, 0.45, 0.28), (0.48, 0.35, 0.2), plank_w=0.1, plank_len=0.6)
    crates(bld, "crates", (-3.2, -3.6), 4, crate)
    crates(bld, "crates2", (4.8, 0.8), 3, crate)
    bench = bld.wood("bench_wood", (0.5, 0.32, 0.18), (0.38, 0.24, 0.12), plank_w=0.09)
    table(bld, "bench", (-3.5, 2.8, 0), (0.5, 1.6, 0.45), bench, bld.flat("iron", (0.08, 0.08, 0.08), 0.4, 1.0))
    plant(bld, "planter", (4.9, -3.8), 1.1)
    bld.cylinder("lamp_post", (2.2, -1.6, 0), (2.2, -1.6, 3.2), 0.06, 0.05, bld.flat("iron", (0.08, 0.08, 0.08), 0.4, 1.0),
                 "lamp_post")
    bld.box("lantern", (2.2, -1.6, 3.3), (0.24, 0.24, 0.3), bld.emit("lantern_glass", (1.0, 0.72, 0.4), 6.0),
            "lamp_post", camera_only=True)
    key = add_light(scene, "key_moon", "SUN", (0, 0, 10), 12000, 2.0, target=(-0.6, -0.5, 8.9), angle=0.5)
    practical = add_light(scene, "practical_lantern", "POINT", (2.2, -1.6, 3.3), 2700, 100.0, radius=0.1)
    fill = world(scene, 12000, 0.05)
    return key, practical, fill, 0.08


def set_overcast_courtyard(bld, scene):
    """Daytime courtyard under a grey sky: one very soft 6500 K sun plus a bright overcast world."""
    gravel = skimage.data.gravel()
    ground = bld.image("gravel", np.stack([gravel, (gravel * 0.97).astype(np.uint8), (gravel * 0.9).astype(np.uint8)],
                                          -1), rough=0.9, scale=0.5)
    stone = bld.brick("stone_blocks", (0.72, 0.7, 0.65), (0.64, 0.62, 0.58), (0.45, 0.44, 0.42), scale=1.0, width=0.6,
                      row=0.3, mortar_size=0.01, bump=0.2)
    plaster = bld.noise("plaster_pink", (0.8, 0.62, 0.58), (0.72, 0.55, 0.5), scale=1.5, rough=0.95, bump=0.3)
    brick = bld.brick("brick_yellow", (0.78, 0.66, 0.42), (0.7, 0.58, 0.38), (0.6, 0.58, 0.55))
    bld.box("ground", (0, 0, -0.05), (40, 40, 0.1), ground, "floor")
    path = bld.brick("pavers", (0.55, 0.5, 0.45), (0.48, 0.43, 0.4), (0.3, 0.3, 0.3), scale=2.0, width=0.5, row=0.25,
                     rough=0.7)
    bld.box("path", (0.5, 0.5, 0.005), (2.2, 14, 0.01), path, "path", yaw=math.radians(-29))
    bld.box("bld_back", (0, 6.5, 5), (20, 1, 10), brick, "wall_back")
    bld.box("bld_left", (-6.5, 0, 4), (1, 20, 8), plaster, "wall_left")
    bld.box("bld_front", (0, -6.5, 6), (20, 1, 12), stone, "wall_front")
    bld.box("bld_right", (6.5, 0, 3.5), (1, 20, 7), plaster, "wall_right")
    glass = bld.flat("window_glass", (0.08, 0.1, 0.12), rough=0.05)
    frame = bld.flat("frame_white", (0.9, 0.9, 0.88), rough=0.4)
    for wall, fixed, axis in (("back", 5.99, "x"), ("left", -5.99, "y"), ("front", -5.99, "x"), ("right", 5.99, "y")):
        for j, a in enumerate((-3.5, -1.0, 1.5, 4.0)):
            for k, z in enumerate((1.6, 4.2)):
                if wall in ("back", "front") and k == 0 and j == 1:
                    continue  # leave room for a door
                c = (a, fixed, z) if axis == "x" else (fixed, a, z)
                s = (1.0, 0.04, 1.4) if axis == "x" else (0.04, 1.0, 1.4)
                s2 = (1.15, 0.02, 1.55) if axis == "x" else (0.02, 1.15, 1.55)
                c2 = (a, fixed - 0.01 * (1 if fixed > 0 else -1), z) if axis == "x" else (fixed, a, z)
                bld.box(f"frame_{wall}{j}{k}", c, s2, frame, "windows")
                bld.box(f"glass_{wall}{j}{k}", c2, s, glass, "windows")
    door = bld.flat("door_blue", (0.12, 0.22, 0.45), rough=0.5)
    bld.box("door_back", (-1.0, 5.98, 1.1), (1.1, 0.06, 2.2), door, "door")
    bld.box("door_front", (-1.0, -5.98, 1.1), (1.1, 0.06, 2.2), door, "door")
    framed_picture(bld, "sign_coffee", skimage.data.coffee(), (2.6, -5.97, 2.3), 1.4, math.pi, frame)
    framed_picture(bld, "sign_rocket", skimage.data.rocket(), (5.97, 1.0, 2.0), 1.2, -math.pi / 2, frame)
    wood = bld.wood("bench_teak", (0.55, 0.38, 0.22), (0.42, 0.28, 0.15), plank_w=0.1)
    iron = bld.flat("iron", (0.08, 0.08, 0.08), 0.4, 1.0)
    table(bld, "bench", (-2.8, 3.2, 0), (1.8, 0.5, 0.45), wood, iron)
    table(bld, "cafe_table", (2.6, 2.2, 0), (0.8, 0.8, 0.74), bld.flat("marble", (0.9, 0.88, 0.85), 0.2), iron)
    for i, (x, y) in enumerate([(-4.5, -4.5), (4.5, 4.8), (-4.8, 4.8), (4.5, -4.5)]):
        plant(bld, f"planter{i}", (x, y), 1.6)
    trunk = bld.noise("bark", (0.32, 0.25, 0.18), (0.22, 0.17, 0.12), scale=15, rough=0.95, bump=0.8)
    crown = bld.noise("crown", (0.2, 0.38, 0.12), (0.35, 0.48, 0.18), scale=6, rough=0.7, bump=0.5)
    bld.cylinder("tree_trunk", (-3.0, -2.4, 0), (-3.0, -2.4, 2.6), 0.16, 0.11, trunk, "tree")
    for i, (dx, dy, dz, r) in enumerate([(0, 0, 3.2, 1.1), (0.6, 0.3, 3.7, 0.8), (-0.5, -0.3, 3.8, 0.8)]):
        bld.ellipsoid(f"tree_crown{i}", (-3.0 + dx, -2.4 + dy, dz), (r, r, r * 0.9), crown, "tree")
    crate = bld.wood("crate_wood", (0.6, 0.45, 0.28), (0.48, 0.35, 0.2), plank_w=0.1, plank_len=0.6)
    crates(bld, "crates", (4.6, -1.8), 4, crate)
    bike = bld.flat("bike_red", (0.7, 0.08, 0.06), rough=0.3, metallic=0.5)
    for i, x in enumerate((-1.9, -1.0)):
        bld.cylinder(f"bike_wheel{i}", (x, -5.5, 0.35), (x, -5.45, 0.35), 0.33, 0.33, iron, "bike")
    bld.cylinder("bike_frame", (-1.9, -5.47, 0.35), (-1.3, -5.47, 0.85), 0.03, 0.03, bike, "bike")
    bld.cylinder("bike_frame2", (-1.3, -5.47, 0.85), (-1.0, -5.47, 0.35), 0.03, 0.03, bike, "bike")
    key = add_light(scene, "key_overcast_sun", "SUN", (0, 0, 12), 6500, 1.4, target=(0.6, 0.3, 11.0), angle=35.0)
    fill = world(scene, 7000, 0.9)
    return key, None, fill, 0.22


# Each set builder returns (key light info, practical light info or None, world fill info, face luminance target).
SET_BUILDERS = {"tungsten_living": set_tungsten_living, "daylight_window": set_daylight_window,
                "night_alley": set_night_alley, "overcast_courtyard": set_overcast_courtyard}


# --------------------------------------------------------------------------------------------------- analysis
def _pixel(scene, cam, p, w, h):
    v = world_to_camera_view(scene, cam, Vector(p))
    return v.x * w, (1 - v.y) * h, v.z


def _visible(scene, dg, origin, point, tol=0.01):
    d = Vector(point) - Vector(origin)
    hit, *_ = scene.ray_cast(dg, Vector(origin), d.normalized(), distance=max(d.length - tol, 0.0))
    return not hit


def analyse_cameras(scene, cams, heads, facings, w, h, grid=(64, 36)):
    """Geometry truth per camera: face boxes, scale, visible surfaces and shared background.

    * ``faces[X]``: the photo's Haar face box projected from the head surface (pixels x0, y0, x1, y1), the head's
      projected height ``head_px`` (2 x 0.122 m at the head centre, orthogonal to the view ray; None when the face
      centre is off-screen), the face's yaw away
      from the camera, and ``visible`` (ray from camera to the face centre unobstructed, and yaw < 90 deg).
    * ``surfaces``: fraction of a ``grid`` of camera rays hitting each object group (``char*`` = characters).
    * ``shares_background[Y]``: fraction of this camera's non-character ray hits that camera Y also sees (inside Y's
      frame, in front of it, unoccluded). 0 = no common background points; not symmetric.
    """
    dg = bpy.context.evaluated_depsgraph_get()
    out = {}
    hits = {}
    for name, cam in cams.items():
        mw = cam.matrix_world
        frame = [mw.to_3x3() @ v for v in cam.data.view_frame(scene=scene)]  # tr, br, bl, tl (camera space -> world)
        tr, br, bl, tl = frame
        origin = mw.translation
        counts: dict[str, int] = {}
        bg_points = []
        gx, gy = grid
        for j in range(gy):
            for i in range(gx):
                fx, fy = (i + 0.5) / gx, (j + 0.5) / gy
                top = tl.lerp(tr, fx)
                bottom = bl.lerp(br, fx)
                d = top.lerp(bottom, fy).normalized()
                hit, loc, _, _, obj, _ = scene.ray_cast(dg, origin, d, distance=500.0)
                grp = obj.get("group", obj.name) if hit else "sky"
                counts[grp] = counts.get(grp, 0) + 1
                if hit and not str(grp).startswith("char"):
                    bg_points.append(loc.copy())
        n = gx * gy
        hits[name] = bg_points
        out[name] = {"surfaces": {k: round(v / n, 4) for k, v in sorted(counts.items(), key=lambda kv: -kv[1])}}
    for name in cams:
        shared = {}
        for other, ocam in cams.items():
            if other == name:
                continue
            pts = hits[name]
            seen = 0
            for p in pts:
                v = world_to_camera_view(scene, ocam, p)
                if 0 <= v.x <= 1 and 0 <= v.y <= 1 and v.z > 0.05 and _visible(scene, dg, ocam.matrix_world.translation, p):
                    seen += 1
            shared[other] = round(seen / max(len(pts), 1), 4)
        out[name]["shares_background"] = shared
    # faces
    u0 = (HAAR_BOX_ON_PHOTO[0] - FACE_COLS[0]) / (FACE_COLS[1] - FACE_COLS[0])
    u1 = (HAAR_BOX_ON_PHOTO[0] + HAAR_BOX_ON_PHOTO[2] - FACE_COLS[0]) / (FACE_COLS[1] - FACE_COLS[0])
    t0 = (HAAR_BOX_ON_PHOTO[1] - FACE_ROWS[0]) / (FACE_ROWS[1] - FACE_ROWS[0])
    t1 = (HAAR_BOX_ON_PHOTO[1] + HAAR_BOX_ON_PHOTO[3] - FACE_ROWS[0]) / (FACE_ROWS[1] - FACE_ROWS[0])

    def surface(head, u, t):  # photo coords (u right, t down) -> world point on the head's front
        x = (0.5 - u) * 2 * FACE_WX
        z = FACE_ZTOP - t * (FACE_ZTOP - FACE_ZBOT)
        y = math.sqrt(max(1 - x * x - z * z, 0.0))
        return head.matrix_world @ Vector((x, y, z))

    for name, cam in cams.items():
        origin = cam.matrix_world.translation
        up = cam.matrix_world.to_3x3() @ Vector((0, 1, 0))
        faces = {}
        for key, head in heads.items():
            centre = head.matrix_world.translation
            pts = [surface(head, u, t) for u in np.linspace(u0, u1, 5) for t in np.linspace(t0, t1, 5)]
            px = [_pixel(scene, cam, p, w, h) for p in pts]
            xs, ys = [p[0] for p in px], [p[1] for p in px]
            box = None
            if all(p[2] > 0 for p in px) and max(xs) > 0 and min(xs) < w and max(ys) > 0 and min(ys) < h:
                box = [round(min(xs), 1), round(min(ys), 1), round(max(xs), 1), round(max(ys), 1)]
            a = _pixel(scene, cam, centre + up * HEAD_RADII[2], w, h)
            b = _pixel(scene, cam, centre - up * HEAD_RADII[2], w, h)
            to_cam = (origin - centre)
            to_cam.z = 0
            f = facings[key]
            yaw = math.degrees(math.atan2(f.x * to_cam.y - f.y * to_cam.x, f.dot(to_cam)))
            face_centre = surface(head, (u0 + u1) / 2, (t0 + t1) / 2)
            fc = _pixel(scene, cam, face_centre, w, h)
            in_frame = 0 <= fc[0] < w and 0 <= fc[1] < h and fc[2] > 0
            unblocked = _visible(scene, dg, origin, face_centre, tol=0.005)
            faces[key] = {
                "box_px": box,  # may extend past the frame edge; None when off-screen
                "head_px": round(math.hypot(a[0] - b[0], a[1] - b[1]), 1) if in_frame else None,
                "yaw_deg": round(yaw, 1),
                "distance_m": round((origin - centre).length, 3),
                "in_frame": bool(in_frame),
                "visible": bool(in_frame and unblocked and abs(yaw) < 90),
            }
        out[name]["faces"] = faces
    for name in cams:
        cur, wide = out[name]["faces"], out["wide"]["faces"]
        out[name]["scale_vs_wide"] = {k: round(cur[k]["head_px"] / wide[k]["head_px"], 2) if cur[k]["head_px"] and
                                      wide[k]["head_px"] else None for k in heads}
    return out


# --------------------------------------------------------------------------------------------------- render
@contextlib.contextmanager
def redirect_fd(path):
    """Send C-level stdout (Cycles' progress lines) to ``path`` while rendering."""
    sys.stdout.flush()
    saved = os.dup(1)
    with open(path, "a") as f:
        os.dup2(f.fileno(), 1)
        try:
            yield
        finally:
            sys.stdout.flush()
            os.dup2(saved, 1)
            os.close(saved)


def configure(scene, w, h, samples, seed, exposure):
    r = scene.render
    r.engine = "CYCLES"
    r.resolution_x, r.resolution_y, r.resolution_percentage = w, h, 100
    r.use_persistent_data = True
    r.image_settings.file_format, r.image_settings.color_mode, r.image_settings.color_depth = "PNG", "RGB", "8"
    r.image_settings.compression = 90
    r.dither_intensity = 0.0
    c = scene.cycles
    c.device = "CPU"
    c.samples, c.seed, c.use_animated_seed = samples, seed, False
    c.use_adaptive_sampling, c.adaptive_threshold = True, 0.02
    c.use_denoising, c.denoiser = True, "OPENIMAGEDENOISE"
    c.denoising_input_passes = "RGB_ALBEDO_NORMAL"
    c.max_bounces, c.diffuse_bounces, c.glossy_bounces = 4, 2, 1
    c.transmission_bounces, c.transparent_max_bounces = 2, 4
    c.caustics_reflective = c.caustics_refractive = False
    c.blur_glossy = 1.0
    c.sample_clamp_indirect = 5.0
    scene.display_settings.display_device = "sRGB"
    scene.view_settings.view_transform, scene.view_settings.look = "Standard", "None"
    scene.view_settings.exposure, scene.view_settings.gamma = exposure, 1.0
    return {"engine": "CYCLES", "device": "CPU", "samples": samples, "adaptive_threshold": 0.02,
            "denoiser": "OPENIMAGEDENOISE", "bounces": {"max": c.max_bounces, "diffuse": c.diffuse_bounces,
            "glossy": c.glossy_bounces, "transmission": c.transmission_bounces}, "resolution": [w, h], "display_device": "sRGB",
            "view_transform": "Standard", "look": "None", "file_format": "PNG 8-bit RGB", "dither": 0.0}


PROBE_SIZE, PROBE_SAMPLES, PROBE_EV = (320, 180), 8, -2.0
REC709_Y = np.array([0.2126, 0.7152, 0.0722])


def auto_exposure(scene, cams, geo, w, h, target, log):
    """Scene exposure (EV) that puts the mean linear luminance of both close-up faces at ``target``.

    Renders close-a and close-b small at PROBE_EV (so faces do not clip), decodes sRGB to linear, averages the
    central 60 % of the true face boxes, and returns PROBE_EV + log2(target / geometric mean), rounded to 0.01 EV.
    """
    import tempfile

    from PIL import Image

    r = scene.render
    saved = (r.resolution_x, r.resolution_y, scene.cycles.samples, scene.camera)
    r.resolution_x, r.resolution_y = PROBE_SIZE
    scene.cycles.samples = PROBE_SAMPLES
    scene.view_settings.exposure = PROBE_EV
    lum = []
    with tempfile.TemporaryDirectory() as tmp:
        for cam_name, key in (("close-a", "A"), ("close-b", "B")):
            scene.camera = cams[cam_name]
            r.filepath = os.path.join(tmp, f"{cam_name}.png")
            with redirect_fd(log or os.devnull):
                bpy.ops.render.render(write_still=True)
            a = np.asarray(Image.open(r.filepath).convert("RGB"), float) / 255.0
            x0, y0, x1, y1 = geo[cam_name]["faces"][key]["box_px"]
            sx, sy = PROBE_SIZE[0] / w, PROBE_SIZE[1] / h
            cx, cy, hw, hh = (x0 + x1) / 2 * sx, (y0 + y1) / 2 * sy, (x1 - x0) * sx * 0.3, (y1 - y0) * sy * 0.3
            patch = a[int(cy - hh):int(cy + hh) + 1, int(cx - hw):int(cx + hw) + 1]
            lum.append(float((srgb_to_linear(patch) @ REC709_Y).mean()))
    r.resolution_x, r.resolution_y, scene.cycles.samples, scene.camera = saved
    ev = PROBE_EV + math.log2(target / math.sqrt(lum[0] * lum[1]))
    return round(ev, 2), lum


def render_scene(name, out_dir, w, h, samples, seed, index, dry_run=False, log=None, cameras=CAMERAS):
    bpy.ops.wm.read_factory_settings(use_empty=True)
    scene = bpy.context.scene
    bld = Builder(random.Random(seed * 1000 + index))
    key, practical, fill, face_target = SET_BUILDERS[name](bld, scene)
    st = staging()
    heads = {"A": build_character(bld, "A", A_POS, st["dA"]), "B": build_character(bld, "B", B_POS, st["dB"])}
    cams = {c: add_camera(scene, c, *st["cams"][c]) for c in CAMERAS}
    settings = configure(scene, w, h, samples, seed, 0.0)
    bpy.context.view_layer.update()
    geo = analyse_cameras(scene, cams, heads, {"A": st["dA"], "B": st["dB"]}, w, h)
    os.makedirs(os.path.join(out_dir, name), exist_ok=True)
    exposure, probe = (0.0, []) if dry_run else auto_exposure(scene, cams, geo, w, h, face_target, log)
    scene.view_settings.exposure = exposure
    cam_info = {}
    for c in cameras:
        cam = cams[c]
        scene.camera = cam
        path = os.path.join(out_dir, name, f"{c}.png")
        t0, c0 = time.time(), time.process_time()
        if not dry_run:
            scene.render.filepath = path
            with redirect_fd(log or os.devnull):
                bpy.ops.render.render(write_still=True)
        dt, cpu = time.time() - t0, time.process_time() - c0
        loc, target, focal = st["cams"][c]
        cam_info[c] = {"file": f"{name}/{c}.png", "focal_mm": focal, "sensor_width_mm": 36.0,
                       "location_m": [round(v, 3) for v in loc], "target_m": [round(v, 3) for v in target],
                       "render_seconds": round(dt, 2), "render_cpu_seconds": round(cpu, 2), **geo[c]}
        vis = {k: f["visible"] for k, f in geo[c]["faces"].items()}
        print(f"  {name}/{c}: {dt:.1f}s wall, {cpu:.1f}s CPU, faces visible {vis}",
              flush=True)
    doc = {"name": name, "description": SET_BUILDERS[name].__doc__, "key_light": key, "practical_light": practical,
           "world_fill": fill, "exposure_ev": exposure,
           "exposure_method": f"auto: mean linear Rec.709 luminance of the two close-up faces set to {face_target} "
                              f"(probe renders {PROBE_SIZE[0]}x{PROBE_SIZE[1]}, {PROBE_SAMPLES} spp, {PROBE_EV} EV; "
                              f"probe face luminances {[round(v, 5) for v in probe]}); one exposure for all cameras",
           "characters": {k: {"position_m": list(p[:2]), "facing": [round(v, 4) for v in st["d" + k][:2]],
                              "head_centre_m": [round(v, 3) for v in heads[k].matrix_world.translation],
                              "costume_srgb": {p2: CHARACTERS[k][p2] for p2 in ("shirt", "trousers", "shoes")},
                              "face": "skimage.data.astronaut() crop" + (" mirrored, skin gain %s" % (B_SKIN_GAIN,)
                                                                            if CHARACTERS[k]["mirror"] else "")}
                          for k, p in (("A", A_POS), ("B", B_POS))},
           "cameras": cam_info}
    return doc, settings


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out_dir")
    ap.add_argument("--size", default="960x540", help="WxH in pixels")
    ap.add_argument("--samples", type=int, default=16)
    ap.add_argument("--scenes", type=int, default=len(SCENES), help="render the first N scenes")
    ap.add_argument("--only", default="", help="comma-separated scene names (overrides --scenes)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--cameras", default=",".join(CAMERAS), help="comma-separated subset of cameras to render")
    ap.add_argument("--dry-run", action="store_true", help="build and analyse, render nothing")
    args = ap.parse_args(argv)
    w, h = (int(v) for v in args.size.lower().split("x"))
    names = [s for s in args.only.split(",") if s] or list(SCENES[: args.scenes])
    unknown = set(names) - set(SCENES)
    if unknown:
        ap.error(f"unknown scene(s) {sorted(unknown)}; choose from {SCENES}")
    os.makedirs(args.out_dir, exist_ok=True)
    final = os.path.join(args.out_dir, "scenes.json")
    if os.path.exists(final):
        os.remove(final)  # scenes.json marks a finished set; it is written again last
    log = os.path.join(args.out_dir, "render.log")
    t_all = time.time()
    docs, settings = [], None
    for name in names:
        t0 = time.time()
        doc, settings = render_scene(name, args.out_dir, w, h, args.samples, args.seed, SCENES.index(name),
                                     args.dry_run, log, tuple(c for c in args.cameras.split(",") if c))
        doc["scene_seconds"] = round(time.time() - t0, 1)
        docs.append(doc)
        print(f"{name}: {doc['scene_seconds']}s", flush=True)
    total = time.time() - t_all
    manifest = {
        "generator": "benchmarks/multiangle/render.py",
        "command": " ".join(["render.py"] + (sys.argv[1:] if argv is None else list(argv))),
        "bpy_version": bpy.app.version_string,
        "seed": args.seed,
        "render": settings,
        "cameras": list(CAMERAS),
        "scenes": docs,
        "truth": "All cameras of one scene share light, world, exposure and view transform: the colour drift between "
                 "any two cameras of a scene is zero; only framing and content differ.",
        "total_seconds": round(total, 1),
        "cpu_count": os.cpu_count(),
    }
    tmp = final + ".tmp"
    with open(tmp, "w") as f:
        json.dump(manifest, f, indent=1)
    os.replace(tmp, final)  # atomic: readers never see a partial file
    print(f"total {total:.1f}s -> {final}")


if __name__ == "__main__":
    main()
