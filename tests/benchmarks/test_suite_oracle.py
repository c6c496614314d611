"""The suite's oracle cache is keyed by what decides its numbers: data, model, loss, code."""

import oracle


def test_fingerprint_tells_apart_models_on_the_same_data_and_is_stable():
    linear, mlp = "suite:iris-logreg", "suite:iris-mlp-gelu"
    assert oracle.suite_fingerprint(linear) == oracle.suite_fingerprint(linear)
    assert oracle.suite_fingerprint(linear) != oracle.suite_fingerprint(mlp)


def test_cache_key_is_the_task_name_for_either_spelling():
    assert oracle.cache_key("suite:iris-logreg") == "iris-logreg"
    assert oracle.cache_key(oracle.suite.ref("iris-logreg")) == "iris-logreg"
