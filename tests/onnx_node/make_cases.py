#!/usr/bin/env python3
"""Writes our own regression cases in the layout of ONNX's node tests
(DIR/test_*/model.onnx + test_data_set_0/input_K.pb, output_K.pb), for
build/onnx-node-test --data DIR. Each expected output is what a correct
engine computes; an engine may instead refuse the model at load.

  test_own_reduce_mean_axes_input_opset13: ReduceMean given an `axes`
      input at opset 13, where axes is an attribute (an input only from
      opset 18). The model is invalid at 13: it must be refused, not run
      with the input ignored (that reduced over all axes: a wrong answer).
  test_own_reduce_mean_axes_attr_opset13: the valid form: must PASS.
"""
import os
import struct
import sys


def varint(v):
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        out.append(b | (0x80 if v else 0))
        if not v:
            return bytes(out)


def key(f, wt):
    return varint(f << 3 | wt)


def fbytes(f, b):
    return key(f, 2) + varint(len(b)) + b


def fint(f, v):
    return key(f, 0) + varint(v & 0xFFFFFFFFFFFFFFFF)


def tensor(name, dims, dtype, values):
    raw = struct.pack('<%d%s' % (len(values), 'f' if dtype == 1 else 'q'), *values)
    return b''.join(fint(1, d) for d in dims) + fint(2, dtype) + fbytes(8, name.encode()) + fbytes(9, raw)


def value_info(name, dtype, dims):
    shape = b''.join(fbytes(1, fint(1, d)) for d in dims)
    return fbytes(1, name.encode()) + fbytes(2, fbytes(1, fint(1, dtype) + fbytes(2, shape)))


def attr_ints(name, vals):
    return fbytes(1, name.encode()) + b''.join(fint(8, v) for v in vals) + fint(20, 7)


def attr_int(name, v):
    return fbytes(1, name.encode()) + fint(3, v) + fint(20, 2)


def model(op, ins, outs, attrs, inputs, outputs, opset):
    node = b''.join(fbytes(1, i.encode()) for i in ins) + b''.join(fbytes(2, o.encode()) for o in outs)
    node += fbytes(4, op.encode()) + b''.join(fbytes(5, a) for a in attrs)
    g = fbytes(1, node) + fbytes(2, b'own')
    g += b''.join(fbytes(11, value_info(*i)) for i in inputs)
    g += b''.join(fbytes(12, value_info(*o)) for o in outputs)
    return fint(1, 7) + fbytes(7, g) + fbytes(8, fbytes(1, b'') + fint(2, opset))


def write(root, name, mdl, ins, outs):
    d = os.path.join(root, name, 'test_data_set_0')
    os.makedirs(d, exist_ok=True)
    open(os.path.join(root, name, 'model.onnx'), 'wb').write(mdl)
    for k, t in enumerate(ins):
        open(os.path.join(d, 'input_%d.pb' % k), 'wb').write(tensor(*t))
    for k, t in enumerate(outs):
        open(os.path.join(d, 'output_%d.pb' % k), 'wb').write(tensor(*t))


def main():
    root = sys.argv[1]
    data = [float(i) for i in range(12)]                       # [3, 2, 2]
    mean1 = [(data[a * 4 + c] + data[a * 4 + 2 + c]) / 2 for a in range(3) for c in range(2)]
    write(root, 'test_own_reduce_mean_axes_input_opset13',
          model('ReduceMean', ['data', 'axes'], ['reduced'], [attr_int('keepdims', 1)],
                [('data', 1, [3, 2, 2]), ('axes', 7, [1])], [('reduced', 1, [3, 1, 2])], 13),
          [('data', [3, 2, 2], 1, data), ('axes', [1], 7, [1])],
          [('reduced', [3, 1, 2], 1, mean1)])
    write(root, 'test_own_reduce_mean_axes_attr_opset13',
          model('ReduceMean', ['data'], ['reduced'], [attr_ints('axes', [1]), attr_int('keepdims', 1)],
                [('data', 1, [3, 2, 2])], [('reduced', 1, [3, 1, 2])], 13),
          [('data', [3, 2, 2], 1, data)],
          [('reduced', [3, 1, 2], 1, mean1)])


if __name__ == '__main__':
    main()
