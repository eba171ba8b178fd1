"""Uploaded walk videos: detect the container from the content, strip metadata.

Phones write the place and the device into a video's metadata boxes (MP4 and
MOV ``udta``, ``meta`` and ``uuid`` boxes, WebM ``Tags``). Each of these is
overwritten in place with a padding box or element of the same length filled
with zeros, so the file stays valid and playable without re-encoding, and
the work is a few seeks however large the video is.
"""

import logging
import struct
from typing import IO

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

logger = logging.getLogger(__name__)

VIDEO_TYPES = ("video/mp4", "video/quicktime", "video/webm")
# Brands of the ISO base media format that are still images, not videos.
IMAGE_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"mif1", b"msf1", b"avif"}
# Boxes that carry metadata, and the containers searched for them.
METADATA_BOXES = {b"udta", b"meta", b"uuid"}
CONTAINER_BOXES = {b"moov", b"trak", b"mdia", b"minf"}
EBML_MAGIC = b"\x1a\x45\xdf\xa3"
SEGMENT_ID = 0x18538067
TAGS_ID = 0x1254C367
VOID_ID = 0xEC
CHUNK = 64 * 1024

VIDEO_EMPTY = _("The video file is empty. Record or choose another video.")
VIDEO_TOO_LARGE = _(
    "The video is %(size)s, but the maximum is %(max_size)s. "
    "Record a shorter video or choose a smaller one."
)


def sniff_video(head: bytes) -> str | None:
    """Return the video content type that the first bytes show, or None."""
    if len(head) >= 12 and head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in IMAGE_BRANDS:
            return None
        return "video/quicktime" if brand == b"qt  " else "video/mp4"
    if head.startswith(EBML_MAGIC) and b"webm" in head[:64]:
        return "video/webm"
    return None


def check_video(upload: File) -> str:
    """Check an uploaded video's size and return its content type.

    Raises ValidationError when the file is empty or too large. The caller
    has already sniffed the type, so it is known to be a video.
    """
    if not upload.size:
        raise ValidationError(VIDEO_EMPTY, code="video_empty")
    if upload.size > settings.VIDEO_MAX_BYTES:
        raise ValidationError(
            VIDEO_TOO_LARGE,
            code="video_too_large",
            params={
                "size": filesizeformat(upload.size),
                "max_size": filesizeformat(settings.VIDEO_MAX_BYTES),
            },
        )
    upload.seek(0)
    content_type = sniff_video(upload.read(64))
    upload.seek(0)
    if content_type is None:
        raise ValueError("check_video needs a file that sniff_video accepted")
    return content_type


def strip_metadata(stream: IO[bytes], content_type: str) -> int:
    """Blank every metadata box of a video in place; return how many were blanked."""
    stream.seek(0, 2)
    end = stream.tell()
    if content_type == "video/webm":
        return _strip_webm(stream, end)
    return _strip_boxes(stream, 0, end)


def _strip_boxes(stream: IO[bytes], start: int, end: int) -> int:
    blanked = 0
    offset = start
    while offset + 8 <= end:
        stream.seek(offset)
        size, kind = struct.unpack(">I4s", stream.read(8))
        header = 8
        if size == 1:
            (size,) = struct.unpack(">Q", stream.read(8))
            header = 16
        elif size == 0:
            size = end - offset
        if size < header or offset + size > end:
            logger.info("Video box %r at %s has an invalid size; stopped", kind, offset)
            break
        if kind in METADATA_BOXES:
            _blank(stream, offset, header, size)
            blanked += 1
        elif kind in CONTAINER_BOXES:
            blanked += _strip_boxes(stream, offset + header, offset + size)
        offset += size
    return blanked


def _blank(stream: IO[bytes], offset: int, header: int, size: int) -> None:
    """Turn a box into a ``free`` box of the same size, its content zeroed."""
    stream.seek(offset + 4)
    stream.write(b"free")
    _zero(stream, offset + header, size - header)


def _zero(stream: IO[bytes], start: int, length: int) -> None:
    stream.seek(start)
    while length > 0:
        step = min(length, CHUNK)
        stream.write(bytes(step))
        length -= step


def _read_vint(stream: IO[bytes], keep_marker: bool) -> tuple[int, int] | None:
    """Read an EBML variable-length integer; return (value, length in bytes)."""
    first = stream.read(1)
    if not first:
        return None
    length = 1
    mask = 0x80
    while length <= 8 and not first[0] & mask:
        mask >>= 1
        length += 1
    if length > 8:
        return None
    rest = stream.read(length - 1)
    if len(rest) != length - 1:
        return None
    value = first[0] if keep_marker else first[0] & (mask - 1)
    for byte in rest:
        value = (value << 8) | byte
    return value, length


def _element(stream: IO[bytes]) -> tuple[int, int, int, int] | None:
    """Read an element header; return (id, id length, size, size length)."""
    element_id = _read_vint(stream, keep_marker=True)
    size = _read_vint(stream, keep_marker=False)
    if element_id is None or size is None:
        return None
    return element_id[0], element_id[1], size[0], size[1]


def _strip_webm(stream: IO[bytes], end: int) -> int:
    stream.seek(0)
    header = _element(stream)
    if header is None:
        return 0
    stream.seek(header[2], 1)
    segment = _element(stream)
    if segment is None or segment[0] != SEGMENT_ID:
        return 0
    blanked = 0
    offset = stream.tell()
    while offset < end:
        stream.seek(offset)
        child = _element(stream)
        if child is None:
            break
        child_id, id_length, size, size_length = child
        if size == (1 << (7 * size_length)) - 1:
            # An element of unknown size (a live recording's cluster) runs
            # to the end of its parent, so nothing after it can be reached.
            break
        header_length = id_length + size_length
        if child_id == TAGS_ID and header_length - 1 <= 8:
            _blank_webm(stream, offset, header_length, size)
            blanked += 1
        offset += header_length + size
    return blanked


def _blank_webm(stream: IO[bytes], offset: int, header_length: int, size: int) -> None:
    """Turn an element into a Void element of the same total length."""
    size_length = header_length - 1
    marker = 1 << (7 * size_length)
    encoded = (marker | size).to_bytes(size_length, "big")
    stream.seek(offset)
    stream.write(bytes([VOID_ID]) + encoded)
    _zero(stream, offset + header_length, size)
