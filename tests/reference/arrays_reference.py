#!/usr/bin/python3
"""Independent reference for latentlab's array files (.npy, .npz, safetensors).

  arrays_reference.py write DIR   numpy writes .npy/.npz files (C and Fortran order, big-endian, 0-d, empty,
                                  stored and deflated archives, ADM batches, pytorch-fid statistics) and the
                                  small safetensors writer below writes safetensors files, with a BF16 tensor
                                  made by torch; arrays_reference_test.cpp reads them with the C++ readers.
  arrays_reference.py check DIR [--no-npz]
                                  loads the files the C++ writers left in DIR (numpy for .npy/.npz, the small
                                  reader below for safetensors, torch to decode BF16) and checks dtype, shape
                                  and values; exits 1 with a message on the first mismatch. --no-npz: the
                                  C++ build has no libzip, so it wrote no .npz files.

Values are recomputed on each side from the element index with the formula of values() (mirrored in
arrays_reference_test.cpp); every value is exact in its dtype, so comparisons are exact.
The safetensors code follows the published format (huggingface/safetensors README): u64 little-endian header
length, JSON header, data. It is written here because Debian ships no safetensors package.
"""
import io
import json
import os
import struct
import sys
import zipfile

import numpy as np
import torch

NUMPY_CODES = ["f8", "f4", "f2", "i8", "i4", "i2", "i1", "u1", "b1"]
SAFETENSORS_NAMES = {"f8": "F64", "f4": "F32", "f2": "F16", "bf16": "BF16", "i8": "I64", "i4": "I32",
                     "i2": "I16", "i1": "I8", "u1": "U8", "b1": "BOOL"}
INT_SCALE = {"i1": 1, "i2": 100, "i4": 1000003, "i8": 1000000000007}


def values(code, shape):
    """The array of dtype `code` whose element with C-order index i is a fixed function of i."""
    i = np.arange(int(np.prod(shape, dtype=np.int64)), dtype=np.int64)
    if code in ("f8", "f4", "f2", "bf16"):
        v = ((i % 97) - 40).astype(np.float64) * 0.25
        v = v.astype(np.float32 if code == "bf16" else np.dtype("<" + code))
    elif code in INT_SCALE:
        v = (((i * 37) % 251) - 125) * INT_SCALE[code]
        v = v.astype("<" + code)
    elif code == "u1":
        v = ((i * 37) % 251).astype(np.uint8)
    else:
        v = i % 3 == 0
    return v.reshape(shape)


def bf16_bytes(shape):
    """BF16 bytes made by torch (the values are exact in bfloat16)."""
    t = torch.from_numpy(values("bf16", shape).copy()).to(torch.bfloat16)
    return t.contiguous().view(torch.int16).numpy().tobytes()


def write_safetensors(path, tensors, metadata=None, pad=True, header_order=None):
    """tensors: list of (name, dtype name, shape, bytes) in data order; header_order: names in JSON order."""
    header, offset = {}, 0
    entries = {}
    for name, dtype, shape, data in tensors:
        entries[name] = {"dtype": dtype, "shape": list(shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
    if metadata is not None:
        header["__metadata__"] = metadata
    for name in header_order or [t[0] for t in tensors]:
        header[name] = entries[name]
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    if pad:
        text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for t in tensors:
            f.write(t[3])


def read_safetensors(path):
    """Returns (metadata, [(name, dtype, shape, bytes)] in data order), checking the layout as it goes."""
    raw = open(path, "rb").read()
    (n,) = struct.unpack("<Q", raw[:8])
    check(8 + n <= len(raw), f"{path}: header length {n} past the end")
    check((8 + n) % 8 == 0, f"{path}: header of {n} bytes is not padded to a multiple of 8")
    header = json.loads(raw[8:8 + n].decode("utf-8"))
    metadata = header.pop("__metadata__", {})
    data = raw[8 + n:]
    items = sorted(header.items(), key=lambda kv: kv[1]["data_offsets"][0])
    end = 0
    out = []
    for name, info in items:
        begin, stop = info["data_offsets"]
        check(begin == end, f"{path}: tensor {name!r} starts at {begin}, previous ends at {end}")
        out.append((name, info["dtype"], tuple(info["shape"]), data[begin:stop]))
        end = stop
    check(end == len(data), f"{path}: tensors end at {end} of {len(data)} data bytes")
    header_names = list(header.keys())
    check(header_names == [t[0] for t in out], f"{path}: header order {header_names} is not the data order")
    return metadata, out


def check(condition, message):
    if not condition:
        print("MISMATCH: " + message, file=sys.stderr)
        sys.exit(1)


def check_array(where, got, code, shape):
    want = values(code, shape)
    check(got.dtype == want.dtype, f"{where}: dtype {got.dtype.str}, expected {want.dtype.str}")
    check(got.shape == tuple(shape), f"{where}: shape {got.shape}, expected {tuple(shape)}")
    check(np.array_equal(got, want), f"{where}: values differ")


def write(d):
    shape = (2, 3, 4)
    for code in NUMPY_CODES:
        np.save(os.path.join(d, f"c_{code}.npy"), values(code, shape))
        np.save(os.path.join(d, f"fortran_{code}.npy"), np.asfortranarray(values(code, shape)))
        if code[1] != "1":
            np.save(os.path.join(d, f"big_{code}.npy"), values(code, shape).astype(">" + code))
    np.save(os.path.join(d, "big_fortran_f8.npy"), np.asfortranarray(values("f8", shape).astype(">f8")))
    np.save(os.path.join(d, "transposed_f4.npy"), values("f4", (4, 5)).T)  # element [i, j] = v(5 j + i)
    np.save(os.path.join(d, "scalar_f8.npy"), values("f8", ()))
    np.save(os.path.join(d, "empty_f4.npy"), values("f4", (0, 3)))

    members = {code: values(code, shape) for code in NUMPY_CODES}
    np.savez(os.path.join(d, "stored.npz"), **members)
    np.savez_compressed(os.path.join(d, "compressed.npz"), **members)
    # ADM sample batch (np.savez(path, images, labels)) and pytorch-fid statistics (np.savez(path, mu=, sigma=)).
    adm = (values("u1", (10, 8, 8, 3)), values("i8", (10,)))
    np.savez(os.path.join(d, "adm.npz"), *adm)
    np.savez_compressed(os.path.join(d, "adm_compressed.npz"), *adm)
    np.savez(os.path.join(d, "fid_stats.npz"), mu=values("f8", (16,)), sigma=values("f8", (16, 16)))

    tensors = [(f"t_{code}", SAFETENSORS_NAMES[code], shape, values(code, shape).tobytes()) for code in NUMPY_CODES]
    tensors.insert(3, ("t_bf16", "BF16", shape, bf16_bytes(shape)))
    tensors.append(("scalar", "F64", (), values("f8", ()).tobytes()))
    tensors.append(("empty", "F32", (0, 3), b""))
    write_safetensors(os.path.join(d, "reference.safetensors"), tensors,
                      metadata={"format": "pt", "source": "arrays_reference.py"})
    # No padding, header in the reverse of the data order, no metadata.
    write_safetensors(os.path.join(d, "unpadded.safetensors"), tensors[:4], pad=False,
                      header_order=[t[0] for t in reversed(tensors[:4])])


def check_dir(d, npz=True):
    shape = (2, 3, 4)
    for code in NUMPY_CODES:
        path = os.path.join(d, f"cpp_{code}.npy")
        got = np.load(path)
        check_array(path, got, code, shape)
        buffer = io.BytesIO()
        np.save(buffer, got)
        check(open(path, "rb").read() == buffer.getvalue(), f"{path}: bytes differ from what np.save writes")
    check_array("cpp_scalar_f8.npy", np.load(os.path.join(d, "cpp_scalar_f8.npy")), "f8", ())
    check_array("cpp_empty_f4.npy", np.load(os.path.join(d, "cpp_empty_f4.npy")), "f4", (0, 3))

    npz_files = (("cpp_stored.npz", zipfile.ZIP_STORED), ("cpp_compressed.npz", zipfile.ZIP_DEFLATED))
    for name, method in npz_files if npz else ():
        path = os.path.join(d, name)
        with zipfile.ZipFile(path) as z:
            for info in z.infolist():
                check(info.compress_type == method, f"{path}: member {info.filename} compression {info.compress_type}")
        with np.load(path, allow_pickle=False) as npz:
            check(npz.files == NUMPY_CODES, f"{path}: members {npz.files}, expected {NUMPY_CODES}")
            for code in NUMPY_CODES:
                check_array(f"{path}:{code}", npz[code], code, shape)

    path = os.path.join(d, "cpp.safetensors")
    metadata, tensors = read_safetensors(path)
    check(metadata == {"format": "pt", "writer": "latentlab"}, f"{path}: metadata {metadata}")
    codes = NUMPY_CODES[:3] + ["bf16"] + NUMPY_CODES[3:]
    check([t[0] for t in tensors] == [f"t_{c}" for c in codes], f"{path}: names {[t[0] for t in tensors]}")
    for (name, dtype, got_shape, data), code in zip(tensors, codes):
        check(dtype == SAFETENSORS_NAMES[code], f"{path}: {name} dtype {dtype}")
        check(got_shape == shape, f"{path}: {name} shape {got_shape}")
        if code == "bf16":
            got = torch.frombuffer(bytearray(data), dtype=torch.bfloat16).float().numpy().reshape(shape)
            check(np.array_equal(got, values("bf16", shape)), f"{path}: {name} values differ")
        else:
            check_array(f"{path}:{name}", np.frombuffer(data, dtype=values(code, ()).dtype).reshape(shape), code, shape)


def main():
    args = sys.argv[1:]
    if len(args) == 2 and args[0] == "write":
        write(args[1])
    elif args[:1] == ["check"] and len(args) in (2, 3) and args[2:] in ([], ["--no-npz"]):
        check_dir(args[1], npz=len(args) == 2)
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
