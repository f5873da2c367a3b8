import numpy as np

from app.tasks import autoencoder as task


def rows(codes, rebuilt):
    return [{"input": x.tolist(), "code": list(c), "reconstruction": list(r)} for x, c, r in zip(task.TOY_INPUTS, codes, rebuilt)]


def test_toy_is_the_articles_network():
    model = task.build_toy()
    assert [layer.units for layer in model.layers] == [2, 4]
    assert all(layer.activation.__name__ == "sigmoid" for layer in model.layers)
    assert model.count_params() == 4 * 2 + 2 + 2 * 4 + 4


def test_toy_table_has_one_row_per_input():
    table = task.toy_table(task.build_toy())
    assert [r["input"] for r in table] == task.TOY_INPUTS.tolist()
    assert all(len(r["code"]) == 2 and len(r["reconstruction"]) == 4 for r in table)


def test_solved_means_rebuilt_and_four_corners():
    corners = [(0.05, 0.1), (0.9, 0.05), (0.1, 0.95), (0.95, 0.9)]
    good = task.TOY_INPUTS * 0.8 + 0.05
    assert task.toy_solved(rows(corners, good))
    assert not task.toy_solved(rows([(0.05, 0.1), (0.9, 0.05), (0.1, 0.95), (0.5, 0.9)], good))  # off a corner
    assert not task.toy_solved(rows([(0.05, 0.1), (0.05, 0.1), (0.1, 0.95), (0.95, 0.9)], good))  # a corner twice
    assert not task.toy_solved(rows(corners, np.roll(good, 1, axis=1)))  # rebuilt wrong
