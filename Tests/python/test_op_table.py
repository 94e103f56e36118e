"""Every op in the table: forward vs NumPy, first- and second-order gradcheck in float64."""
import numpy as np
import pytest

import swiftgrad as sg
from op_table import ALL


@pytest.mark.parametrize("case", ALL, ids=repr)
def test_forward_matches_numpy(case):
    arrays = case.inputs()
    out = case.fn(*[sg.tensor(a) for a in arrays])
    sg.testing.assert_allclose(out, case.reference(*arrays), rtol=1e-12, atol=1e-12)
    assert out.shape == np.shape(case.reference(*arrays))


@pytest.mark.parametrize("case", ALL, ids=repr)
def test_gradcheck(case):
    assert sg.gradcheck(case.fn, case.inputs(), atol=1e-6, rtol=1e-5)


@pytest.mark.parametrize("case", [c for c in ALL if c.second_order], ids=repr)
def test_gradgradcheck(case):
    assert sg.gradgradcheck(case.fn, case.inputs(seed=1), atol=1e-5, rtol=1e-4)
