"""``selesai|done <id> [photo-url] [note]``: submit the proof photo (-> MENUNGGU_VALIDASI).

The photo is the one attached to the command (Telegram caption, Slack thread,
or the URL, fetched by the engine), else the last one shared in the thread.
"""
from __future__ import annotations

from bot.events import ProofSubmitted
from bot.lifecycle import Status, check_transition
from bot.staff.commands.base import OFFICERS, Command, CommandContext, Reply
from bot.staff.proof import PROOF, STAFF_PHOTO, add_attachment, find_reuse, latest_attachment, mark_as_proof
from bot.tickets import transition
from store import repo


def run(ctx: CommandContext) -> Reply:
    staff, conn, t, now, member = ctx.staff, ctx.db, ctx.t, ctx.now, ctx.officer
    check_transition(t["status"], Status.MENUNGGU_VALIDASI.value)
    if ctx.photo is not None:
        aid = add_attachment(conn, ctx.photo, t["id"], PROOF, now)
        sha, phash = ctx.photo.media.sha256, ctx.photo.phash
    else:
        shared = latest_attachment(conn, t["id"], STAFF_PHOTO)
        if shared is None:
            return ctx.render("staff_no_proof", tracking_id=t["tracking_id"])
        mark_as_proof(conn, shared["id"])
        aid, sha, phash = shared["id"], shared["sha256"], shared["phash"]
    flags = find_reuse(conn, t["id"], sha, phash, staff.proofs.threshold)
    transition(conn, staff.policy, now, t, Status.MENUNGGU_VALIDASI.value, member.actor,
               reason=ctx.args.text or None, data={"attachment_id": aid, "reuse": flags or None, "via": ctx.origin})
    answer = staff.render(ctx.lang, "staff_ok_done", tracking_id=t["tracking_id"])
    if flags:
        repo.add_event(conn, t["id"], "proof_reuse", "system", now,
                       data={"attachment_id": aid, "submitted_by": member.code, "matches": flags})
    # Officers' desks flag a reused proof in the ticket's thread.
    staff.policy.events.publish(conn, now, ProofSubmitted(t, aid, member.actor, tuple(flags)))
    if flags:
        answer += "\n" + staff.render(ctx.lang, "staff_reuse_warning", matches=staff.matches(flags, ctx.lang))
    return Reply(answer)


COMMAND = Command(
    name="selesai", aliases=("done",), roles=OFFICERS, grammar="id_url_text",
    args_id="<nomor> [url-foto] [catatan]", args_en="<number> [photo-url] [note]",
    help_id="kirim foto bukti (atau bagikan foto di thread laporan dengan tulisan selesai)",
    help_en="submit the proof photo (or share the photo in the report's thread with the word done)",
    readme_args="<id> [photo-url] [note]", readme="-> MENUNGGU_VALIDASI with a proof photo", run=run,
)
