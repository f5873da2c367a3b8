from benchmarks import precision


def test_compare_records_what_the_registry_reads(tiny_models_dir):
    record = precision.compare("vqa", tiny_models_dir, n_questions=24, calls=2)
    assert set(record["accuracy_float32"]) == set(record["accuracy_bfloat16"]) == set(precision.TEST_SETS)
    assert record["questions"] >= 2 * 24 * 0.9 and 0.0 <= record["agreement"] <= 1.0
    assert set(record["forward_ms"]["bfloat16"]) == {str(b) for b in precision.BATCH_SIZES}
    assert record["serve"] == (record["agreement"] >= precision.MIN_AGREEMENT and record["speedup"] > 1.0)
