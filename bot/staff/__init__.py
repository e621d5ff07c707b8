"""The staff side: officers work tickets from Slack and the Telegram staff group.

* ``directory``: who an officer is (Slack/Telegram id -> staff member) and
  what they may touch (agency and sub-units, area and the areas inside it).
* ``commands``: the ``/aduan`` commands, one module each (declaration,
  grammar, ``run(ctx)``), the parser and the generated help/README table.
* ``engine``: runs a command (authorise, act, audit) in one transaction.
* ``notify``: ticket threads in Slack through the outbox (channel "slack");
  ``threads`` and ``group_alerts`` are the desks (``bot.alerts.OfficerAlerts``)
  and event subscribers that ``wiring`` registers at the composition root.
* ``proof``: proof photos (store, perceptual hash, reuse detection).
* ``slack`` / ``telegram``: the two front desks; ``service`` wires them.

Intake, ticket transitions and the scheduler never import this package: they
publish domain events (``bot.events``) that the composition root subscribes the desks to.
"""
