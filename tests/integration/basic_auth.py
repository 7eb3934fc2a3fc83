"""HTTP Basic credentials as the Segment SDKs and SendGrid send them: the key as user name."""

from __future__ import annotations

import base64


def basic(key: str, password: str = "") -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{key}:{password}".encode()).decode()}
