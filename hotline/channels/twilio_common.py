"""What the SMS and voice webhooks share: Twilio's request signature, the sender's country code.

Every Twilio webhook is refused (403) unless ``X-Twilio-Signature`` verifies with the account's auth
token through twilio's own ``RequestValidator``. Behind a proxy the URL Twilio signed is the public
one, so ``HOTLINE_PUBLIC_BASE_URL`` replaces scheme and host when set. Without a configured auth
token every request is refused: an unsigned webhook must never reach a conversation.
"""
from __future__ import annotations

from urllib.parse import urlsplit

import phonenumbers
from fastapi import HTTPException, Request
from twilio.request_validator import RequestValidator

from hotline.settings import get_settings


def signed_url(request: Request) -> str:
    public = get_settings().public_base_url
    if not public:
        return str(request.url)
    parts = urlsplit(str(request.url))
    url = public.rstrip("/") + parts.path
    return url + ("?" + parts.query if parts.query else "")


async def verified_form(request: Request) -> dict[str, str]:
    """The webhook's form parameters, after the signature check (403 on any failure)."""
    token = get_settings().twilio_auth_token
    form = await request.form()
    params = {k: str(v) for k, v in form.multi_items()}
    signature = request.headers.get("X-Twilio-Signature", "")
    if not token or not signature or not RequestValidator(token).validate(signed_url(request), params, signature):
        raise HTTPException(status_code=403, detail="invalid signature")
    return params


def calling_code(number: str | None) -> str | None:
    """E.164 country calling code of a number ('+40...' -> '40'): a language prior, not an identifier."""
    if not number:
        return None
    try:
        return str(phonenumbers.parse(number, None).country_code)
    except phonenumbers.NumberParseException:
        return None
