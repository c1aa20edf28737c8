#!/usr/bin/env python3
"""tools/convert_dlib_tfjs.py - dlib's ResNet face descriptor (128-d), TF.js to ONNX.

npm @vladmandic/face-api@1.7.15 ships dlib's face recognition ResNet (the
29-layer network of dlib_face_recognition_resnet_model_v1, public domain) as
TF.js weights: model/face_recognition_model-weights_manifest.json lists each
tensor's name, shape and dtype (most quantized to uint8 with a scale and a
min), model/face_recognition_model.bin holds them back to back. The weights
carry no graph: face-api's faceRecognitionNet builds it in code, and this
script writes the same network as ONNX, layer for layer:

  x = (pixels - [122.782, 117.001, 104.298]) / 255      (per channel, RGB)
  convDown(conv32_down): conv 7x7 stride 2 VALID + bias, scale, relu
  max pool 3x3 stride 2 VALID
  residual x3 (conv32_1..3), residualDown (conv64_down), residual x3,
  residualDown (conv128_down), residual x2, residualDown (conv256_down),
  residual x2, residualDown (conv256_down_out)
  mean over height and width, matmul by fc [256,128]

  conv layer = conv (3x3, SAME, stride 1; VALID stride 2 in a "down" layer)
               + bias, then scale = x * weights + biases, then relu unless
               it is the second conv of a residual block
  residual   = relu(conv2(conv1(x)) + x)
  residualDown = relu(conv2(convDown1(x)) padded with one zero row and
               column at the bottom and right if the shapes differ,
               + avgpool 2x2 stride 2 VALID (x) padded with zero channels)

Dequantization is TF.js's: value = q * scale + min, computed in double and
stored as float32. Per-channel means do not fit the engine's one mean and
scale, so they are in the graph: the ONNX input is raw 0..255 RGB (manifest
mean 0, scale 1).

Usage:   convert_dlib_tfjs.py WEIGHTS_MANIFEST.json WEIGHTS.bin DST.onnx
Input:   face_recognition_model-weights_manifest.json and
         face_recognition_model.bin from npm @vladmandic/face-api@1.7.15
         (package/model/); every tensor name and shape is checked.
Output:  an ONNX model (opset 13), input "input" [1,3,150,150] float32 NCHW
         (RGB, raw 0..255 pixel values), output "embedding" [1,128] float32,
         not normalised (liblfr L2-normalises). Weights are initializers
         only, never graph inputs. metadata_props record the tool, its
         version and the SHA-256 of the .bin and of the manifest; liblfr
         checks the output's own SHA-256 against models/dlib_resnet128.json
         at load. The output is the same bytes on every run.
Needs:   Debian's python3-onnx and python3-numpy only.
"""
import hashlib
import json
import os
import sys

import numpy as np
import onnx
from onnx import helper, numpy_helper

TOOL = "convert_dlib_tfjs"
TOOL_VERSION = "1"
OPSET = 13
SIZE = 150
EMBEDDING = 128
MEAN_RGB = (122.782, 117.001, 104.298)
DIVISOR = 255.0

# The network, in face-api's order: (prefix, kind, in channels, out channels).
BLOCKS = [("conv32_1", "res", 32, 32), ("conv32_2", "res", 32, 32), ("conv32_3", "res", 32, 32),
          ("conv64_down", "down", 32, 64), ("conv64_1", "res", 64, 64), ("conv64_2", "res", 64, 64),
          ("conv64_3", "res", 64, 64),
          ("conv128_down", "down", 64, 128), ("conv128_1", "res", 128, 128), ("conv128_2", "res", 128, 128),
          ("conv256_down", "down", 128, 256), ("conv256_1", "res", 256, 256), ("conv256_2", "res", 256, 256),
          ("conv256_down_out", "down", 256, 256)]


class BadModel(Exception):
    pass


def fail(msg):
    sys.stderr.write("%s: error: %s\n" % (TOOL, msg))
    sys.exit(1)


def expected_shapes():
    """Every tensor the network needs, name -> shape (TF.js layout)."""
    shapes = {}

    def conv_layer(prefix, k, cin, cout):
        shapes[prefix + "/conv/filters"] = [k, k, cin, cout]
        for n in ("conv/bias", "scale/weights", "scale/biases"):
            shapes[prefix + "/" + n] = [cout]

    conv_layer("conv32_down", 7, 3, 32)
    for prefix, _, cin, cout in BLOCKS:
        conv_layer(prefix + "/conv1", 3, cin, cout)
        conv_layer(prefix + "/conv2", 3, cout, cout)
    shapes["fc"] = [256, EMBEDDING]
    return shapes


def read_weights(manifest_raw, bin_raw):
    """Decodes a TF.js weights manifest and its one .bin into float32 arrays."""
    try:
        manifest = json.loads(manifest_raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        raise BadModel("weights manifest is not JSON (%s)" % e)
    if not isinstance(manifest, list) or len(manifest) != 1 or not isinstance(manifest[0], dict):
        raise BadModel("weights manifest must hold exactly one weight group")
    group = manifest[0]
    paths, entries = group.get("paths"), group.get("weights")
    if not isinstance(paths, list) or len(paths) != 1 or not isinstance(entries, list):
        raise BadModel("the weight group must name one .bin file and list its weights")
    weights, at = {}, 0
    for e in entries:
        if not (isinstance(e, dict) and isinstance(e.get("name"), str) and isinstance(e.get("shape"), list)):
            raise BadModel("malformed weight entry %r" % (e,))
        name, shape = e["name"], e["shape"]
        if not all(isinstance(d, int) and d > 0 for d in shape):
            raise BadModel("%s: bad shape %r" % (name, shape))
        if name in weights:
            raise BadModel("%s: listed twice" % name)
        if e.get("dtype") != "float32":
            raise BadModel("%s: dtype %r, expected float32" % (name, e.get("dtype")))
        n = int(np.prod(shape))
        q = e.get("quantization")
        if q is None:
            size = 4 * n
            if at + size > len(bin_raw):
                raise BadModel("%s: the .bin is too short" % name)
            v = np.frombuffer(bin_raw, dtype="<f4", count=n, offset=at).astype(np.float32)
        else:
            qdt = {"uint8": "u1", "uint16": "<u2"}.get(q.get("dtype") if isinstance(q, dict) else None)
            numbers = qdt and all(isinstance(q.get(f), (int, float)) for f in ("scale", "min"))
            if not numbers:
                raise BadModel("%s: unsupported quantization %r" % (name, q))
            size = np.dtype(qdt).itemsize * n
            if at + size > len(bin_raw):
                raise BadModel("%s: the .bin is too short" % name)
            raw_q = np.frombuffer(bin_raw, dtype=qdt, count=n, offset=at).astype(np.float64)
            v = (raw_q * float(q["scale"]) + float(q["min"])).astype(np.float32)
        if not np.all(np.isfinite(v)):
            raise BadModel("%s: non-finite values" % name)
        weights[name] = v.reshape(shape)
        at += size
    if at != len(bin_raw):
        raise BadModel("the .bin has %d bytes, the manifest describes %d" % (len(bin_raw), at))
    want = expected_shapes()
    for name, shape in sorted(want.items()):
        if name not in weights:
            raise BadModel("weight %s is missing" % name)
        if list(weights[name].shape) != shape:
            raise BadModel("%s has shape %s, expected %s" % (name, list(weights[name].shape), shape))
    extra = sorted(set(weights) - set(want))
    if extra:
        raise BadModel("unexpected weights: %s" % ", ".join(extra[:5]))
    return weights


class Builder:
    def __init__(self, weights):
        self.w = weights
        self.nodes, self.inits = [], []
        self.count = 0

    def init(self, name, value):
        self.inits.append(numpy_helper.from_array(np.ascontiguousarray(value), name))
        return name

    def node(self, op, inputs, out=None, **attrs):
        self.count += 1
        out = out or "%s_%d" % (op.lower(), self.count)
        self.nodes.append(helper.make_node(op, inputs, [out], name="%s_%d" % (op, self.count), **attrs))
        return out

    def conv_layer(self, x, prefix, stride, relu, valid, hw):
        """face-api's convLayer: conv + bias, scale (mul, add), optional relu.
        hw is the input's spatial size; returns (output, output size)."""
        f = self.w[prefix + "/conv/filters"]  # [KH,KW,I,O]
        k = f.shape[0]
        if valid:
            pads, out_hw = [0, 0, 0, 0], (hw - k) // stride + 1
        else:
            if stride != 1:
                raise BadModel("SAME padding is only used with stride 1 here")
            pads, out_hw = [k // 2] * 4, hw
        w = self.init(prefix + "/conv/filters", f.transpose(3, 2, 0, 1))  # -> [O,I,KH,KW]
        b = self.init(prefix + "/conv/bias", self.w[prefix + "/conv/bias"])
        y = self.node("Conv", [x, w, b], kernel_shape=[k, k], strides=[stride, stride], pads=pads)
        c = f.shape[3]
        s = self.init(prefix + "/scale/weights", self.w[prefix + "/scale/weights"].reshape(c, 1, 1))
        t = self.init(prefix + "/scale/biases", self.w[prefix + "/scale/biases"].reshape(c, 1, 1))
        y = self.node("Add", [self.node("Mul", [y, s]), t])
        return (self.node("Relu", [y]) if relu else y), out_hw

    def residual(self, x, prefix, hw):
        y, _ = self.conv_layer(x, prefix + "/conv1", 1, True, False, hw)
        y, _ = self.conv_layer(y, prefix + "/conv2", 1, False, False, hw)
        return self.node("Relu", [self.node("Add", [y, x])]), hw

    def residual_down(self, x, prefix, cin, cout, hw):
        y, out_hw = self.conv_layer(x, prefix + "/conv1", 2, True, True, hw)
        y, _ = self.conv_layer(y, prefix + "/conv2", 1, False, False, out_hw)
        pooled = self.node("AveragePool", [x], kernel_shape=[2, 2], strides=[2, 2])
        pool_hw = (hw - 2) // 2 + 1
        if pool_hw != out_hw:
            # face-api concatenates one zero row, then one zero column.
            if pool_hw != out_hw + 1:
                raise BadModel("%s: cannot match %d to %d" % (prefix, out_hw, pool_hw))
            pads = self.init(prefix + "/pad_hw", np.array([0, 0, 0, 0, 0, 0, 1, 1], np.int64))
            y = self.node("Pad", [y, pads], mode="constant")
        if cin != cout:
            pads = self.init(prefix + "/pad_c", np.array([0, 0, 0, 0, 0, cout - cin, 0, 0], np.int64))
            pooled = self.node("Pad", [pooled, pads], mode="constant")
        return self.node("Relu", [self.node("Add", [pooled, y])]), pool_hw

    def build(self):
        mean = self.init("mean_rgb", np.array(MEAN_RGB, np.float32).reshape(1, 3, 1, 1))
        div = self.init("divisor", np.array(DIVISOR, np.float32))
        x = self.node("Div", [self.node("Sub", ["input", mean]), div])
        x, hw = self.conv_layer(x, "conv32_down", 2, True, True, SIZE)
        x = self.node("MaxPool", [x], kernel_shape=[3, 3], strides=[2, 2])
        hw = (hw - 3) // 2 + 1
        for prefix, kind, cin, cout in BLOCKS:
            if kind == "res":
                x, hw = self.residual(x, prefix, hw)
            else:
                x, hw = self.residual_down(x, prefix, cin, cout, hw)
        x = self.node("ReduceMean", [x], axes=[2, 3], keepdims=0)
        fc = self.init("fc", self.w["fc"])
        self.node("MatMul", [x, fc], out="embedding")
        return self.nodes, self.inits


def build_model(man_raw, bin_raw):
    """The ONNX model for the manifest's and the .bin's bytes; raises BadModel
    if they are not the expected weights."""
    nodes, inits = Builder(read_weights(man_raw, bin_raw)).build()
    inp = helper.make_tensor_value_info("input", onnx.TensorProto.FLOAT, [1, 3, SIZE, SIZE])
    out = helper.make_tensor_value_info("embedding", onnx.TensorProto.FLOAT, [1, EMBEDDING])
    # Weights stay initializers only, never graph inputs: ORT folds them as
    # constants then (listing them as inputs makes it about 2.4x slower).
    graph = helper.make_graph(nodes, "dlib_resnet128", [inp], [out], initializer=inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="openlfr")
    model.ir_version = 7
    for k, v in (("openlfr.tool", TOOL),
                 ("openlfr.tool_version", TOOL_VERSION),
                 ("openlfr.source_sha256", hashlib.sha256(bin_raw).hexdigest()),
                 ("openlfr.source_manifest_sha256", hashlib.sha256(man_raw).hexdigest())):
        model.metadata_props.append(onnx.StringStringEntryProto(key=k, value=v))
    onnx.checker.check_model(model)
    return model


def main():
    if len(sys.argv) != 4:
        fail("usage: convert_dlib_tfjs.py WEIGHTS_MANIFEST.json WEIGHTS.bin DST.onnx")
    man_path, bin_path, dst = sys.argv[1:]
    raws = []
    for p in (man_path, bin_path):
        try:
            raws.append(open(p, "rb").read())
        except OSError as e:
            fail("%s: cannot read (%s)" % (p, e.strerror))
    try:
        model = build_model(*raws)
    except BadModel as e:
        fail("%s, %s: not the face-api.js face recognition weights this tool expects (%s)"
             % (man_path, os.path.basename(bin_path), e))
    try:
        onnx.save(model, dst)
    except OSError as e:
        fail("%s: cannot write (%s)" % (dst, e.strerror))


if __name__ == "__main__":
    main()
