#!/usr/bin/env python3
"""tools/quantize_int8.py - static int8 quantization (QDQ) of a network.

ONNX Runtime runs a convolution in 8-bit integers when the graph says so in
the QDQ form: QuantizeLinear/DequantizeLinear around the convolution's input
and output, and its weights stored as int8 with a DequantizeLinear. Its graph
optimiser fuses DequantizeLinear -> Conv [-> Relu] -> QuantizeLinear into one
integer convolution (VNNI on x86). This tool writes that form; the ranges of
the activations come from running the network on calibration images, which
liblfr does (`lfr eval calibrate`), since only its C side has ONNX Runtime.

Usage:
  quantize_int8.py augment SRC.onnx DST.onnx
      DST is SRC (opset raised to 13) with every tensor a convolution reads
      or writes made a graph output, for `lfr eval calibrate`.
  quantize_int8.py quantize SRC.onnx RANGES.json DST.onnx
      DST is SRC with each convolution whose result feeds another one in
      int8: activations uint8 with their calibrated ranges (per tensor),
      weights int8 symmetric per output channel, biases int32. The heads
      (convolutions whose results leave the network) stay in float, so the
      outputs keep their precision.
Needs:   Debian's python3-onnx and python3-numpy only.
"""
import json
import sys

import numpy as np
import onnx
from onnx import helper, numpy_helper

TOOL_VERSION = "1"
OPSET = 13  # per-channel DequantizeLinear needs 13


def fail(msg):
    sys.stderr.write("quantize_int8: error: %s\n" % msg)
    sys.exit(1)


def load(path):
    try:
        model = onnx.load(path)
    except Exception as e:  # any parse failure means a wrong or corrupt file
        fail("%s: not a readable ONNX model (%s)" % (path, e))
    if model.opset_import[0].version < OPSET:
        raise_opset(path, model)
    return model


# Operators whose meaning did not change between opset 9 and 13.
SAME_SINCE_9 = {"Add", "Concat", "Constant", "Conv", "Gather", "Mul", "PRelu", "Relu",
                "Reshape", "Shape", "Transpose"}


def raise_opset(path, model):
    """Opset 9 to 13 for the operators these networks use. ONNX's own
    converter needs every tensor's rank, which the detector's reshapes of
    a free-sized input do not give."""
    extra = []
    for n in model.graph.node:
        if n.op_type == "Unsqueeze":  # axes: an attribute before 13, an input since
            attr = next(a for a in n.attribute if a.name == "axes")
            name = n.output[0] + "_axes"
            extra.append(numpy_helper.from_array(np.array(attr.ints, np.int64), name))
            n.input.append(name)
            n.attribute.remove(attr)
        elif n.op_type == "Softmax":
            # Before 13 the input is flattened to 2-d at axis; the same as
            # 13's one axis only when that is the last of a 3-d tensor.
            axis = next((a.i for a in n.attribute if a.name == "axis"), 1)
            if axis != 2:
                fail("%s: Softmax over axis %d: not converted" % (path, axis))
        elif n.op_type not in SAME_SINCE_9:
            fail("%s: operator %s: not converted to opset %d" % (path, n.op_type, OPSET))
    model.graph.initializer.extend(extra)
    model.opset_import[0].version = OPSET


def consumers(graph):
    users = {}
    for node in graph.node:
        for name in node.input:
            users.setdefault(name, []).append(node)
    return users


def conv_result(conv, users):
    """What a convolution makes: its output, or the Relu's when a Relu is
    its only reader (ONNX Runtime folds that Relu into the integer
    convolution)."""
    after = users.get(conv.output[0], [])
    if len(after) == 1 and after[0].op_type == "Relu":
        return after[0].output[0]
    return conv.output[0]


# Readers of a convolution's result inside a network's body. A convolution
# whose result goes anywhere else (a detector's heads, an embedder's last
# layer) stays float, so the outputs keep their precision.
BODY = {"Conv", "PRelu", "Add"}


def body_convs(graph):
    users = consumers(graph)
    outputs = {o.name for o in graph.output}
    return [n for n in graph.node if n.op_type == "Conv"
            and conv_result(n, users) not in outputs
            and all(u.op_type in BODY for u in users.get(conv_result(n, users), []))]


def conv_activations(graph):
    """The tensors the body's convolutions read and make."""
    inits = {i.name for i in graph.initializer}
    users = consumers(graph)
    seen = []
    for node in body_convs(graph):
        for name in (node.input[0], conv_result(node, users)):
            if name not in inits and name not in seen:
                seen.append(name)
    return seen


def augment(src, dst):
    model = load(src)
    g = model.graph
    # The input's range is the preprocessing's: the calibration reads it.
    have = {o.name for o in g.output} | {i.name for i in g.input}
    for name in conv_activations(g):
        if name not in have:
            g.output.append(
                helper.make_tensor_value_info(name, onnx.TensorProto.FLOAT, ["n", "c", "h", "w"]))
    onnx.save(model, dst)


def topological(nodes, available):
    """The nodes in an order where each comes after what it reads."""
    ready, ordered, left = set(available) | {""}, [], list(nodes)
    while left:
        rest = []
        for n in left:
            if all(i in ready for i in n.input):
                ordered.append(n)
                ready.update(n.output)
            else:
                rest.append(n)
        if len(rest) == len(left):
            fail("the graph has a cycle or reads a tensor nothing makes")
        left = rest
    return ordered


def uint8_params(lo, hi):
    """Scale and zero point of an asymmetric uint8 range that holds 0."""
    lo, hi = min(lo, 0.0), max(hi, 0.0)
    scale = (hi - lo) / 255.0 if hi > lo else 1.0
    zero = int(round(-lo / scale))
    return np.float32(scale), np.uint8(min(max(zero, 0), 255))


def quantize(src, ranges_path, dst):
    model = load(src)
    g = model.graph
    try:
        ranges = json.load(open(ranges_path))["ranges"]
    except Exception as e:
        fail("%s: not a ranges file from lfr eval calibrate (%s)" % (ranges_path, e))
    inits = {i.name: i for i in g.initializer}
    users = consumers(g)
    chosen = body_convs(g)
    quantized = {}  # tensor -> its DequantizeLinear output
    new_nodes, new_inits = [], []

    def qdq(name):
        if name in quantized:
            return quantized[name]
        if name not in ranges:
            fail("%s: no calibrated range for tensor '%s'" % (ranges_path, name))
        scale, zero = uint8_params(*ranges[name])
        s, z, q, d = (name + "_scale", name + "_zero", name + "_q", name + "_dq")
        new_inits.append(numpy_helper.from_array(np.array(scale, np.float32), s))
        new_inits.append(numpy_helper.from_array(np.array(zero, np.uint8), z))
        new_nodes.append(helper.make_node("QuantizeLinear", [name, s, z], [q], name + "_Q"))
        new_nodes.append(helper.make_node("DequantizeLinear", [q, s, z], [d], name + "_DQ"))
        quantized[name] = d
        return d

    for conv in chosen:
        for name in (conv.input[0], conv_result(conv, users)):
            qdq(name)
    # Every reader of a quantized tensor reads its dequantized copy, so the
    # integer convolution that made it has the QuantizeLinear as its only
    # reader (what the fusion needs).
    for node in g.node:
        for i, name in enumerate(node.input):
            if name in quantized:
                node.input[i] = quantized[name]
    source = {dq: name for name, dq in quantized.items()}

    def per_channel(conv, i, values, scale, zero_type):
        """Input i of conv replaced by integer values dequantized per
        output channel."""
        base = conv.input[i]
        new_inits.extend([
            numpy_helper.from_array(values, base + "_q"),
            numpy_helper.from_array(scale, base + "_qscale"),
            numpy_helper.from_array(np.zeros(len(scale), zero_type), base + "_qzero"),
        ])
        new_nodes.append(
            helper.make_node("DequantizeLinear", [base + "_q", base + "_qscale", base + "_qzero"],
                             [base + "_qdq"], base + "_DQ", axis=0))
        conv.input[i] = base + "_qdq"

    for conv in chosen:
        x_scale = float(uint8_params(*ranges[source[conv.input[0]]])[0])
        w = numpy_helper.to_array(inits[conv.input[1]]).astype(np.float32)
        w_scale = np.maximum(np.abs(w.reshape(w.shape[0], -1)).max(axis=1), 1e-12) / 127.0
        w_scale = w_scale.astype(np.float32)
        wq = np.clip(np.round(w / w_scale.reshape(-1, 1, 1, 1)), -127, 127).astype(np.int8)
        per_channel(conv, 1, wq, w_scale, np.int8)
        if len(conv.input) > 2 and conv.input[2]:
            b = numpy_helper.to_array(inits[conv.input[2]]).astype(np.float64)
            b_scale = (x_scale * w_scale.astype(np.float64)).astype(np.float32)
            per_channel(conv, 2, np.round(b / b_scale).astype(np.int32), b_scale, np.int32)
    # The float weights the int8 ones replace go.
    used = {name for n in list(g.node) + new_nodes for name in n.input}
    kept = [i for i in g.initializer if i.name in used]
    del g.initializer[:]
    g.initializer.extend(kept + new_inits)
    ordered = topological(list(g.node) + new_nodes, [i.name for i in g.input] + [
        i.name for i in g.initializer])
    del g.node[:]
    g.node.extend(ordered)
    model.metadata_props.append(
        onnx.StringStringEntryProto(key="quantized_by", value="quantize_int8.py " + TOOL_VERSION))
    onnx.checker.check_model(model)
    onnx.save(model, dst)


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "augment":
        augment(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 5 and sys.argv[1] == "quantize":
        quantize(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        fail("usage: quantize_int8.py augment SRC DST | quantize SRC RANGES.json DST")


if __name__ == "__main__":
    main()
