"""Uploaded photos: check them, then re-encode them as clean JPEGs.

The type comes from the file's content, never from its name or the browser's
content type. Each output is a new JPEG in sRGB that is upright and carries no
metadata at all (no EXIF, GPS, XMP, ICC profile or comment), so a stored photo
never carries the position where it was taken.
"""

import io
import logging
import warnings
from typing import Any

import pillow_heif
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.base import ContentFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

logger = logging.getLogger(__name__)

pillow_heif.register_heif_opener()

# Pillow format names, as Image.open identifies them from the first bytes.
ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP", "HEIF")
DEFAULT_MAX_SIDE = 1600
JPEG_QUALITY = 85

# Pillow's decoders raise these for damaged or incomplete image data.
DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, IndexError)

SRGB_PROFILE = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))

EMPTY = _("The photo file is empty. Choose another photo.")
TOO_MANY_BYTES = _(
    "The photo is %(size)s, but the maximum is %(max_size)s. Choose a smaller photo."
)
UNSUPPORTED = _(
    "This file is not a photo that we can read. Upload a JPEG, PNG, WebP or HEIC image."
)
TOO_MANY_PIXELS = _(
    "The photo has more than %(max_megapixels)s megapixels. Choose a smaller photo."
)
DAMAGED = _(
    "The photo could not be read because the file is damaged or incomplete. "
    "Upload it again or choose another photo."
)


def process_photo(upload: File, *, max_side: int = DEFAULT_MAX_SIDE) -> ContentFile:
    """Check an uploaded photo and return it as an upright, metadata-free JPEG.

    The longer side of the result is at most ``max_side`` pixels, and a smaller
    photo keeps its size. Raises ValidationError with a message for the person
    who uploaded it when the file is empty, too large, not a JPEG, PNG, WebP or
    HEIC/HEIF image, has too many pixels, or cannot be decoded.
    """
    _check_byte_size(upload)
    upload.seek(0)
    # A DecompressionBombWarning from Pillow (more pixels than its own limit)
    # becomes an error, so such a photo is rejected before it is decoded.
    # NOTE: catch_warnings changes process-wide state, so a thread running
    # at the same time briefly shares this warning filter.
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        image = _open(upload)
        try:
            return ContentFile(_reencode(image, max_side), name="photo.jpg")
        finally:
            image.close()


def _reject(code: str, message: Any, **params: Any) -> ValidationError:
    logger.info("Photo rejected: %s %s", code, params)
    return ValidationError(message, code=code, params=params)


def _check_byte_size(upload: File) -> None:
    size = upload.size
    if not size:
        raise _reject("photo_empty", EMPTY)
    if size > settings.PHOTO_MAX_BYTES:
        raise _reject(
            "photo_too_many_bytes",
            TOO_MANY_BYTES,
            size=filesizeformat(size),
            max_size=filesizeformat(settings.PHOTO_MAX_BYTES),
        )


def _open(upload: File) -> Image.Image:
    """Identify the image from its header and check its pixel count."""
    try:
        image = Image.open(upload, formats=ACCEPTED_FORMATS)
    except UnidentifiedImageError:
        raise _reject("photo_unsupported", UNSUPPORTED) from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        # Pillow checks its own limit while opening; report it like ours.
        logger.info("Photo rejected by Pillow's decompression bomb check: %s", error)
        raise _too_many_pixels() from None
    except DECODE_ERRORS:
        raise _reject("photo_damaged", DAMAGED) from None
    width, height = image.size
    if width * height > settings.PHOTO_MAX_PIXELS:
        image.close()
        raise _too_many_pixels(width * height)
    return image


def _too_many_pixels(pixels: int | None = None) -> ValidationError:
    # Pillow's own limit may be the lower one, and the message names that one.
    max_pixels = min(settings.PHOTO_MAX_PIXELS, Image.MAX_IMAGE_PIXELS or 2**63)
    return _reject(
        "photo_too_many_pixels",
        TOO_MANY_PIXELS,
        pixels=pixels,
        max_megapixels=f"{max_pixels / 1_000_000:g}",
    )


def _reencode(image: Image.Image, max_side: int) -> bytes:
    if image.format == "JPEG" or image.format == "MPO":
        _use_jpeg_draft(image, max_side)
    try:
        # Decoding everything now makes a truncated file fail here, because
        # ImageFile.LOAD_TRUNCATED_IMAGES stays False.
        image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _too_many_pixels(image.width * image.height) from None
    except DECODE_ERRORS:
        raise _reject("photo_damaged", DAMAGED, format=image.format) from None

    upright = _apply_exif_orientation(image)
    rgb = _to_srgb(upright)
    rgb.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    # Operations copy info from their source, and the JPEG encoder writes a
    # comment it finds there, so the info is emptied before saving.
    rgb.info = {}
    output = io.BytesIO()
    rgb.save(output, "JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True)
    return output.getvalue()


def _use_jpeg_draft(image: Image.Image, max_side: int) -> None:
    """Let libjpeg decode a large JPEG at 1/2, 1/4 or 1/8 of its size.

    Pillow keeps both sides at or above the requested size, so the request is
    the final size in the same aspect ratio, and the photo is scaled down to
    ``max_side`` exactly afterwards.
    """
    width, height = image.size
    longer_side = max(width, height)
    if longer_side <= max_side:
        return
    scale = max_side / longer_side
    image.draft("RGB", (max(1, int(width * scale)), max(1, int(height * scale))))


def _apply_exif_orientation(image: Image.Image) -> Image.Image:
    try:
        return ImageOps.exif_transpose(image)
    except (*DECODE_ERRORS, TypeError, KeyError) as error:
        # Unreadable EXIF is common in edited photos. The pixels are fine, so
        # the photo is kept as stored rather than rejected.
        logger.warning("Photo EXIF unreadable, orientation not applied: %r", error)
        return image


def _to_srgb(image: Image.Image) -> Image.Image:
    """Convert to RGB in the sRGB colour space, with transparency on white."""
    icc_profile = image.info.get("icc_profile")
    if image.mode not in ("RGB", "CMYK", "L"):
        image = _flatten_to_rgb(image)
    if icc_profile:
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc_profile))
            converted = ImageCms.profileToProfile(
                image, source, SRGB_PROFILE, outputMode="RGB"
            )
        except (ImageCms.PyCMSError, OSError, ValueError, TypeError) as error:
            logger.warning("Photo ICC profile not applied: %r", error)
        else:
            if converted is not None:
                image = converted
    if image.mode != "RGB":
        image = image.convert("RGB")
    return image


def _flatten_to_rgb(image: Image.Image) -> Image.Image:
    has_alpha = image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or (
        image.mode == "P" and "transparency" in image.info
    )
    if not has_alpha:
        return image.convert("RGB")
    rgba = image.convert("RGBA")
    background = Image.new("RGBA", rgba.size, "white")
    return Image.alpha_composite(background, rgba).convert("RGB")
