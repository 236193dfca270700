"""Security headers on every answer, pages and API alike.

The Content-Security-Policy lets scripts come only from this site (the vendored bpmn-js, dmn-js,
form-js and Chart.js included), so markup that slips into a page cannot run; the pages carry no
inline script or handler (static/js/page.js does what they did). Styles may be inline: the
diagram and form editors set them on the elements they draw. No page may be framed.
"""

from __future__ import annotations

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
HSTS = "max-age=31536000; includeSubDomains"


def init_app(app) -> None:
    production = app.config.get("PRODUCTION", False)

    @app.after_request
    def _security_headers(response):
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "same-origin")
        if production:  # served over TLS there; a development server on http:// must stay reachable
            headers.setdefault("Strict-Transport-Security", HSTS)
        return response
