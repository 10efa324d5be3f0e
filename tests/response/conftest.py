"""Shared SRNNs of docs/theory.md §9 for the response tests."""

import numpy as np
import pytest

import srnnkit as sk

V1_PARAMS = dict(W=[[0.0, 0.5], [-0.3, 0.0]], C=[[1.0], [0.5]], sigma=[[0.6, 0.0], [0.2, 0.5]],
                 gamma=[1.0, 0.8], activation="identity")
M_QUAD = np.array([[1.0, 0.3], [0.3, 0.5]])


@pytest.fixture
def ou():
    """V1: 2-D linear SRNN (OU process) with the linear readout Q = [1, 0.5]."""
    return sk.SRNN(**V1_PARAMS, readout=[[1.0, 0.5]])


@pytest.fixture
def ou_quad():
    """V1b: the same OU process with the quadratic readout f = h^T M h / 2."""
    return sk.SRNN(**V1_PARAMS, readout=sk.readouts.Quadratic(M_QUAD))


@pytest.fixture
def tanh1d():
    """V2: 1-D tanh SRNN, gamma=1, w=0.8, b=0.3, c=1, sigma=0.5, f=h."""
    return sk.SRNN(W=[[0.8]], C=[[1.0]], sigma=0.5, gamma=1.0, b=[0.3])


@pytest.fixture
def tanh2d():
    """A 2-D tanh SRNN with two inputs and two outputs (no closed form, no grid)."""
    return sk.SRNN(W=[[0.5, -0.4], [0.6, 0.2]], C=[[1.0, 0.0], [0.3, 0.7]],
                   sigma=[[0.6, 0.1], [0.0, 0.5]], gamma=[1.0, 1.2], b=[0.2, -0.1],
                   readout=[[1.0, 0.0], [0.5, -1.0]])


@pytest.fixture
def step_input():
    """Step input w = 1 on [0, 1), 0 on [1, 2), dt = 0.02 (T = 2)."""
    w = np.zeros((100, 1))
    w[:50] = 1.0
    return w
