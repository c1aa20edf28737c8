#!/usr/bin/env python3
"""tools/convert_ultraface_anysize.py - derive a resolution-free UltraFace.

The published fr_detect.onnx (UltraFace RFB-320) takes a fixed 1x3x240x320
input and decodes boxes inside the graph with priors for that one size. Its
convolutional body and the reshapes of its heads do not depend on the size,
so this script keeps that body, makes height and width symbolic, drops the
in-graph decoding and exposes the raw regressions. liblfr then generates the
priors for the actual input size and decodes in C (vision/detector.c).

Usage:   convert_ultraface_anysize.py SRC.onnx DST.onnx
Input:   fr_detect.onnx from npm faceplugin-face-recognition-js@0.0.1.
Output:  an ONNX model, input "input" [1,3,height,width] float (RGB,
         (v-127)/128), outputs "scores" [1,N,2] (softmaxed, column 1 = face)
         and "regressions" [1,N,4] (dx, dy, dw, dh against the priors, in
         the order of DESIGN.md). metadata_props record the tool, its
         version and the SHA-256 of the source; liblfr checks the output's
         own SHA-256 against models/ultraface_anysize.json at load.
Needs:   Debian's python3-onnx only.
"""
import hashlib
import sys

import onnx
from onnx import helper

TOOL_VERSION = "1"
RAW_REGRESSIONS = "462"  # concat of the four regression heads, before decoding


def fail(msg):
    sys.stderr.write("convert_ultraface_anysize: error: %s\n" % msg)
    sys.exit(1)


def main():
    if len(sys.argv) != 3:
        fail("usage: convert_ultraface_anysize.py SRC.onnx DST.onnx")
    src, dst = sys.argv[1], sys.argv[2]
    try:
        raw = open(src, "rb").read()
        model = onnx.load_from_string(raw)
    except Exception as e:  # any parse failure means a wrong or corrupt file
        fail("%s: not a readable ONNX model (%s)" % (src, e))
    g = model.graph
    names = {o for n in g.node for o in n.output}
    if [i.name for i in g.input] != ["input"] or RAW_REGRESSIONS not in names or "scores" not in names:
        fail("%s: not the UltraFace RFB-320 graph this tool expects" % src)

    # Keep only the nodes that scores and the raw regressions depend on.
    producers = {o: n for n in g.node for o in n.output}
    keep, stack = set(), ["scores", RAW_REGRESSIONS]
    while stack:
        t = stack.pop()
        n = producers.get(t)
        if n is None or id(n) in keep:
            continue
        keep.add(id(n))
        stack.extend(n.input)
    nodes = [n for n in g.node if id(n) in keep]
    for n in nodes:
        n.output[:] = ["regressions" if o == RAW_REGRESSIONS else o for o in n.output]

    inp = helper.make_tensor_value_info("input", onnx.TensorProto.FLOAT, [1, 3, "height", "width"])
    outs = [
        helper.make_tensor_value_info("scores", onnx.TensorProto.FLOAT, [1, "priors", 2]),
        helper.make_tensor_value_info("regressions", onnx.TensorProto.FLOAT, [1, "priors", 4]),
    ]
    used = {i for n in nodes for i in n.input}
    inits = [t for t in g.initializer if t.name in used]
    # Weights stay initializers only, never graph inputs: ORT folds them as
    # constants then (listing them as inputs makes it about 2.4x slower).
    graph = helper.make_graph(nodes, "ultraface_anysize", [inp], outs, initializer=inits)
    out = helper.make_model(graph, opset_imports=model.opset_import, producer_name="openlfr")
    out.ir_version = model.ir_version
    for k, v in (("openlfr.tool", "convert_ultraface_anysize"),
                 ("openlfr.tool_version", TOOL_VERSION),
                 ("openlfr.source_sha256", hashlib.sha256(raw).hexdigest())):
        out.metadata_props.append(onnx.StringStringEntryProto(key=k, value=v))
    onnx.checker.check_model(out)
    onnx.save(out, dst)


if __name__ == "__main__":
    main()
