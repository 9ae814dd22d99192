"""Creation campaign 创建攻坚: the evaluation standard, member units and liaisons, the responsibility table,
evidence and its review, rectifications, scores and reminders. The API, the sync op `evidence.create`, the
dispatcher and the demo seed call these modules; imports and papers (xlsx, briefing, archive) build on them:

- `standards.create_standard(actor, name, target, categories, …)` — a new current version from a tree,
  carrying each item's work on by number (`domain.creation.carried_work`) and recording what changed
  (`Standard.changes`); `standards.standard_tree()` — the current one as a tree; `standards.preview_changes`
  — a dry run's counts; `standards.versions / version_tree / item_history` — earlier versions, read-only.
- `units.create_unit / update_unit / list_units / units_by_name`.
- `items.list_items(actor, zone, …)` — the responsibility table as its rows (names, scores, rule, deadline
  state, evidence counts); `items.apply_item_change(actor, access, item, changes)` — one row's change
  without commit (an import of the county's table); `items.update_item` — the same, committed.
- `evidence.create_evidence / apply_review / list_evidence / evidence_of_item`; `evidence.evidence_row` is
  the check the sync op shares.
- `rectifications.open_rectification / list_rectifications / close_rectification`.
- `scoring.load_table(zone)` — the whole current table read once (items, units, figures, evidence counts,
  open rectifications) with `Table.score(item)`; `scoring.totals(table)`, `scoring.dashboard(zone)`,
  `scoring.trend(table, total)`, `scoring.risks(table, item)`, `scoring.record_weekly_score(zone)`.
- `meeting.meeting(zone, since)` — what changed since yesterday (the audit log).
- `reminders.reminder_rows(today, due_at)` — deadline reminders (called by services/reminders.py).
- `papers.standard_workbook / import_standard / responsibility_workbook / briefing_document / archive` —
  the workbooks, the standard's import, the weekly briefing and the streamed evidence archive.
- `access.Access(actor)` — who sees which item, evidence and rectification; `access.record_*` — the
  change-log rows that carry them to liaisons' phones.
"""
