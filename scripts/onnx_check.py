#!/usr/bin/python3
"""Independent validation with Debian's python3-onnx: full checker + strict shape inference.

Usage: onnx_check.py MODEL.onnx [MODEL.onnx ...]
Prints one JSON line per model: {"path", "ok", "error", "outputs": {name: [dims]}}.
"""
import json
import sys

import onnx
from onnx import shape_inference


def dims_of(vi):
    out = []
    for d in vi.type.tensor_type.shape.dim:
        if d.HasField("dim_value"):
            out.append(d.dim_value)
        elif d.HasField("dim_param"):
            out.append(d.dim_param)
        else:
            out.append(None)
    return out


for path in sys.argv[1:]:
    res = {"path": path, "ok": True, "error": None, "outputs": {}, "value_info": {}}
    try:
        model = onnx.load(path)
        onnx.checker.check_model(model, full_check=True)
        inferred = shape_inference.infer_shapes(model, check_type=True, strict_mode=True)
        for o in inferred.graph.output:
            res["outputs"][o.name] = dims_of(o)
        for v in inferred.graph.value_info:
            res["value_info"][v.name] = dims_of(v)
    except Exception as e:  # report, do not crash: the caller decides
        res["ok"] = False
        res["error"] = f"{type(e).__name__}: {e}"
    print(json.dumps(res), flush=True)
