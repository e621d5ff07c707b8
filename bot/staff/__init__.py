"""The staff side: officers work tickets from Slack and the Telegram staff group.

* ``directory``: who an officer is (Slack/Telegram id -> staff member) and
  what they may touch (agency and sub-units, area and the areas inside it).
* ``commands``: the channel-neutral ``/aduan`` command parser.
* ``engine``: the command handlers (authorise, act, audit, notify) in one
  transaction each.
* ``notify``: ticket threads in Slack through the outbox (channel "slack").
* ``proof``: proof photos (store, perceptual hash, reuse detection).
* ``slack`` / ``telegram``: the two front desks; ``service`` wires them.

Kept import-free: ``bot.tickets`` and ``bot.intake`` import ``bot.staff.notify``.
"""
