"""``validasi|validate <id> [paksa|force]``: a validator approves the proof (-> SELESAI).

The submitter cannot validate their own proof; a proof flagged as reused is
held until ``paksa``.
"""
from __future__ import annotations

from bot.lifecycle import Status, check_transition
from bot.staff.commands.base import VALIDATORS, Command, CommandContext, Reply
from bot.staff.proof import PROOF, find_reuse, latest_attachment
from bot.tickets import transition
from store import repo
from store import staff as staff_store


def run(ctx: CommandContext) -> Reply:
    staff, conn, t, now, member, via = ctx.staff, ctx.db, ctx.t, ctx.now, ctx.officer, ctx.origin
    check_transition(t["status"], Status.SELESAI.value)
    proof = latest_attachment(conn, t["id"], PROOF)
    if proof is None:
        return ctx.render("staff_no_proof_to_validate", tracking_id=t["tracking_id"])
    if staff_store.last_actor_into(conn, t["id"], Status.MENUNGGU_VALIDASI.value) == member.actor:
        repo.add_event(conn, t["id"], "staff_denied", member.actor, now,
                       data={"command": ctx.args.name, "why": "staff_denied_own_proof", "via": via})
        return ctx.render("staff_denied_own_proof", tracking_id=t["tracking_id"])
    flags = find_reuse(conn, t["id"], proof["sha256"], proof["phash"], staff.proofs.threshold)
    if flags and not ctx.args.force:
        repo.add_event(conn, t["id"], "validation_held", member.actor, now,
                       data={"attachment_id": proof["id"], "matches": flags, "via": via})
        return ctx.render("staff_validate_flagged", tracking_id=t["tracking_id"],
                          matches=staff.matches(flags, ctx.lang))
    transition(conn, staff.policy, now, t, Status.SELESAI.value, member.actor, attachment_id=proof["id"],
               data={"attachment_id": proof["id"], "forced": bool(flags), "reuse": flags or None, "via": via})
    return ctx.render("staff_ok_validate", tracking_id=t["tracking_id"])


COMMAND = Command(
    name="validasi", aliases=("validate",), roles=VALIDATORS, grammar="id_force",
    args_id="<nomor>", args_en="<number>", help_id="validator: setujui bukti", help_en="validator: approve the proof",
    readme_args="<id> [paksa\\|force]", readme="-> SELESAI; the citizen gets the proof photo", run=run,
)
