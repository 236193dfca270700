"""Public pages, no login: the site page behind the QR code, its QR image, and reports from anyone."""

from __future__ import annotations

from flask import Blueprint, Response, render_template, request, url_for

from ..services.casefile import site_link
from ..services.casefile.attachments import UploadRefused
from ..services.errors import NotFound, ValidationFailed
from ..services.participation import public
from ..services.participation.public import TooManyReports
from ..services.security.audit import client_ip
from .errors import page
from .i18n import lang

bp = Blueprint("public", __name__)
bp.register_error_handler(NotFound, lambda e: page(404, "未找到 Not found", "没有这个登记编号的工地公示。"))


@bp.route("/s/<reg_no>")
def site(reg_no):
    return render_template("public/site.html", site=public.site(reg_no), thanks=request.args.get("thanks"))


@bp.route("/s/<reg_no>/qr.svg")
def qr(reg_no):
    public.site(reg_no)  # only registered sites have a code
    return Response(
        site_link.qr_svg(site_link.site_url(reg_no)),
        mimetype="image/svg+xml",
        headers={"Cache-Control": "public, max-age=86400"},
    )


@bp.route("/s/<reg_no>/report", methods=["GET", "POST"])
def report_site(reg_no):
    return _report(public.site(reg_no))


@bp.route("/report", methods=["GET", "POST"])
def report():
    return _report(None)


def _report(site: dict | None):
    data, errors, status = {}, {}, 200
    if request.method == "POST":
        data = {k: request.form.get(k, "").strip() for k in ("description", "address", "urgency", "street")}
        for k in ("latitude", "longitude"):
            if request.form.get(k):
                data[k] = request.form[k]
        data = {k: v for k, v in data.items() if v != ""}
        try:
            project = public.submit(
                data,
                request.form,
                request.files.getlist("photos"),
                ip=client_ip(),
                site_reg_no=site["reg_no"] if site else None,
                lang=lang(),
            )
        except ValidationFailed as exc:
            errors, status = exc.errors, 422
        except UploadRefused as exc:
            errors, status = {"photos": str(exc)}, 422
        except TooManyReports as exc:
            errors, status = {"__all__": str(exc)}, 429
        else:
            return render_template("public/thanks.html", site=site, reg_no=project.reg_no)
    return render_template(
        "public/report.html",
        site=site,
        data=data,
        errors=errors,
        token=public.form_token(),
        streets=public.streets(),
        honeypot=public.HONEYPOT,
        action=url_for("public.report_site", reg_no=site["reg_no"]) if site else url_for("public.report"),
    ), status
