"""``tolak-tl|reject-proof <id> <reason>``: a validator rejects the proof (-> TL_DITOLAK)."""
from __future__ import annotations

from bot.lifecycle import Status
from bot.staff.commands.base import VALIDATORS, Command, CommandContext, Reply
from bot.staff.proof import reject_proofs
from bot.tickets import transition


def run(ctx: CommandContext) -> Reply:
    transition(ctx.db, ctx.staff.policy, ctx.now, ctx.t, Status.TL_DITOLAK.value, ctx.officer.actor,
               reason=ctx.args.text, data={"via": ctx.origin})
    # A rejected proof is no longer public and is never validated later.
    reject_proofs(ctx.db, ctx.t["id"])
    return ctx.render("staff_ok_reject_proof", tracking_id=ctx.t["tracking_id"])


COMMAND = Command(
    name="tolak-tl", aliases=("reject-proof", "tolaktl"), roles=VALIDATORS, grammar="id_text",
    args_id="<nomor> <alasan>", args_en="<number> <reason>",
    help_id="validator: tolak bukti", help_en="validator: reject the proof",
    readme_args="<id> <reason>", readme="-> TL_DITOLAK; the proof becomes `rejected` (not public)", run=run,
)
