"""Issue 10, problem 6: a proof photo bomb is refused to the officer; the ticket does not move."""
from __future__ import annotations

import pytest

from tests.harness.bombs import BOMBS

REFUSAL = "Foto ditolak: resolusinya lebih dari 40 megapiksel"


@pytest.mark.parametrize("name", list(BOMBS))
async def test_proof_bomb_shared_in_the_thread_is_refused(desk, name):
    tid = await desk.report()
    await desk.run("U_DLH", f"proses {tid}")
    await desk.photo_in_thread(tid, "U_DLH", BOMBS[name], text="selesai")
    assert (await desk.ticket(tid))["status"] == "PROSES"
    await desk.pump()
    assert any(REFUSAL in t for t in desk.post_texts("C_DLH"))
    assert await desk.attachments(tid) == []


async def test_proof_bomb_by_url_is_refused_and_never_reaches_selesai(desk):
    tid = await desk.report()
    await desk.run("U_DLH", f"proses {tid}")
    desk.api.expect("GET", "/uploads/bom.png", body=BOMBS["png-400-megapixels"], headers={"content-type": "image/png"})
    answer = await desk.run("U_DLH", f"selesai {tid} {desk.api.base_url}/uploads/bom.png")
    assert answer.startswith(REFUSAL)
    assert (await desk.ticket(tid))["status"] == "PROSES"
    await desk.run("U_VAL", f"validasi {tid}")  # nothing to validate: the ticket cannot reach SELESAI
    assert (await desk.ticket(tid))["status"] == "PROSES"
    assert await desk.attachments(tid) == []
