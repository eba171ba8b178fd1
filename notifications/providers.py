"""Delivery errors and the WhatsApp provider.

The WhatsApp Business Cloud API takes a message as a JSON POST to
``{WHATSAPP_API_URL}/{WHATSAPP_PHONE_NUMBER_ID}/messages`` with the access
token as a bearer token, and returns the message id in ``messages[0].id``.
"""

import http.client
import json
import logging
import urllib.error
import urllib.request
from typing import Any, Protocol

from django.conf import settings

logger = logging.getLogger(__name__)


class DeliveryError(Exception):
    """A failed delivery. ``retryable`` is True if a retry may succeed."""

    def __init__(self, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.retryable = retryable


class WhatsAppProvider(Protocol):
    def send(self, phone: str, subject: str, body: str, language: str) -> str:
        """Send a message to an E.164 number and return the provider's id."""
        ...


class CloudWhatsApp:
    """The WhatsApp Business Cloud API over HTTPS, with the standard library."""

    def __init__(
        self,
        api_url: str,
        phone_number_id: str,
        token: str,
        timeout: float,
        template_name: str = "",
    ) -> None:
        self.endpoint = f"{api_url.rstrip('/')}/{phone_number_id}/messages"
        self.token = token
        self.timeout = timeout
        self.template_name = template_name

    def content(self, subject: str, body: str, language: str) -> dict[str, Any]:
        """Build the message: an approved template if one is set, else text.

        WhatsApp delivers free-form text only within 24 hours of the user's
        last message to the business, and a template at any time. The
        template takes the subject and the body as its two parameters.
        """
        if not self.template_name:
            return {
                "type": "text",
                "text": {"preview_url": True, "body": f"*{subject}*\n\n{body}"},
            }
        # Template parameters may not contain line breaks or tabs.
        parameters = [" ".join(subject.split()), " ".join(body.split())]
        return {
            "type": "template",
            "template": {
                "name": self.template_name,
                "language": {"code": language},
                "components": [
                    {
                        "type": "body",
                        "parameters": [
                            {"type": "text", "text": text} for text in parameters
                        ],
                    }
                ],
            },
        }

    def send(self, phone: str, subject: str, body: str, language: str) -> str:
        payload = {
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            # The API takes the number without the leading plus.
            "to": phone.lstrip("+"),
            **self.content(subject, body, language),
        }
        request = urllib.request.Request(
            self.endpoint,
            data=json.dumps(payload).encode(),
            method="POST",
            headers={
                "Authorization": f"Bearer {self.token}",
                "Content-Type": "application/json",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                body = response.read()
        except urllib.error.HTTPError as error:
            raise http_error(error) from None
        except (OSError, http.client.HTTPException) as error:
            raise DeliveryError(
                f"WhatsApp API unreachable: {error}", retryable=True
            ) from None
        try:
            return str(json.loads(body)["messages"][0]["id"])
        except (ValueError, KeyError, IndexError, TypeError):
            # The API accepted the message (2xx), so sending it again would
            # duplicate it: record it as sent without an id.
            logger.warning("WhatsApp API returned 2xx without a message id")
            return ""


def http_error(error: urllib.error.HTTPError) -> DeliveryError:
    """Classify an HTTP error: 429 and 5xx may pass on a retry, other 4xx not."""
    try:
        detail = json.loads(error.read() or b"{}").get("error", {}).get("message", "")
    except (ValueError, AttributeError, OSError):
        detail = ""
    retryable = error.code == 429 or error.code >= 500
    text = f"WhatsApp API returned HTTP {error.code}"
    if detail:
        text += f": {str(detail)[:300]}"
    return DeliveryError(text, retryable=retryable)


_off_reported = False


def whatsapp_provider() -> WhatsAppProvider | None:
    """Return the configured WhatsApp provider, or None when the channel is off.

    The first call without credentials logs that the channel is off. Later
    calls in the same process stay quiet, so the log records it once.
    """
    global _off_reported
    if not (settings.WHATSAPP_TOKEN and settings.WHATSAPP_PHONE_NUMBER_ID):
        if not _off_reported:
            _off_reported = True
            logger.warning(
                "WhatsApp channel is off: WHATSAPP_TOKEN and "
                "WHATSAPP_PHONE_NUMBER_ID are not both set"
            )
        return None
    return CloudWhatsApp(
        settings.WHATSAPP_API_URL,
        settings.WHATSAPP_PHONE_NUMBER_ID,
        settings.WHATSAPP_TOKEN,
        settings.WHATSAPP_TIMEOUT_SECONDS,
        settings.WHATSAPP_TEMPLATE_NAME,
    )
