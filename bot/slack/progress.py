"""`/progress`: the same view as `resolute progress`, for one person, in Slack."""

from __future__ import annotations

from bot.district.service import District, NotLoaded, UnknownSubject
from bot.district.views import target_lines
from bot.slack import blocks


def progress_reply(district: District, text: str) -> tuple[str, list[dict]]:
    """The reply to `/progress [priority|school]`: a priority key, else a school id or name."""
    subject = " ".join(text.split())
    try:
        config = district.config()
        keys = [p.key for p in config.priorities]
        if not subject:
            report, title = district.report(), f"{config.name}: progress on every target"
        elif subject.lower() in keys:
            name = next(p.name for p in config.priorities if p.key == subject.lower())
            report, title = district.report(priority=subject.lower()), f"{name}: progress"
        else:
            report = district.report(school=subject)
            title = (
                f"{report.school['name']} ({report.school['school_id']}): progress on the district's targets"
            )
    except NotLoaded as exc:
        return blocks.notice(str(exc))
    except UnknownSubject as exc:
        usage = blocks.PROGRESS_USAGE.format(keys=", ".join(keys))
        return blocks.notice(f"{str(exc)[:1].upper()}{str(exc)[1:]}. {usage}")
    names = {sid: s.name for sid, s in district.store.schools().items()}
    return blocks.progress_message(
        title, target_lines(report),
        moving=[names.get(s, s) for s in report.schools_on_the_move],
        coasting=[names.get(s, s) for s in report.coasting_schools],
    )  # fmt: skip
