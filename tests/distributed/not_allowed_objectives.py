"""A module the test workers are NOT allowed to import."""


def objective(trial):  # noqa: ANN001, ANN201
    return 0.0
