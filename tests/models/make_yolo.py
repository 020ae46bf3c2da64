#!/usr/bin/python3
"""Small YOLO-format ONNX models (opset 12) whose outputs a test knows, built with python3-onnx.

  make_yolo.py patch  OUT.onnx --layout v5|v8 --size S [--class-id K] [--classes C]
      One box around the red pixels of the input: the centroid of the pixels whose red channel
      is above one half (after the node's scale to [0, 1]), as a square of their area. So the
      letterbox, the colour order, the scale and the mapping back to the frame all show in
      where the box lands. Confidence: tanh of the red area (1 for any real patch).
  make_yolo.py fixed  OUT.onnx --layout v5|v8 --size S --box cx,cy,w,h,conf,class ...
      The given boxes (in the model's SxS input pixels) whatever the input.
  make_yolo.py heavy  OUT.onnx --size 640
      A network of YOLOv8n's input size and output shape ([1, 84, 8400]) with random weights
      and about its amount of convolution work (8.2 GFLOPs; YOLOv8n 8.7), for timing only.

v5 is YOLOv5's layout, [1, N, 5+C] (cx, cy, w, h, objectness, C class scores); v8 is YOLOv8's
and YOLO11's, [1, 4+C, N] (cx, cy, w, h, C class scores). C is 80 (COCO) unless --classes.
"""
import argparse
import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 12


def const(name, array):
    return numpy_helper.from_array(np.asarray(array, dtype=np.float32), name)


def shape_const(name, dims):
    return numpy_helper.from_array(np.asarray(dims, dtype=np.int64), name)


def save(nodes, inits, out_shape, path, size):
    graph = helper.make_graph(
        nodes, "yolo_test",
        [helper.make_tensor_value_info("images", TensorProto.FLOAT, [1, 3, size, size])],
        [helper.make_tensor_value_info("output0", TensorProto.FLOAT, out_shape)],
        inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                              producer_name="mqplane tests/models/make_yolo.py")
    model.ir_version = 7  # What onnx 1.12 writes for opset 12; OpenCV 4.6 reads it.
    onnx.checker.check_model(model)
    onnx.save(model, path)


def layout_tail(nodes, inits, parts, k, layout):
    """Concatenates parts ([1, n, 1, 1] each, k channels in all) along the channels and shapes
    them as the layout says: [1, k, 1] for v8, [1, 1, k] for v5."""
    nodes.append(helper.make_node("Concat", parts, ["cat"], axis=1))
    inits.append(shape_const("shape3", [1, k, 1]))
    if layout == "v8":
        nodes.append(helper.make_node("Reshape", ["cat", "shape3"], ["output0"]))
        return [1, k, 1]
    nodes.append(helper.make_node("Reshape", ["cat", "shape3"], ["col"]))
    nodes.append(helper.make_node("Transpose", ["col"], ["output0"], perm=[0, 2, 1]))
    return [1, 1, k]


def patch(args):
    s, c = args.size, args.classes
    ys, xs = np.mgrid[0:s, 0:s].astype(np.float32) + 0.5  # Pixel centres.
    w = np.zeros((3, 3, s, s), np.float32)
    w[0, 0], w[1, 0], w[2, 0] = 1.0, xs, ys  # Red only: area, sum of x, sum of y.
    onehot = np.zeros((c, 1, 1, 1), np.float32)
    onehot[args.class_id] = 1.0
    inits = [const("half", [0.5]), const("two", [2.0]), const("w", w), const("onehot", onehot)]
    nodes = [
        helper.make_node("Sub", ["images", "half"], ["centred"]),
        helper.make_node("Relu", ["centred"], ["bright"]),  # 0.5 on a red pixel, else 0.
        helper.make_node("Conv", ["bright", "w"], ["sums"], kernel_shape=[s, s]),  # [1, 3, 1, 1]
        helper.make_node("Split", ["sums"], ["t", "sx", "sy"], axis=1, split=[1, 1, 1]),
        helper.make_node("Div", ["sx", "t"], ["cx"]),
        helper.make_node("Div", ["sy", "t"], ["cy"]),
        helper.make_node("Mul", ["t", "two"], ["area"]),
        helper.make_node("Sqrt", ["area"], ["side"]),
        helper.make_node("Tanh", ["t"], ["obj"]),
        helper.make_node("Conv", ["obj", "onehot"], ["cls"], kernel_shape=[1, 1]),  # [1, C, 1, 1]
    ]
    v5 = args.layout == "v5"
    parts = ["cx", "cy", "side", "side"] + (["obj"] if v5 else []) + ["cls"]
    shape = layout_tail(nodes, inits, parts, 4 + v5 + c, args.layout)
    save(nodes, inits, shape, args.out, s)


def fixed(args):
    s, c = args.size, args.classes
    boxes = [[float(v) for v in b.split(",")] for b in args.box]
    k = 4 + c + (args.layout == "v5")
    rows = np.zeros((len(boxes), k), np.float32)
    for i, (cx, cy, bw, bh, conf, cls) in enumerate(boxes):
        rows[i, :4] = cx, cy, bw, bh
        if args.layout == "v5":
            rows[i, 4] = 1.0  # Objectness; the class score carries the confidence.
        rows[i, k - c + int(cls)] = conf
    out = rows if args.layout == "v5" else rows.T  # [N, k] or [k, N]
    n = out.size
    inits = [const("zero_w", np.zeros((n, 3, 1, 1))), const("bias", out.reshape(-1)),
             shape_const("shape", [1] + list(out.shape))]
    nodes = [
        helper.make_node("GlobalAveragePool", ["images"], ["pooled"]),
        # The bias, whatever the input: OpenCV keeps a graph that uses its input.
        helper.make_node("Conv", ["pooled", "zero_w", "bias"], ["flat"], kernel_shape=[1, 1]),
        helper.make_node("Reshape", ["flat", "shape"], ["output0"]),
    ]
    save(nodes, inits, [1] + list(out.shape), args.out, s)


def heavy(args):
    """Convolutions shaped like YOLOv8n's backbone and head (widths 16..256, strides 2..32,
    SiLU), random weights: 8.2 GFLOPs at 640 (YOLOv8n: 8.7) and the real output shape."""
    rng = np.random.default_rng(1)
    s = args.size
    nodes, inits = [], []
    x, ch, idx = "images", 3, 0

    def conv(inp, cin, cout, k, stride):
        nonlocal idx
        idx += 1
        w = rng.normal(0, (2.0 / (cin * k * k)) ** 0.5, (cout, cin, k, k)).astype(np.float32)
        inits.append(const(f"w{idx}", w))
        nodes.append(helper.make_node("Conv", [inp, f"w{idx}"], [f"c{idx}"], kernel_shape=[k, k],
                                      strides=[stride, stride], pads=[k // 2] * 4))
        nodes.append(helper.make_node("Sigmoid", [f"c{idx}"], [f"s{idx}"]))
        nodes.append(helper.make_node("Mul", [f"c{idx}", f"s{idx}"], [f"a{idx}"]))  # SiLU
        return f"a{idx}"

    feats = []
    for cout, repeat in ((16, 0), (32, 3), (64, 4), (128, 3), (256, 2)):
        x = conv(x, ch, cout, 3, 2)
        ch = cout
        for _ in range(repeat):
            x = conv(x, ch, ch, 3, 1)
        if cout >= 64:
            feats.append((x, ch))
    heads = []
    for i, (f, cf) in enumerate(feats):  # Strides 8, 16, 32: 80x80, 40x40, 20x20 at 640.
        h = conv(conv(f, cf, 64, 3, 1), 64, 64, 3, 1)
        idx_w = f"hw{i}"
        inits.append(const(idx_w, rng.normal(0, 0.1, (84, 64, 1, 1))))
        # Class scores mostly near zero, as a trained model's are: NMS sees a real load.
        inits.append(const(f"hb{i}", [0.0] * 4 + [-6.0] * 80))
        nodes.append(helper.make_node("Conv", [h, idx_w, f"hb{i}"], [f"hc{i}"],
                                      kernel_shape=[1, 1]))
        g = (s // (8 << i)) ** 2
        inits.append(shape_const(f"hs{i}", [1, 84, g]))
        nodes.append(helper.make_node("Reshape", [f"hc{i}", f"hs{i}"], [f"hr{i}"]))
        heads.append(f"hr{i}")
    nodes.append(helper.make_node("Concat", heads, ["raw"], axis=2))
    nodes.append(helper.make_node("Sigmoid", ["raw"], ["output0"]))
    n = sum((s // (8 << i)) ** 2 for i in range(3))
    save(nodes, inits, [1, 84, n], args.out, s)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("kind", choices=["patch", "fixed", "heavy"])
    p.add_argument("out")
    p.add_argument("--layout", choices=["v5", "v8"], default="v8")
    p.add_argument("--size", type=int, default=640)
    p.add_argument("--classes", type=int, default=80)
    p.add_argument("--class-id", type=int, default=0)
    p.add_argument("--box", action="append", default=[], help="cx,cy,w,h,conf,class")
    args = p.parse_args()
    {"patch": patch, "fixed": fixed, "heavy": heavy}[args.kind](args)


if __name__ == "__main__":
    main()
