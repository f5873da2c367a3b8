from benchmarks import against


def test_a_revision_is_checked_out_beside_the_tree_and_removed_after():
    with against.checkout("HEAD") as folder:
        assert (folder / "app" / "main.py").is_file() and (folder / "models" / "vqa" / "card.json").is_file()
    assert not folder.exists()


def test_the_routes_send_the_pages_requests():
    path, body, content_type = against.request_for("vqa")
    assert path == "/api/vqa" and content_type.startswith("multipart/form-data") and b"large circle" in body
    assert against.request_for("digits")[0] == "/api/digits"


def test_percentile():
    assert against.percentile(list(range(101)), 0.99) == 99 and against.percentile([5.0], 0.5) == 5.0
