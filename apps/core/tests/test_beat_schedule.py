"""The beat schedule keys on explicit, stable task names, and every entry names a task a worker knows."""

from config.celery import app


def _registered_task_names() -> set[str]:
    app.loader.import_default_modules()  # what a worker does at start-up: import every app's tasks module
    return set(app.tasks.keys())


def test_beat_schedule_every_entry_names_a_registered_task():
    # given
    registered = _registered_task_names()
    # then
    missing = {key: entry["task"] for key, entry in app.conf.beat_schedule.items() if entry["task"] not in registered}
    assert missing == {}


def test_beat_schedule_and_tasks_use_explicit_names_not_module_paths():
    # given
    ours = {name for name in _registered_task_names() if not name.startswith("celery.")}
    # then: every task of the project is named <app>.<job>, and the schedule uses those names
    assert ours and all(not name.startswith("apps.") and name.count(".") == 1 for name in ours), sorted(ours)
    assert all(not entry["task"].startswith("apps.") for entry in app.conf.beat_schedule.values())
    assert {"core.outbox_sweep", "wallet.ledger_check", "readings.bill_tick"} <= ours
