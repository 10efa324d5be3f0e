"""Slow plain-NumPy references for the response tests."""

import numpy as np


def volterra_sum(r1, r2, d2, mean, u, dt):
    """docs/theory.md (2.4) by explicit loops: r1 (L, p, m), r2(m1, m2) (L, L, p, m, m) in EM index
    (r2[m1, m2] = r2(m1, m2)), d2 (L, p, m, m); returns (n_steps+1, p)."""
    N = u.shape[0]
    L = r1.shape[0]
    out = np.tile(np.asarray(mean, float), (N + 1, 1))
    for n in range(1, N + 1):
        for j in range(n):
            k = n - 1 - j
            if k < L:
                out[n] += dt * r1[k] @ u[j]
                if d2 is not None:
                    out[n] += 0.5 * np.einsum("pab,a,b->p", d2[k], u[j], u[j])
            if r2 is None:
                continue
            for j2 in range(j):
                m1, m2 = n - 1 - j, j - j2 - 1
                if m1 < L and m2 < r2.shape[1]:
                    out[n] += dt * dt * np.einsum("pab,a,b->p", r2[m1, m2], u[j], u[j2])
    return out


def em_mean_path(A, b, C, dt, u, h0):
    """Deterministic EM mean recursion mu_{j+1} = mu_j + dt (-A mu_j + b + C u_j)."""
    mu = [np.asarray(h0, float)]
    for j in range(u.shape[0]):
        mu.append(mu[-1] + dt * (-A @ mu[-1] + b + C @ u[j]))
    return np.array(mu)


def wide_srnn(mode, activation, n_inputs, seed):
    """5 units (the product-kernel loops), ``n_inputs`` inputs, a 5 x 3 sigma (three noise
    channels), a full leak and two outputs, drawn from ``seed``."""
    import srnnkit as sk

    rng = np.random.default_rng(seed)
    return sk.SRNN(W=0.4 * rng.standard_normal((5, 5)) / np.sqrt(5),
                   C=rng.standard_normal((5, n_inputs)), sigma=0.3 * rng.uniform(0.5, 1, (5, 3)),
                   gamma=np.eye(5) + 0.1 * rng.standard_normal((5, 5)),
                   b=0.1 * rng.standard_normal(5), activation=activation,
                   readout=rng.standard_normal((2, 5)), input_mode=mode)
