"""Checking uploaded private documents by their content, never their name."""

import logging

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.base import ContentFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from pompygo.lib.images import process_photo

logger = logging.getLogger(__name__)

PDF_MAGIC = b"%PDF-"
PDF_END = b"%%EOF"
# The header and the end-of-file marker are looked for in the first and the
# last 1024 bytes, not only at the very edges of the file.
PDF_HEADER_WINDOW = 1024
# Large enough for the side of an ID card to stay readable.
DOCUMENT_MAX_SIDE = 2400
DEFAULT_PDF_MAX_BYTES = 10 * 1024 * 1024


def pdf_max_bytes() -> int:
    return int(getattr(settings, "WALKER_PDF_MAX_BYTES", DEFAULT_PDF_MAX_BYTES))


def clean_document(upload: File, *, allow_pdf: bool) -> tuple[ContentFile, str]:
    """Return the file to store and its content type, or raise ValidationError.

    Photos are re-encoded as metadata-free JPEGs by the shared photo helper.
    A PDF is kept as uploaded once its header and size pass.
    """
    upload.seek(0)
    head = upload.read(PDF_HEADER_WINDOW)
    upload.seek(0)
    if PDF_MAGIC in head:
        if not allow_pdf:
            logger.info("Document rejected: PDF where only a photo is accepted")
            raise ValidationError(
                _("Upload a photo of the card (JPEG, PNG, WebP or HEIC), not a PDF."),
                code="pdf_not_allowed",
            )
        return _clean_pdf(upload), "application/pdf"
    try:
        photo = process_photo(upload, max_side=DOCUMENT_MAX_SIDE)
    except ValidationError as error:
        if allow_pdf and error.code == "photo_unsupported":
            raise ValidationError(
                _(
                    "This file is neither a PDF nor a photo that we can read. "
                    "Upload a PDF or a JPEG, PNG, WebP or HEIC image."
                ),
                code="document_unsupported",
            ) from None
        raise
    return photo, "image/jpeg"


def _clean_pdf(upload: File) -> ContentFile:
    size = upload.size or 0
    if size > pdf_max_bytes():
        logger.info("Document rejected: PDF of %s bytes", size)
        raise ValidationError(
            _("The PDF is %(size)s, but the maximum is %(max_size)s."),
            code="pdf_too_many_bytes",
            params={
                "size": filesizeformat(size),
                "max_size": filesizeformat(pdf_max_bytes()),
            },
        )
    upload.seek(0)
    body = upload.read()
    if PDF_END not in body[-PDF_HEADER_WINDOW:]:
        logger.info("Document rejected: PDF without an end-of-file marker")
        raise ValidationError(
            _("The PDF is incomplete or damaged. Download it again and upload it."),
            code="pdf_damaged",
        )
    return ContentFile(body, name="document.pdf")
