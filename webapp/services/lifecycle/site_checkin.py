"""Evidence that a site visit happened on site: a GPS check-in near the registered location, and
photos, as the district's rules ask (P-13a minimum photos, P-13b maximum distance, P-13d check-in
required). A visit is a task whose form has the patrol checklist.

The check-in (`checkin_lat`, `checkin_lng` in the submitted data: the page fills them from the
phone's location) is recorded with the visit as `checkin` {lat, lng, distance_m, max_m}; the rules
read go into the step's history like every rule the process reads.
"""

from __future__ import annotations

import math

from ..errors import ValidationFailed

EARTH_RADIUS_M = 6_371_000


def distance_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance (haversine), metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))


def _coordinate(value, low: float, high: float) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if low <= number <= high and math.isfinite(number) else None


def take_checkin(data: dict) -> tuple[dict, object, object]:
    """The submitted data without the check-in fields, and those fields."""
    rest = dict(data or {})
    return rest, rest.pop("checkin_lat", None), rest.pop("checkin_lng", None)


def apply(fields, clean: dict, lat, lng, facts: dict, rule, lang: str = "zh") -> dict:
    """`clean` with the check-in recorded, or ValidationFailed naming what the district requires."""
    if not any(f.type == "patrolChecklist" for f in fields):
        return clean
    zh = lang != "en"
    errors = {}
    min_photos = int(rule("patrol_min_photos", 0) or 0)
    if min_photos:
        photos = next((f.key for f in fields if f.type == "filepicker"), None)
        if photos and len(clean.get(photos) or []) < min_photos:
            errors[photos] = f"本区要求至少上传 {min_photos} 张现场照片" if zh else f"At least {min_photos} site photos"
    lat, lng = _coordinate(lat, -90, 90), _coordinate(lng, -180, 180)
    site_lat, site_lng = _coordinate(facts.get("latitude"), -90, 90), _coordinate(facts.get("longitude"), -180, 180)
    out = dict(clean)
    if lat is None or lng is None:
        if rule("checkin_required", False):
            errors["checkin"] = (
                "本区要求现场定位签到，请允许获取位置后重试" if zh else "Check in with your location first"
            )
    else:
        max_m = int(rule("checkin_max_distance_m", 200) or 200)
        far = None if site_lat is None or site_lng is None else round(distance_m(lat, lng, site_lat, site_lng))
        out["checkin"] = {"lat": round(lat, 6), "lng": round(lng, 6), "distance_m": far, "max_m": max_m}
        if far is not None and far > max_m and rule("checkin_required", False):
            errors["checkin"] = (
                f"定位距登记位置 {far} 米，超过本区允许的 {max_m} 米"
                if zh
                else f"You are {far} m from the registered location; at most {max_m} m"
            )
    if errors:
        raise ValidationFailed(errors)
    return out
