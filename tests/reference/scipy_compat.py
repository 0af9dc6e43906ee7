"""SciPy differences the Python references and benchmark peers meet (Debian 12 has SciPy 1.10; the GPU image a
newer one): `sqrtm(m)` is pytorch-fid's `scipy.linalg.sqrtm(m, disp=False)[0]`, the call SciPy 1.16 rejects
(its `disp` argument is gone; the plain call returns the same matrix)."""
from scipy import linalg


def sqrtm(m):
    try:
        return linalg.sqrtm(m, disp=False)[0]
    except TypeError:
        return linalg.sqrtm(m)
