"""Writes inputs for `eqv audit --inputs FILE` and `eqv lie --inputs FILE`: one tensor, batch first, in TorchSharp's
tensor format (a 7-bit-encoded dtype code, rank and sizes, then the elements in C order, little-endian).

    /usr/bin/python3 tools/eqv_inputs.py IN OUT
IN is a tensor saved with torch.save (a .pt) or a NumPy array saved with numpy.save (a .npy); it is written as float32
(float64 stays float64). In your own code, the same in three lines:

    import torch
    from tools.eqv_inputs import save_tensor
    save_tensor(torch.rand(16, 3, 224, 224), "inputs.tensor")
"""
import sys


def _leb128(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | 0x80 if n else b)
        if not n:
            return bytes(out)


def save_tensor(tensor, path):
    """Writes a torch tensor or NumPy array in TorchSharp's format (float64 kept, anything else as float32)."""
    import numpy as np

    array = tensor.detach().cpu().numpy() if hasattr(tensor, "detach") else np.asarray(tensor)
    array = np.ascontiguousarray(array, dtype=np.float64 if array.dtype == np.float64 else np.float32)
    code = 7 if array.dtype == np.float64 else 6  # TorchSharp's ScalarType: Float64 = 7, Float32 = 6
    with open(path, "wb") as f:
        f.write(_leb128(code))
        f.write(_leb128(array.ndim))
        for size in array.shape:
            f.write(_leb128(size))
        f.write(array.astype(array.dtype.newbyteorder("<"), copy=False).tobytes())


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    source, target = sys.argv[1], sys.argv[2]
    if source.endswith(".npy"):
        import numpy as np

        data = np.load(source)
    else:
        import torch

        data = torch.load(source)
    save_tensor(data, target)
    print(f"{target}: {list(data.shape)}")


if __name__ == "__main__":
    main()
