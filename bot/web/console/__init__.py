"""The officers' web console (/petugas): inbox, ticket page, every staff command as a form, counter intake.

Server-rendered pages over the same staff command engine Slack and Telegram use
(``bot.staff.engine.StaffEngine.run``): the console parses forms, the engine
authorises by role and scope, runs the command and audits it (actor
``staff:<code>``, ``via: web``). Queries live in ``store.console``.
"""
from __future__ import annotations
