"""The decode budget, and large JPEGs decoded at a reduced scale."""

import asyncio
import io

from PIL import Image

from app.limits import DecodeBudget
from app.tasks.imaging import decode_image, image_pixels
from tests.test_batching import run


def test_the_budget_lets_through_what_fits_and_queues_the_rest():
    async def scenario():
        budget, order = DecodeBudget(100), []

        async def decode(name, pixels, seconds):
            async with budget.hold(pixels):
                order.append(f"{name} in")
                assert budget.in_use <= budget.capacity
                await asyncio.sleep(seconds)
            order.append(f"{name} out")

        await asyncio.gather(decode("a", 60, 0.05), decode("b", 60, 0.0), decode("c", 500, 0.0))
        return order, budget.in_use

    order, left = run(scenario())
    assert order.index("a out") < order.index("b in")  # b waited: a and b together are over 100
    assert "c in" in order and left == 0  # larger than the whole budget: decoded alone


def _jpeg(size):
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, "JPEG")
    return buffer.getvalue()


def test_a_large_jpeg_is_decoded_at_a_reduced_scale_and_says_so():
    data = _jpeg((4000, 3000))
    assert image_pixels(data) == 12_000_000
    image = decode_image(data, max_bytes=10**8, max_pixels=10**8, max_side=1024)
    assert 1024 <= max(image.size) < 4000 and image.info["upload_scale"] == image.size[0] / 4000
    full = decode_image(data, max_bytes=10**8, max_pixels=10**8)
    assert full.size == (4000, 3000) and full.info["upload_scale"] == 1.0


def test_an_unreadable_header_counts_no_pixels():
    assert image_pixels(b"not an image") == 0
