#!/usr/bin/env python3
"""tools/rewrite_prelu.py - a network's PReLU rewritten into operators ONNX
Runtime runs fast on a CPU, with the same results bit for bit.

ONNX Runtime's CPU provider runs convolutions in a blocked layout (NCHWc)
and keeps tensors in it from one convolution to the next as long as the
operators between them support it. PRelu does not: each one costs a
conversion out of the layout and back, and its own kernel is slow. In
MobileFaceNet (33 PReLU) that was about 60% of an embedding's time.

Each PRelu whose slope is a constant per channel, s, becomes

    y = Relu(x) + Conv1x1_depthwise(Relu(Conv1x1_depthwise(x, -1)), -s)

that is relu(x) + (-s) * relu(-x). For x >= 0 the second term is exactly 0
and for x < 0 the first is, and every product is one multiplication by a
constant with no bias, so y equals x where x >= 0 and s * x elsewhere,
bit for bit as PRelu gives it. All four operators stay in the blocked
layout and the Add folds into the second convolution.

Usage:   rewrite_prelu.py SRC.onnx DST.onnx
Input:   an ONNX model whose PRelu nodes take a 4-D (N,C,H,W) input and a
         constant slope of shape [C,1,1] or [1,C,1,1]. Other PRelu nodes
         (a slope computed in the graph, or shared by all channels) are left
         as they are and listed. A model with none to rewrite is refused.
Output:  the same model with those PRelu nodes rewritten and their slopes'
         initializers dropped when nothing else reads them. The metadata
         keeps what the source had and adds openlfr.rewritten_by (this tool
         and its version) and openlfr.rewritten_from_sha256. The output is
         the same bytes on every run.
Needs:   Debian's python3-onnx and python3-numpy only.
"""
import hashlib
import os
import sys

import numpy as np
import onnx
from onnx import helper, numpy_helper, shape_inference

TOOL = "rewrite_prelu"
TOOL_VERSION = "1"


class BadModel(Exception):
    pass


def fail(msg):
    sys.stderr.write("%s: error: %s\n" % (TOOL, msg))
    sys.exit(1)


def ranks(model):
    """Rank of every tensor whose shape ONNX's inference can tell."""
    inferred = shape_inference.infer_shapes(model)
    out = {}
    for v in list(inferred.graph.value_info) + list(inferred.graph.input) + list(inferred.graph.output):
        t = v.type.tensor_type
        if t.HasField("shape"):
            out[v.name] = len(t.shape.dim)
    return out


def per_channel_slope(init, name):
    """The slope as a vector of C floats, or None if it is not a constant per channel."""
    t = init.get(name)
    if t is None:
        return None
    s = numpy_helper.to_array(t)
    if s.dtype != np.float32:
        return None
    if s.ndim == 3 and s.shape[1:] == (1, 1) and s.shape[0] > 1:
        return s.reshape(-1)
    if s.ndim == 4 and s.shape[0] == 1 and s.shape[2:] == (1, 1) and s.shape[1] > 1:
        return s.reshape(-1)
    return None


def rewrite(model):
    """Returns (rewritten model, count rewritten, names left alone)."""
    g = model.graph
    init = {t.name: t for t in g.initializer}
    rank = ranks(model)
    taken = {n.name for n in g.node} | {o for n in g.node for o in n.output} | set(init)

    def unique(base):
        name, k = base, 1
        while name in taken:
            k += 1
            name = "%s_%d" % (base, k)
        taken.add(name)
        return name

    nodes, new_inits, left, count = [], [], [], 0
    for n in g.node:
        if n.op_type != "PRelu":
            nodes.append(n)
            continue
        s = per_channel_slope(init, n.input[1]) if len(n.input) == 2 else None
        if s is None or rank.get(n.input[0]) != 4:
            nodes.append(n)
            left.append(n.name or n.output[0])
            continue
        count += 1
        x, y, c = n.input[0], n.output[0], int(s.size)
        base = n.name or y
        neg_w = unique(base + "_minus_one")
        slope_w = unique(base + "_minus_slope")
        new_inits.append(numpy_helper.from_array(np.full((c, 1, 1, 1), -1.0, np.float32), neg_w))
        new_inits.append(numpy_helper.from_array((-s).astype(np.float32).reshape(c, 1, 1, 1), slope_w))
        pos, neg, neg_relu, neg_scaled = (unique(base + k) for k in ("_pos", "_neg", "_neg_relu", "_neg_scaled"))
        depthwise = dict(group=c, kernel_shape=[1, 1])
        nodes.append(helper.make_node("Relu", [x], [pos], name=unique(base + "_relu_pos")))
        nodes.append(helper.make_node("Conv", [x, neg_w], [neg], name=unique(base + "_negate"), **depthwise))
        nodes.append(helper.make_node("Relu", [neg], [neg_relu], name=unique(base + "_relu_neg")))
        nodes.append(helper.make_node("Conv", [neg_relu, slope_w], [neg_scaled], name=unique(base + "_scale"),
                                      **depthwise))
        nodes.append(helper.make_node("Add", [pos, neg_scaled], [y], name=unique(base + "_sum")))
    if count == 0:
        raise BadModel("no PRelu with a constant slope per channel on a 4-D input to rewrite")
    still_read = {i for n in nodes for i in n.input} | {o.name for o in g.output}
    kept = [t for t in g.initializer if t.name in still_read]
    del g.node[:]
    g.node.extend(nodes)
    del g.initializer[:]
    g.initializer.extend(kept + new_inits)
    onnx.checker.check_model(model)
    return model, count, left


def main():
    if len(sys.argv) != 3:
        fail("usage: rewrite_prelu.py SRC.onnx DST.onnx")
    src, dst = sys.argv[1], sys.argv[2]
    try:
        raw = open(src, "rb").read()
    except OSError as e:
        fail("%s: cannot read (%s)" % (src, e.strerror))
    try:
        model = onnx.load_from_string(raw)
        onnx.checker.check_model(model)
    except Exception as e:  # protobuf's and the checker's own errors
        fail("%s: not an ONNX model this tool can read (%s: %s)" % (src, type(e).__name__, str(e)[:200]))
    try:
        model, count, left = rewrite(model)
    except BadModel as e:
        fail("%s: %s" % (src, e))
    except Exception as e:  # shape inference, or a graph this tool made wrong
        fail("%s: cannot rewrite (%s: %s)" % (src, type(e).__name__, str(e)[:200]))
    for k, v in (("openlfr.rewritten_by", "%s %s" % (TOOL, TOOL_VERSION)),
                 ("openlfr.rewritten_from_sha256", hashlib.sha256(raw).hexdigest())):
        model.metadata_props.append(onnx.StringStringEntryProto(key=k, value=v))
    try:
        data = model.SerializeToString()
    except Exception as e:  # protobuf refuses, e.g. a model over 2 GB
        fail("%s: cannot serialise the rewritten model (%s)" % (src, e))
    # A temporary file renamed into place: DST is whole or absent.
    tmp = "%s.%d.tmp" % (dst, os.getpid())
    try:
        with open(tmp, "wb") as f:
            f.write(data)
        os.replace(tmp, dst)
    except OSError as e:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        fail("%s: cannot write (%s)" % (dst, e.strerror))
    sys.stderr.write("%s: %d PRelu rewritten%s\n" % (TOOL, count,
                                                     "; left as they were: " + ", ".join(left) if left else ""))


if __name__ == "__main__":
    main()
