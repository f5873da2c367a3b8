from app.worlds.photo import text as photo_text

TSV = "\t".join(
    ["level", "page_num", "block_num", "par_num", "line_num", "word_num", "left", "top", "width", "height", "conf", "text"]
)


def row(left, conf, text):
    return "\t".join(["5", "1", "1", "1", "1", "1", str(left), "10", "40", "20", str(conf), text])


def test_only_sure_words_that_look_like_words_are_kept():
    tsv = "\n".join([TSV, row(0, 95.5, "STOP"), row(50, 40.0, "ae"), row(90, 91.0, "\\\\"), row(120, 88.0, "HERE")])
    words = photo_text.parse_tsv(tsv, scale=0.5)
    assert [w.text for w in words] == ["STOP", "HERE"]
    assert words[0].box == (0.0, 20.0, 80.0, 60.0)  # back in the image's pixels


def test_word_shapes():
    assert photo_text.looks_like_a_word("STOP") and photo_text.looks_like_a_word("1,000")
    assert not photo_text.looks_like_a_word("|") and not photo_text.looks_like_a_word("~_<=")
