"""The page in a real browser: draw, read, clear, upload, errors, small screens."""

from __future__ import annotations

import io

import pytest
from PIL import Image, ImageDraw

from app.config import ROOT

pytestmark = pytest.mark.browser


def draw(page, points):
    canvas = page.get_by_test_id("digit-canvas")
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    to_screen = lambda p: (box["x"] + p[0] * box["width"], box["y"] + p[1] * box["height"])  # noqa: E731
    page.mouse.move(*to_screen(points[0]))
    page.mouse.down()
    for point in points[1:]:
        page.mouse.move(*to_screen(point), steps=8)
    page.mouse.up()


def test_draw_a_one_and_read_it(page):
    page.goto("/")
    draw(page, [(0.5, 0.15), (0.5, 0.85)])
    page.get_by_test_id("digit-predict").click()
    value = page.get_by_test_id("digit-value")
    value.wait_for()
    assert value.inner_text() == "1"
    result = page.get_by_test_id("digit-result")
    assert "runs with dropout give the same digit" in result.inner_text()  # the page asks for MC dropout
    assert result.get_attribute("aria-busy") == "false"
    assert page.locator(".bars li").count() == 10
    assert page.console_errors == []


def test_lifting_the_pen_reads_the_digit_by_itself(page):
    page.goto("/")
    draw(page, [(0.3, 0.2), (0.7, 0.2), (0.45, 0.85)])  # a seven
    page.get_by_test_id("digit-value").wait_for(timeout=10_000)
    assert page.get_by_test_id("digit-value").inner_text() == "7"


def test_clear_and_empty_canvas(page):
    page.goto("/")
    draw(page, [(0.5, 0.2), (0.5, 0.8)])
    page.get_by_test_id("digit-predict").click()
    page.get_by_test_id("digit-value").wait_for()
    page.get_by_test_id("digit-clear").click()
    assert page.get_by_test_id("digit-value").count() == 0
    page.get_by_test_id("digit-predict").click()
    alert = page.get_by_role("alert")
    assert "Draw a digit first" in alert.inner_text()


def test_upload_a_photo_of_a_digit(page):
    image = Image.new("RGB", (300, 200), (235, 230, 220))  # paper, not pure white
    ImageDraw.Draw(image).line([(150, 30), (150, 170)], fill=(30, 30, 60), width=14)
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG")
    page.goto("/")
    page.locator("#digit-file").set_input_files({"name": "one.jpg", "mimeType": "image/jpeg", "buffer": buffer.getvalue()})
    page.get_by_test_id("digit-value").wait_for()
    assert page.get_by_test_id("digit-value").inner_text() == "1"


def test_a_bad_upload_shows_the_servers_error_in_words(page):
    page.goto("/")
    page.locator("#digit-file").set_input_files({"name": "notes.png", "mimeType": "image/png", "buffer": b"not a picture"})
    alert = page.get_by_role("alert")
    alert.wait_for()
    assert "not an image" in alert.inner_text()
    page.console_errors.clear()  # the browser logs the 415 itself; that is the point of this test


def test_phone_sized_screen_and_touch(browser, live_server):
    context = browser.new_context(base_url=live_server, viewport={"width": 360, "height": 740}, has_touch=True)
    page = context.new_page()
    page.goto("/")
    canvas = page.get_by_test_id("digit-canvas")
    assert canvas.is_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")  # no sideways scrolling
    assert page.evaluate("getComputedStyle(document.getElementById('digit-canvas')).touchAction") == "none"
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    page.touchscreen.tap(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)  # a dot is not a digit, but it is ink
    page.get_by_test_id("digit-predict").click()
    page.get_by_test_id("digit-value").wait_for()
    context.close()


def test_keyboard_reaches_the_controls(page):
    page.goto("/")
    focused = set()
    page.get_by_test_id("vqa-sample").first.wait_for()
    for _ in range(70):
        page.keyboard.press("Tab")
        focused.add(page.evaluate("document.activeElement.id || document.activeElement.textContent.trim()"))
    assert {"vqa-drop", "vqa-image", "vqa-question", "vqa-ask", "vqa-explain", "vqa-model"} <= focused
    assert {"digit-predict", "digit-clear", "digit-file"} <= focused


def test_dropout_section_and_models_table(page):
    page.goto("/")
    plot = page.locator("#dropout img")
    plot.wait_for()
    assert page.evaluate("document.querySelector('#dropout img').naturalWidth") > 0
    assert page.locator("#models tbody tr").count() >= 3
    assert page.console_errors == []


def test_ask_about_a_sample_scene_and_keep_its_history(page):
    page.goto("/")
    samples = page.locator("[data-testid=vqa-sample][data-world=shapes]")
    samples.first.wait_for()
    assert samples.count() == 24
    samples.nth(3).click()
    preview = page.locator("#vqa-preview")
    preview.wait_for()
    page.wait_for_function("document.querySelector('#vqa-preview').naturalWidth > 0")
    page.locator("#vqa-suggestions button.chip").first.click()  # a suggested question asks at once
    answers = page.get_by_test_id("vqa-answers")
    answers.locator(".vqa-bars li").first.wait_for()
    assert answers.locator(".vqa-bars li").count() == 5  # a query: the top five of the model's answers
    assert "true answer" in answers.inner_text() and answers.locator(".top-answer").count() == 1
    assert page.locator("#vqa-heatmap").is_visible()  # where it looked, over the image

    page.get_by_test_id("vqa-question").fill("How many objects are there?")
    page.get_by_test_id("vqa-ask").click()
    page.wait_for_function("document.querySelectorAll('#vqa-history li').length === 2")
    assert "How many objects are there?" in page.get_by_test_id("vqa-history").inner_text()
    page.locator("#vqa-explain").uncheck()
    assert page.locator("#vqa-heatmap").is_hidden()

    samples.nth(5).click()  # a new image starts a new history
    page.wait_for_function("document.querySelectorAll('#vqa-history li').length === 0")
    assert page.console_errors == []


def test_a_deep_question_shows_the_parsed_scene_and_its_program(page):
    page.goto("/")
    samples = page.locator("[data-testid=vqa-sample][data-world=shapes]")
    samples.first.wait_for()
    samples.nth(2).click()
    page.wait_for_function("document.querySelector('#vqa-preview').naturalWidth > 0")
    page.get_by_test_id("vqa-question").fill("How many things are not red?")
    page.get_by_test_id("vqa-ask").click()
    program = page.get_by_test_id("vqa-program")
    program.wait_for()
    assert program.locator("li").count() == 4  # all objects, the red ones, the others, how many
    assert "how many are in [3]" in program.inner_text()
    assert page.get_by_test_id("vqa-box").count() >= 3  # every parsed object outlined over the scene
    assert page.get_by_test_id("vqa-box-list").locator("li").count() == page.get_by_test_id("vqa-box").count()
    assert page.console_errors == []


def test_an_uploaded_photo_is_answered_by_the_photo_models(page):
    page.goto("/")
    photo = (ROOT / "static" / "photos" / "cat.jpg").read_bytes()
    page.get_by_test_id("vqa-image").set_input_files(files=[{"name": "cat.jpg", "mimeType": "image/jpeg", "buffer": photo}])
    page.wait_for_function("document.querySelector('#vqa-preview').naturalWidth > 0")
    page.get_by_test_id("vqa-question").fill("What animal is this?")
    page.get_by_test_id("vqa-ask").click()
    page.locator("[data-testid=vqa-world-note][data-world=photo]").wait_for()
    answers = page.get_by_test_id("vqa-answers")
    assert answers.locator(".top-answer").inner_text() == "cat"
    assert "Classifier:" in page.get_by_test_id("vqa-evidence").inner_text()
    assert page.get_by_test_id("vqa-box").count() >= 1  # the detector's boxes over the photo
    assert page.get_by_test_id("vqa-history-world").first.inner_text() == "photo"
    assert "Read as: “what animal is this”" in answers.locator(".vqa-details").text_content()

    # unsure: said in words, no bold answer and no bar
    page.get_by_test_id("vqa-question").fill("Is there a spoon?")
    page.get_by_test_id("vqa-ask").click()
    page.wait_for_function("document.querySelectorAll('#vqa-history li').length === 2")
    assert "can't tell" in page.get_by_test_id("vqa-unsure").inner_text()
    assert answers.locator(".top-answer").count() == 0 and answers.locator(".vqa-bars li").count() == 0

    page.get_by_test_id("vqa-question").fill("What is the cat doing?")
    page.get_by_test_id("vqa-ask").click()
    page.wait_for_function("document.querySelectorAll('#vqa-history li').length === 3")
    assert "not what a cat does" in page.get_by_test_id("vqa-scope").inner_text()  # what it cannot, in words
    assert "can't answer this" in page.get_by_test_id("vqa-history").inner_text()
    assert page.console_errors == []


def test_a_question_about_people_draws_their_skeletons(page):
    page.goto("/")
    photo = (ROOT / "static" / "photos" / "astronaut.jpg").read_bytes()
    page.get_by_test_id("vqa-image").set_input_files(files=[{"name": "a.jpg", "mimeType": "image/jpeg", "buffer": photo}])
    page.wait_for_function("document.querySelector('#vqa-preview').naturalWidth > 0")
    page.get_by_test_id("vqa-question").fill("How many people are there?")
    page.get_by_test_id("vqa-ask").click()
    page.locator("[data-testid=vqa-world-note][data-world=photo]").wait_for()
    assert page.get_by_test_id("vqa-answers").locator(".top-answer").inner_text() == "1"
    skeleton = page.get_by_test_id("vqa-skeleton")
    assert skeleton.count() == 1 and skeleton.locator("line").count() >= 3  # shoulders, face
    assert "Pose model" in page.get_by_test_id("vqa-people").inner_text()

    page.get_by_test_id("vqa-question").fill("Is she smiling?")
    page.get_by_test_id("vqa-ask").click()
    page.wait_for_function("document.querySelectorAll('#vqa-history li').length === 2")
    assert page.get_by_test_id("vqa-answers").locator(".top-answer").inner_text() == "yes"
    assert "face, happy" in page.get_by_test_id("vqa-box-list").inner_text()  # the face outlined, listed
    assert page.get_by_test_id("vqa-box-list").locator("li").count() == page.get_by_test_id("vqa-box").count()

    page.get_by_test_id("vqa-question").fill("What colour is her suit?")
    page.get_by_test_id("vqa-ask").click()
    page.wait_for_function("document.querySelectorAll('#vqa-history li').length === 3")
    assert page.get_by_test_id("vqa-person-mask").count() == 1  # the segmentation, tinted over the photo
    assert page.console_errors == []


def test_sample_photos_come_with_questions(page):
    page.goto("/")
    photos = page.locator("[data-testid=vqa-sample][data-world=photo]")
    photos.first.wait_for()
    assert photos.count() == 6
    photos.first.click()
    page.locator("#vqa-suggestions .chip").first.wait_for()
    page.locator("#vqa-suggestions .chip").first.click()
    page.locator("[data-testid=vqa-world-note][data-world=photo]").wait_for()
    assert page.console_errors == []


def test_samples_are_grouped_by_world_with_what_each_knows(page):
    page.goto("/")
    page.get_by_test_id("vqa-sample").first.wait_for()
    worlds = page.get_by_test_id("vqa-world")
    assert [worlds.nth(i).get_attribute("data-world") for i in range(worlds.count())] == ["shapes", "charts", "photo"]
    shapes = page.locator("[data-testid=vqa-world][data-world=shapes]")
    assert shapes.locator("h3").inner_text() == "Shapes scenes"
    assert shapes.get_by_test_id("vqa-sample").count() == 24
    knows = shapes.get_by_test_id("vqa-knows")
    assert not knows.evaluate("d => d.open")  # one click away, not in the way
    knows.locator("summary").click()
    assert "how many" in knows.inner_text() and "% right on" in knows.inner_text()
    assert page.console_errors == []


def test_on_a_phone_the_picture_and_the_question_box_are_in_the_first_screen(browser, live_server):
    context = browser.new_context(base_url=live_server, viewport={"width": 390, "height": 844}, has_touch=True)
    page = context.new_page()
    page.goto("/")
    page.get_by_test_id("vqa-sample").first.wait_for()
    stage = page.locator("#vqa-drop").bounding_box()
    ask = page.get_by_test_id("vqa-ask").bounding_box()
    question = page.get_by_test_id("vqa-question").bounding_box()
    assert stage and ask and question
    assert stage["y"] + stage["height"] <= 844 and question["y"] + question["height"] <= 844 and ask["y"] + ask["height"] <= 844
    context.close()


def test_box_labels_never_cover_each_other(page):
    page.goto("/")
    photo = Image.open(ROOT / "static" / "photos" / "coffee.jpg").convert("RGB")
    tiled = Image.new("RGB", (photo.width * 2, photo.height * 2))
    for x in (0, photo.width):
        for y in (0, photo.height):
            tiled.paste(photo, (x, y))  # the same cups four times: boxes whose corners crowd
    buffer = io.BytesIO()
    tiled.save(buffer, format="JPEG")
    page.get_by_test_id("vqa-image").set_input_files(
        files=[{"name": "c.jpg", "mimeType": "image/jpeg", "buffer": buffer.getvalue()}]
    )
    page.wait_for_function("document.querySelector('#vqa-preview').naturalWidth > 0")
    page.get_by_test_id("vqa-question").fill("How many cups are there?")
    page.get_by_test_id("vqa-ask").click()
    page.get_by_test_id("vqa-box-list").wait_for()
    tags = page.get_by_test_id("vqa-box-tag")
    assert tags.count() >= 4 and tags.count() == page.get_by_test_id("vqa-box-list").locator("li").count()
    boxes = [tags.nth(i).bounding_box() for i in range(tags.count())]
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            apart = a["x"] + a["width"] <= b["x"] + 0.5 or b["x"] + b["width"] <= a["x"] + 0.5
            apart = apart or a["y"] + a["height"] <= b["y"] + 0.5 or b["y"] + b["height"] <= a["y"] + 0.5
            assert apart, (a, b)
    assert page.console_errors == []


def test_typing_slips_and_false_premises_are_said_in_words(page):
    page.goto("/")
    page.get_by_test_id("vqa-sample").first.wait_for()
    page.get_by_test_id("vqa-sample").first.click()  # scene_00 has no large square
    page.wait_for_function("document.querySelector('#vqa-preview').naturalWidth > 0")
    page.get_by_test_id("vqa-question").fill("what coolor is the large sqaure")
    page.get_by_test_id("vqa-ask").click()
    page.get_by_test_id("vqa-note").wait_for()
    assert "no large square" in page.get_by_test_id("vqa-note").inner_text()
    assert "“coolor” as “color”" in page.get_by_test_id("vqa-read-as").inner_text()
    assert page.get_by_test_id("vqa-answers").locator(".top-answer").inner_text() == "none"
    assert page.console_errors == []


def test_asking_without_an_image_says_what_to_do(page):
    page.goto("/")
    page.get_by_test_id("vqa-question").fill("Is there a circle?")
    page.get_by_test_id("vqa-ask").click()
    assert "Pick an image first" in page.locator("#vqa-error").inner_text()
    assert page.console_errors == []


def test_the_autoencoder_shows_the_same_drawing(page):
    page.goto("/")
    if page.get_by_test_id("ae-view").count() == 0:
        pytest.skip("no autoencoder in models/")
    draw(page, [(0.5, 0.15), (0.5, 0.85)])
    page.get_by_test_id("digit-predict").click()
    rebuilt = page.get_by_test_id("ae-reconstruction")
    rebuilt.wait_for()
    assert rebuilt.evaluate("img => img.complete && img.naturalWidth === 28")
    assert page.get_by_test_id("ae-input").count() == 1
    assert "Looks like a digit" in page.get_by_test_id("ae-verdict").inner_text()
    dot = page.get_by_test_id("ae-map-dot")
    dot.wait_for()
    assert page.locator(".ae-code span").count() == 32
    assert page.console_errors == []


def test_the_page_works_under_its_own_content_security_policy(strict_page):
    page = strict_page
    response = page.goto("/")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.get_by_test_id("vqa-sample").first.wait_for()
    page.get_by_test_id("vqa-sample").first.click()
    page.get_by_test_id("vqa-question").fill("how many balls can you see")
    page.get_by_test_id("vqa-ask").click()
    page.get_by_test_id("vqa-answers").locator(".top-answer").wait_for()
    assert page.get_by_test_id("vqa-answers").locator(".top-answer").inner_text() == "2"
    page.get_by_test_id("digit-canvas").wait_for()
    assert page.console_errors == []  # no script, style or image the policy had to block


def test_the_heatmap_has_a_legend_and_a_sample_clears_the_file_label(page):
    page.goto("/")
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), (230, 230, 230)).save(buffer, format="PNG")
    page.get_by_test_id("vqa-image").set_input_files(
        files=[{"name": "mine.png", "mimeType": "image/png", "buffer": buffer.getvalue()}]
    )
    page.get_by_test_id("vqa-sample").first.click()
    page.locator("#vqa-preview[alt^='Sample scene']").wait_for()  # the sample is fetched, then shown
    assert page.get_by_test_id("vqa-image").input_value() == ""  # no stale "mine.png" beside a sample
    page.get_by_test_id("vqa-question").fill("How many circles are there?")
    page.get_by_test_id("vqa-ask").click()
    page.get_by_test_id("vqa-answers").locator(".top-answer").wait_for()
    legend = page.locator("#vqa-heatmap-legend")
    assert legend.is_visible() and "not part of the picture" in legend.inner_text()
    page.locator("#vqa-explain").uncheck()
    assert legend.is_hidden()
    assert page.console_errors == []


def test_the_skip_link_lands_in_the_question_box(page):
    page.goto("/")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "vqa-question"


def test_a_sample_chart_is_answered_with_the_table_read_and_the_element_outlined(page):
    page.goto("/")
    charts = page.locator("[data-testid=vqa-sample][data-world=charts]")
    charts.first.wait_for()
    assert charts.count() == 10
    charts.first.click()  # a bar chart: its first suggestion is a yes/no about one bar
    page.locator("#vqa-suggestions .chip").first.wait_for()
    page.locator("#vqa-suggestions .chip").first.click()
    page.locator("[data-testid=vqa-world-note][data-world=charts]").wait_for()
    table = page.get_by_test_id("vqa-chart-table")
    table.wait_for()
    assert table.locator("tr").count() >= 3  # a header and a row per bar
    assert table.locator("tr.about").count() == 1
    assert page.get_by_test_id("vqa-box").count() == 1  # the bar asked about, outlined
    baseline = page.get_by_test_id("vqa-chart-baseline").inner_text()  # the article's model, asked the same
    assert "chart_baseline" in baseline and "Is Planes the minimum?" in baseline
    assert "charts" in page.get_by_test_id("vqa-history").inner_text()
    assert page.console_errors == []
