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
