"""Plain-NumPy Philox4x32-10 and the documented device noise stream (test reference)."""

import numpy as np

M0, M1 = np.uint64(0xD2511F53), np.uint64(0xCD9E8D57)
W0, W1 = np.uint64(0x9E3779B9), np.uint64(0xBB67AE85)
MASK = np.uint64(0xFFFFFFFF)


def philox4x32_10(ctr, key):
    """ctr (N, 4) and key (2,) of 32-bit values -> (N, 4) uint64 holding 32-bit words."""
    c = [np.asarray(ctr, dtype=np.uint64)[:, i].copy() for i in range(4)]
    k0, k1 = np.uint64(key[0]), np.uint64(key[1])
    for _ in range(10):
        p0 = M0 * c[0]
        p1 = M1 * c[2]
        c = [(p1 >> np.uint64(32)) ^ c[1] ^ k0, p1 & MASK,
             (p0 >> np.uint64(32)) ^ c[3] ^ k1, p0 & MASK]
        k0 = (k0 + W0) & MASK
        k1 = (k1 + W1) & MASK
    return np.stack(c, axis=1)


def device_normals(seed, i, step, path, series):
    """Normal ``i`` at step counter ``step`` of (path, series), as docs/cuda.md specifies."""
    key = np.random.SeedSequence(seed).generate_state(2, np.uint32)
    i, step, path, series = np.broadcast_arrays(*(np.asarray(v, dtype=np.int64)
                                                  for v in (i, step, path, series)))
    ctr = np.stack([i.ravel() >> 1, step.ravel(), path.ravel(), series.ravel()], axis=1)
    w = philox4x32_10(ctr, key).astype(np.float64)
    u1 = ((w[:, 0] // 32) * 67108864.0 + w[:, 1] // 64 + 0.5) / 2.0**53
    u2 = ((w[:, 2] // 32) * 67108864.0 + w[:, 3] // 64 + 0.5) / 2.0**53
    rad = np.sqrt(-2.0 * np.log(u1))
    z = np.where(i.ravel() & 1, rad * np.sin(2 * np.pi * u2), rad * np.cos(2 * np.pi * u2))
    return z.reshape(i.shape)
