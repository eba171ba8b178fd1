"""Time the walk photo pipeline on 12-megapixel photos against Pillow's floor.

Run: DJANGO_DEBUG=1 .venv/bin/python scripts/bench_images.py
Writes nothing; prints a Markdown table for docs/benchmarks.md. The floor is
Pillow opening the same file and making a thumbnail of the same size with
JPEG draft mode requested for the final size, then saving it as JPEG.
Peak memory is the rise of the resident set size (ru_maxrss) over the RSS
before one run, measured in a forked child process so runs do not share a
peak. The deferred sizes are the display size and thumbnail that the Celery
task makes from the stored photo after the upload request has answered.
"""

import io
import os
import resource
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import django

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pompygo.settings")
os.environ.setdefault("DJANGO_DEBUG", "1")
django.setup()

from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: E402
from PIL import Image  # noqa: E402

from pompygo.lib.images import process_photo  # noqa: E402
from reports.services import (  # noqa: E402
    DISPLAY_SIDE,
    STORED_PHOTO_SIDE,
    THUMBNAIL_SIDE,
)

SIZE = (4032, 3024)  # 12.2 megapixels, an iPhone's main camera
RUNS = 7


def make_photo(image_format: str) -> bytes:
    """Return a 12-megapixel photo with detail, from a real fixture scaled up."""
    source = Image.open(ROOT / "tests" / "fixtures" / "orientation-Landscape_3.jpg")
    big = source.convert("RGB").resize(SIZE, Image.Resampling.BICUBIC)
    noise = Image.effect_noise(SIZE, 24).convert("RGB")
    big = Image.blend(big, noise, 0.15)
    exif = Image.Exif()
    exif[0x0112] = 6
    output = io.BytesIO()
    big.save(output, image_format, quality=90, exif=exif.tobytes())
    return output.getvalue()


def pipeline(data: bytes) -> None:
    process_photo(SimpleUploadedFile("p", data), max_side=STORED_PHOTO_SIDE)


def deferred_sizes(data: bytes) -> None:
    stored = process_photo(SimpleUploadedFile("p", data), max_side=STORED_PHOTO_SIDE)
    for side in (DISPLAY_SIDE, THUMBNAIL_SIDE):
        stored.seek(0)
        process_photo(stored, max_side=side)


def floor(data: bytes) -> None:
    with Image.open(io.BytesIO(data)) as image:
        if image.format == "JPEG":
            scale = STORED_PHOTO_SIDE / max(image.size)
            image.draft("RGB", (int(image.width * scale), int(image.height * scale)))
        image.thumbnail((STORED_PHOTO_SIDE, STORED_PHOTO_SIDE))
        image.convert("RGB").save(io.BytesIO(), "JPEG", quality=85)


def measure(action: Callable[[bytes], None], data: bytes) -> tuple[float, float]:
    """Return the median time in milliseconds and the peak memory in MiB."""
    action(data)
    times = []
    for _run in range(RUNS):
        start = time.perf_counter()
        action(data)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), peak_rise_mib(action, data)


def rss_kib() -> int:
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") // 1024


def peak_rise_mib(action: Callable[[bytes], None], data: bytes) -> float:
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        before = rss_kib()
        action(data)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        os.write(write_end, str(max(0, peak - before)).encode())
        os._exit(0)
    os.close(write_end)
    rise = int(os.read(read_end, 64) or 0)
    os.waitpid(pid, 0)
    return rise / 1024


def main() -> None:
    import pillow_heif

    pillow_heif.register_heif_opener()
    print(f"Pillow {Image.__version__}, pillow-heif {pillow_heif.__version__}, ")
    print(
        f"{SIZE[0]}x{SIZE[1]}, median of {RUNS} runs, stored side {STORED_PHOTO_SIDE}"
    )
    print(f"CPU: {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}\n")
    print(
        "| file | bytes | pipeline ms | floor ms | ratio | pipeline MiB | floor MiB "
        "| upload + deferred sizes ms |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for label, image_format in (("JPEG", "JPEG"), ("HEIC", "HEIF")):
        data = make_photo(image_format)
        pipe_ms, pipe_mib = measure(pipeline, data)
        floor_ms, floor_mib = measure(floor, data)
        both_ms, _both_mib = measure(deferred_sizes, data)
        print(
            f"| {label} | {len(data):,} | {pipe_ms:.0f} | {floor_ms:.0f} | "
            f"{pipe_ms / floor_ms:.2f} | {pipe_mib:.0f} | {floor_mib:.0f} "
            f"| {both_ms:.0f} |"
        )


if __name__ == "__main__":
    main()
